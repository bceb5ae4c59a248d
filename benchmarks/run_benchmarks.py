"""Speed and scale of paradox, measured side by side in one run on one machine (issue 5).

    python benchmarks/run_benchmarks.py            # or: make bench
    python benchmarks/run_benchmarks.py --quick    # small sizes and draws, to check the script

Prints Markdown tables and writes them, with the machine, date, versions and load average, to
benchmarks/results.md (and every raw measurement to benchmarks/results.csv):

 1. samplers: PyMC NUTS, nutpie and numpyro on the package's models (benchmarks/samplers.py);
 2. the hierarchical ordinal SRP model against the same model in bambi, same data, draws, sampler;
 3. the fixed-effects ordinal model (collapsed counts) against statsmodels' OrderedModel (ML);
 4. scaling with 1,000, 10,000 and 100,000 respondents x 3 items: wall time, peak memory, ESS/s;
 5. `make reproduce` from a cold and from a warm result cache, in a scratch clone.

Every fit runs in its own process (benchmarks/runner.py) with the result cache off.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from runner import HERE, machine, markdown, median_of, run_fit
from samplers import SAMPLERS, compare

ROOT = HERE.parent
SIZES = (1000, 10000, 100000)


class Fits:
    """Runs each distinct job once (median over `repeats`), so sections can share fits."""

    def __init__(self, repeats: int, timeout: float):
        self.repeats, self.timeout, self.done = repeats, timeout, {}

    def __call__(self, timeout: float | None = None, repeats: int | None = None, **job) -> dict:
        key, timeout = tuple(sorted(job.items())), timeout or self.timeout
        if key not in self.done:
            runs = [run_fit(job, timeout)]
            if "error" not in runs[0]:  # a fit that timed out is not repeated
                runs += [run_fit(job, timeout) for _ in range((repeats or self.repeats) - 1)]
            self.done[key] = median_of(runs)
            print(f"  {job} -> {self.done[key].get('error') or 'done'}", flush=True)
            with open(HERE / "results.jsonl", "a") as log:  # kept as it goes: a run cut short is not lost
                log.write(json.dumps(self.done[key]) + "\n")
        return self.done[key]


def versus_bambi(fits: Fits, n: int, draws: dict, sampler: str) -> pd.DataFrame:
    """Each form of ordinal_model against bambi's cumulative model, as the issue writes it (one fixed effect
    per experiment x cell) and as near ordinal_model's pooled hierarchy as bambi goes (workloads.BAMBI_FORMULAS)."""
    from workloads import BAMBI_FORMULAS

    bambi = {formula: fits(fit="bambi", formula=formula, respondents=n, sampler=sampler, **draws)
             for formula in BAMBI_FORMULAS}
    labels = {("bambi", "cells"): f"bambi: {BAMBI_FORMULAS['cells']}",
              ("bambi", "pooled"): f"bambi: {BAMBI_FORMULAS['pooled']}",
              ("srp_shared", None): "ours, bambi's restricted form (one set of cutpoints + item shifts)",
              ("srp", None): "ours, ordinal_model as the notebooks fit it (cutpoints per item)",
              ("srp_integrated", None): "ours, ordinal_model(integrate_respondents=True)"}
    rows = []
    for (fit, formula), label in labels.items():
        r = bambi[formula] if fit == "bambi" else fits(fit=fit, respondents=n, sampler=sampler, **draws)
        row = {"model": label, "wall s": r.get("wall_s"), "bulk ESS/s": r.get("ess_bulk_per_s"),
               "tail ESS/s": r.get("ess_tail_per_s"), "respondent_sd ESS/s": r.get("common_ess_bulk_per_s")}
        for name, reference in bambi.items():
            row[f"x bambi {name}: bulk"] = _ratio(r, reference, "ess_bulk_per_s")
            row[f"x bambi {name}: tail"] = _ratio(r, reference, "ess_tail_per_s")
        row.update({"divergences": r.get("divergences"), "max R-hat": r.get("rhat"), "error": r.get("error")})
        rows.append(row)
    return pd.DataFrame(rows)


def versus_statsmodels(fits: Fits, sizes, draws: dict, sampler: str) -> pd.DataFrame:
    rows = []
    for n in sizes:
        ours = fits(fit="regression", respondents=n, sampler=sampler, **draws)
        ml = fits(fit="orderedmodel", respondents=n)
        gap = max((abs(ours["estimates"][k] - ml["estimates"][k]) for k in ml.get("estimates", {})), default=None) \
            if "estimates" in ours else None
        rows.append({"respondents": ours.get("n_respondents"), "answers": ours.get("n_answers"),
                     "patterns": ours.get("n_patterns"), "ours: counts s": ours.get("counts_s"),
                     "ours: compile s": ours.get("compile_s"), "ours: sampling s": ours.get("sampling_s"),
                     "ours: wall s": ours.get("wall_s"), "OrderedModel s": ml.get("wall_s"),
                     "ours / OrderedModel": _ratio(ours, ml, "wall_s"),
                     "max |posterior mean - MLE|": gap, "error": ours.get("error") or ml.get("error")})
    return pd.DataFrame(rows)


def best_sampler(fits: Fits, fit: str, n: int, draws: dict) -> str:
    """The sound sampler (no divergences, R-hat < 1.01) with the most ESS (the smaller of bulk and tail)
    per second of compiling and sampling."""
    def score(sampler):
        r = fits(fit=fit, respondents=n, sampler=sampler, **draws)
        if "error" in r or r["divergences"] > 0 or r["rhat"] >= 1.01:
            return 0.0
        return min(r["ess_bulk"], r["ess_tail"]) / (r["compile_s"] + r["sampling_s"])
    return max(SAMPLERS, key=score)


