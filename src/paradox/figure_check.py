"""Do the regenerated figures draw the committed numbers? Fast-mode figures against full-mode ones, for reviewers.

Every figure is saved with the numbers it draws (`paradox.figures.numbers`: a CSV beside the PNG, same name).
`make test` regenerates the figures in fast mode (build/fast/); this module compares each regenerated CSV with the
committed full-mode CSV of the same name, number by number, with paradox.rerun's rule: a Monte Carlo number
must agree within Z * sqrt(mcse_fast^2 + mcse_full^2) (each mcse at least rerun.MCSE_FLOOR), a number from the
data alone (mcse 0) to rerun.EXACT. A missing or extra figure or number fails. It writes an HTML report
(build/figure-report/index.html): each figure committed and regenerated side by side, with its largest
differences in units of the tolerance.

    python -m paradox.figure_check          # exit 1 and a message per moved number when a figure moved
"""

from __future__ import annotations

import argparse
import html
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from paradox import rerun
from paradox.settings import FIGURES_DIR, RESULTS_DIR, ROOT

#: Committed (full-mode) figure directories and where `make test` regenerates each (fast mode).
PAIRS = (
    (FIGURES_DIR, ROOT / "build" / "fast" / "figures"),
    (RESULTS_DIR / "07_srp_replication" / "figures", ROOT / "build" / "fast" / "results" / "07_srp_replication" / "figures"),
)
REPORT_DIR = ROOT / "build" / "figure-report"
#: Figures whose fast-mode redraw draws part of what the committed one draws, by file name, with the reason: only
#: the numbers the regenerated figure has are compared (one it has and the committed figure lacks still fails).
FAST_SUBSET: dict[str, str] = {
    "09_plan_assurance": "fast mode plans 2 of the 4 cell sizes (30 and 120) with 3 of the 8 simulated surveys "
                         "(the same first three: a task's seeds are its own); the rates are compared at those sizes "
                         "within their Monte Carlo error, Welch's power at the prior's mean exactly",
}
#: Columns that name a number within its figure.
KEYS = ["panel", "series", "x", "quantity"]
#: Differences listed per figure in the report.
LARGEST = 8


@dataclass
class FigureResult:
    """One figure's comparison: its numbers (rerun.compare's columns plus `units`) and what went wrong."""

    name: str
    committed_png: Path | None
    regenerated_png: Path | None
    comparison: pd.DataFrame = field(default_factory=pd.DataFrame)
    problems: list[str] = field(default_factory=list)
    partly: str | None = None  # why only the numbers the fast-mode redraw has are compared (FAST_SUBSET)

    @property
    def ok(self) -> bool:
        return not self.problems


def read_numbers(path: Path) -> pd.DataFrame:
    """A figure's CSV, with the key columns as text (so '1' stays '1') and a repeat counter for keys a
    figure draws more than once (in drawing order)."""
    table = pd.read_csv(path, dtype={key: str for key in KEYS}, keep_default_na=False, na_values={"value": [""], "mcse": [""]})
    missing = [c for c in (*KEYS, "value", "mcse", "monte_carlo") if c not in table]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
    table["repeat"] = table.groupby(KEYS).cumcount()
    return table


def _for_rerun(table: pd.DataFrame) -> pd.DataFrame:
    """rerun.compare's layout: value and value_mcse, NaN for a number without Monte Carlo error (exact)."""
    monte_carlo = table["monte_carlo"].astype(str).str.lower().eq("true")
    return table[[*KEYS, "repeat", "value"]].assign(value_mcse=table["mcse"].where(monte_carlo, np.nan))


def compare_numbers(regenerated: pd.DataFrame, committed: pd.DataFrame) -> pd.DataFrame:
    """Per number: regenerated and committed value, tolerance, agrees, and the difference in units of the
    tolerance (`units`; inf for a number only one side has)."""
    # rerun.compare names its own column `quantity` (the compared column): ours travels as `drawn` meanwhile.
    keys = [*KEYS, "repeat"]
    renamed = [k if k != "quantity" else "drawn" for k in keys]
    tables = [_for_rerun(t).rename(columns={"quantity": "drawn"}) for t in (regenerated, committed)]
    comparison = rerun.compare(*tables, renamed, ["value"]).drop(columns="quantity").rename(columns={"drawn": "quantity"})
    difference = (comparison["rerun"] - comparison["committed"]).abs()
    comparison["units"] = (difference / comparison["tolerance"]).fillna(np.inf)
    return comparison


def _describe(number: pd.Series) -> str:
    where = ", ".join(f"{key} {number[key]!r}" for key in KEYS if number[key] != "")
    where += f" (occurrence {number['repeat'] + 1})" if number["repeat"] else ""
    if np.isnan(number["rerun"]):
        return f"{where}: committed {number['committed']:.6g}, missing from the regenerated figure"
    if np.isnan(number["committed"]):
        return f"{where}: regenerated {number['rerun']:.6g}, not in the committed figure"
    return (f"{where}: regenerated {number['rerun']:.6g} vs committed {number['committed']:.6g} "
            f"(difference {abs(number['rerun'] - number['committed']):.3g}, tolerance {number['tolerance']:.3g})")


def check_figure(name: str, committed_dir: Path, regenerated_dir: Path) -> FigureResult:
    committed_png, regenerated_png = committed_dir / f"{name}.png", regenerated_dir / f"{name}.png"
    result = FigureResult(name, committed_png if committed_png.is_file() else None,
                          regenerated_png if regenerated_png.is_file() else None)
    committed_csv, regenerated_csv = committed_dir / f"{name}.csv", regenerated_dir / f"{name}.csv"
    for path, what in ((committed_csv, "committed numbers"), (regenerated_csv, "regenerated numbers")):
        if not path.is_file():
            result.problems.append(f"{what} missing: {path}")
    if result.problems:
        return result
    regenerated, committed = read_numbers(regenerated_csv), read_numbers(committed_csv)
    if name in FAST_SUBSET:
        result.partly = FAST_SUBSET[name]
        drawn_keys = [*KEYS, "repeat"]
        committed = committed.merge(regenerated[drawn_keys], on=drawn_keys)
    result.comparison = compare_numbers(regenerated, committed)
    moved = result.comparison[~result.comparison["agrees"]].sort_values("units", ascending=False)
    result.problems += [_describe(number) for _, number in moved.iterrows()]
    return result


def check(pairs=PAIRS) -> list[FigureResult]:
    """Every figure (a PNG or CSV) in either directory of each pair, compared."""
    results = []
    for committed_dir, regenerated_dir in pairs:
        committed_dir, regenerated_dir = Path(committed_dir), Path(regenerated_dir)
        names = {p.stem for d in (committed_dir, regenerated_dir) if d.is_dir() for p in d.iterdir()
                 if p.suffix in (".png", ".csv")}
        for name in sorted(names):
            result = check_figure(name, committed_dir, regenerated_dir)
            if result.committed_png is None and not (committed_dir / f"{name}.csv").is_file():
                result.problems.insert(0, f"not committed: a new figure ({regenerated_dir / name}.png); "
                                          f"run `make reproduce` and commit it")
            results.append(result)
    return results


def _image(src: Path | None, report_dir: Path, side: str) -> str:
    """Copy an image into the report (so it is self-contained) and return its <img> tag."""
    if src is None:
        return "<p class='missing'>(none)</p>"
    target = report_dir / "images" / side / src.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, target)
    rel = target.relative_to(report_dir).as_posix()
    return f"<a href='{html.escape(rel)}'><img src='{html.escape(rel)}' alt='{side} {html.escape(src.stem)}'></a>"