def scaling(fits: Fits, sizes, draws: dict, sampler: str, goal_s: float) -> pd.DataFrame:
    """Each form of the model with `sampler` ("best": the best for that form at the smallest size). A fit
    still running after 2 x the goal is stopped: the goal is missed by then, and the table says so. The
    per-respondent form is fitted once above the smallest size: it takes 10 minutes and more there."""
    rows = []
    for fit in ("srp", "srp_integrated"):
        chosen = best_sampler(fits, fit, sizes[0], draws) if sampler == "best" else sampler
        for n in sizes:
            once = {"repeats": 1} if fit == "srp" and n > sizes[0] else {}
            r = fits(fit=fit, respondents=n, sampler=chosen, timeout=2 * goal_s if n == sizes[-1] else None,
                     **once, **draws)
            rows.append({"model": fit, "sampler": chosen, "respondents": r.get("n_respondents", n),
                         "repeats": r.get("repeats", 1), "wall s": r.get("wall_s"),
                         "compile s": r.get("compile_s"), "sampling s": r.get("sampling_s"),
                         "peak GiB": r.get("peak_gib"), "bulk ESS/s": r.get("ess_bulk_per_s"),
                         "tail ESS/s": r.get("ess_tail_per_s"), "divergences": r.get("divergences"),
                         "max R-hat": r.get("rhat"), "error": r.get("error")})
    return pd.DataFrame(rows)


def time_reproduce() -> pd.DataFrame:
    """`make reproduce` twice in a scratch clone of the committed tree: cold (no results/cache) then warm.
    The clone shares .venv, whose paradox is an editable install of this tree, so PYTHONPATH points
    the notebooks' kernel at the clone's src/ (and so its results/cache)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "paradox"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        (clone / ".venv").symlink_to(ROOT / ".venv")
        (ROOT / ".venv" / ".installed").touch()  # make must not reinstall the shared venv
        env = {**os.environ, "PYTHONPATH": str(clone / "src")}
        for run in ("cold", "warm"):
            load = os.getloadavg()[0]
            start = time.perf_counter()
            done = subprocess.run(["make", "reproduce"], cwd=clone, env=env, capture_output=True, text=True)
            rows.append({"run": run, "wall s": time.perf_counter() - start, "exit": done.returncode,
                         "load at start": load, "error": done.stdout.strip().splitlines()[-1] if done.returncode else None})
    return pd.DataFrame(rows)


def _ratio(a: dict, b: dict, key: str):
    return a[key] / b[key] if key in a and key in b and b[key] else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--draws", type=int, default=1000, help="draws per chain (default: fast mode's %(default)s)")
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3, help="fits per measurement; medians are reported")
    parser.add_argument("--sampler", default="best", help="sampler of the scaling runs: pymc, nutpie, numpyro, or "
                        "best (per model, from the sampler comparison; default)")
    parser.add_argument("--goal", type=float, default=300, help="seconds the largest fit should take (issue 5: 5 min)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before a fit is abandoned")
    parser.add_argument("--skip", nargs="*", default=[], choices=["samplers", "bambi", "statsmodels", "scaling", "reproduce"])
    parser.add_argument("--quick", action="store_true", help="tiny sizes and draws: checks the script, measures nothing")
    args = parser.parse_args()
    sizes = (120, 240) if args.quick else SIZES
    draws = {"draws": 100, "tune": 100} if args.quick else {"draws": args.draws, "tune": args.tune}
    (HERE / "results.jsonl").unlink(missing_ok=True)
    fits = Fits(args.repeats, args.timeout)
    info = machine()
    header = [f"# paradox benchmarks, {info['date']}", "",
              *(f"- {k}: {v}" for k, v in info.items() if k != "date"),
              f"- draws {draws['draws']}, tune {draws['tune']}, 4 chains; {args.repeats} repeat(s), medians; "
              f"cache off; one process per fit", ""]
    sections = {
        "samplers": ("Samplers (1,000 respondents)", lambda: compare(sizes[0], draws["draws"], draws["tune"], args.repeats, fits)),
        "bambi": ("Hierarchical ordinal model vs bambi (1,000 respondents, PyMC NUTS for both)",
                  lambda: versus_bambi(fits, sizes[0], draws, "pymc")),
        "scaling": ("Scaling, 3 items per respondent", lambda: scaling(fits, sizes, draws, args.sampler, args.goal)),
        "statsmodels": ("Fixed-effects ordinal model vs statsmodels OrderedModel", lambda: versus_statsmodels(fits, sizes, draws, "pymc")),
        "reproduce": ("make reproduce (scratch clone)", time_reproduce),
    }
    tables = []
    for name, (title, measure) in sections.items():
        if name in args.skip:
            continue
        print(f"== {title}", flush=True)
        table = measure()
        tables.append((title, table))
        print(markdown(table), flush=True)
    info["load_average_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    text = "\n".join(header + [f"- load average at end: {info['load_average_end']}", ""]
                     + [f"## {title}\n\n{markdown(table)}\n" for title, table in tables])
    (HERE / "results.md").write_text(text)
    pd.DataFrame(list(fits.done.values())).to_csv(HERE / "results.csv", index=False)
    (HERE / "results.jsonl").unlink(missing_ok=True)  # all of it is in results.csv now
    print(f"wrote {HERE / 'results.md'}")


if __name__ == "__main__":
    sys.exit(main())