def write_report(results: list[FigureResult], report_dir: Path = REPORT_DIR) -> Path:
    """build/figure-report/index.html: a summary, then per figure both images and its largest differences."""
    report_dir = Path(report_dir)
    if report_dir.exists():
        shutil.rmtree(report_dir)
    report_dir.mkdir(parents=True)
    failed = [r for r in results if not r.ok]
    partly = [r for r in results if r.partly]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Figure check</title><style>",
        "body{font-family:sans-serif;margin:1.5em;max-width:1400px} .pair{display:flex;gap:1em} .pair div{flex:1}",
        "img{max-width:100%;border:1px solid #ccc} table{border-collapse:collapse;font-size:90%}",
        "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right} .bad{color:#b00} .good{color:#070}",
        "</style></head><body><h1>Figure check: regenerated (fast mode) against committed (full mode)</h1>",
        f"<p>Tolerance of a Monte Carlo number: {rerun.Z:g} &times; sqrt(mcse<sub>regenerated</sub><sup>2</sup> + "
        f"mcse<sub>committed</sub><sup>2</sup>), each mcse at least {rerun.MCSE_FLOOR:g}; numbers from the data alone: "
        f"{rerun.EXACT:g}. Differences are shown in units of the tolerance (above 1: moved).</p>",
        f"<p class='{'bad' if failed else 'good'}'>{len(results)} figures, {len(failed)} failed, "
        f"{len(partly)} compared in part (fast mode draws part of them).</p><ul>",
    ]
    parts += [f"<li><a href='#{html.escape(r.name)}'>{html.escape(r.name)}</a> "
              f"<span class='{'bad' if not r.ok else 'good'}'>"
              f"{'FAILED' if not r.ok else 'ok, in part' if r.partly else 'ok'}</span></li>"
              for r in results]
    parts.append("</ul>")
    for r in results:
        parts.append(f"<h2 id='{html.escape(r.name)}'>{html.escape(r.name)}</h2>")
        if r.partly:
            parts.append(f"<p>Compared in part: {html.escape(r.partly)}</p>")
        parts += [f"<p class='bad'>{html.escape(p)}</p>" for p in r.problems[:LARGEST]]
        if len(r.problems) > LARGEST:
            parts.append(f"<p class='bad'>... and {len(r.problems) - LARGEST} more</p>")
        parts.append(f"<div class='pair'><div><h3>committed</h3>{_image(r.committed_png, report_dir, 'committed')}</div>"
                     f"<div><h3>regenerated</h3>{_image(r.regenerated_png, report_dir, 'regenerated')}</div></div>")
        if not r.comparison.empty:
            largest = r.comparison.sort_values("units", ascending=False).head(LARGEST)
            parts.append(f"<p>{len(r.comparison)} numbers; the largest differences:</p><table><tr>"
                         + "".join(f"<th>{c}</th>" for c in (*KEYS, "regenerated", "committed", "tolerance", "units"))
                         + "</tr>")
            for _, n in largest.iterrows():
                cls = "good" if n["agrees"] else "bad"
                parts.append("<tr>" + "".join(f"<td>{html.escape(str(n[k]))}</td>" for k in KEYS)
                             + "".join(f"<td>{n[c]:.6g}</td>" for c in ("rerun", "committed", "tolerance"))
                             + f"<td class='{cls}'>{n['units']:.2f}</td></tr>")
            parts.append("</table>")
    parts.append("</body></html>")
    path = report_dir / "index.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m paradox.figure_check", description=__doc__.splitlines()[0])
    parser.add_argument("--pair", nargs=2, action="append", metavar=("COMMITTED_DIR", "REGENERATED_DIR"),
                        help="compare these directories instead of the project's (repeatable)")
    parser.add_argument("--report", type=Path, default=REPORT_DIR, help="report directory (default: %(default)s)")
    args = parser.parse_args(argv)
    pairs = args.pair or PAIRS
    for committed_dir, regenerated_dir in pairs:
        if not Path(regenerated_dir).is_dir():
            print(f"figure check: {regenerated_dir} does not exist: run the notebooks in fast mode first "
                  f"(make test)", file=sys.stderr)
            return 2
    results = check(pairs)
    report = write_report(results, args.report)
    for r in results:
        if r.partly:
            print(f"figure {r.name}: compared in part ({len(r.comparison)} numbers): {r.partly}")
        for problem in r.problems:
            print(f"figure {r.name}: {problem}", file=sys.stderr)
    failed = [r.name for r in results if not r.ok]
    n_numbers = sum(len(r.comparison) for r in results)
    print(f"figure check: {len(results)} figures, {n_numbers} numbers, {len(failed)} figure(s) moved"
          + (f" ({', '.join(failed)})" if failed else "") + f"; report: {report}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
