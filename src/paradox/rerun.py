"""Does a re-run agree with the committed numbers? Comparisons within Monte Carlo error.

`make test` re-runs every notebook in fast mode (fewer draws, so different Monte Carlo noise) and must fail when
a change to the code, the data or a model constant moves a result, but not when only the noise differs. So each
quantity is compared with its committed full-mode value within

    tolerance = Z * sqrt(mcse_rerun^2 + mcse_committed^2),     each mcse at least MCSE_FLOOR,

where mcse is the Monte Carlo standard error of the quantity in each run (from the chains' effective sample
size). Quantities without Monte Carlo error (Welch's tests, anything computed from the data alone) have no
mcse and must agree to EXACT. Z = 5 makes a false alarm a chance of about 6e-7 per quantity (normal tails), so
some hundreds of comparisons per `make test` almost never fail by noise, while halving an effect moves its
probabilities by tens of Monte Carlo errors.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: Standard errors of disagreement before a quantity counts as moved.
Z = 5.0
#: Smallest Monte Carlo SE assumed for a Monte Carlo estimate: a probability estimated as exactly 0 or 1 has an
#: estimated SE of 0, but its true value may lie a little inside (0, 1).
MCSE_FLOOR = 0.005
#: Tolerance of quantities without Monte Carlo error (floating-point and CSV rounding only).
EXACT = 1e-6


def compare(rerun: pd.DataFrame, committed: pd.DataFrame, keys: list[str], quantities: list[str]) -> pd.DataFrame:
    """One row per key and quantity: the two values, the tolerance and whether they agree.

    A quantity `q` has Monte Carlo error when the tables have a column `q_mcse` (NaN there: none); a row of
    either table without a partner in the other is reported as disagreeing (value NaN)."""
    merged = rerun.merge(committed, on=keys, how="outer", suffixes=("", "_committed"), indicator=True)
    rows = []
    for _, row in merged.iterrows():
        for q in quantities:
            new, old = row.get(q, np.nan), row.get(f"{q}_committed", np.nan)
            mcse_new, mcse_old = row.get(f"{q}_mcse", np.nan), row.get(f"{q}_mcse_committed", np.nan)
            if np.isnan(mcse_new) and np.isnan(mcse_old):
                tolerance = EXACT
            else:
                tolerance = Z * np.hypot(max(np.nan_to_num(mcse_new), MCSE_FLOOR), max(np.nan_to_num(mcse_old), MCSE_FLOOR))
            agrees = bool(row["_merge"] == "both" and abs(new - old) <= tolerance)
            rows.append({**{k: row[k] for k in keys}, "quantity": q, "rerun": new, "committed": old,
                         "tolerance": tolerance, "agrees": agrees})
    return pd.DataFrame(rows)


def read_committed(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run `make reproduce` to make the committed results first")
    return pd.read_csv(path)


def verdict_agreement(table: pd.DataFrame, committed_path: str | Path, quantities: list[str]) -> str:
    """What a notebook's checked cell prints: per hypothesis and method, the committed full-mode verdict and
    whether this run's probabilities agree with it within Monte Carlo error (else every number that moved).

    The committed verdict is printed, not this run's, because a probability within Monte Carlo error of the
    decision threshold may fall on either side of it in a shorter run; that it agrees is what is checked."""
    committed = read_committed(committed_path)
    comparison = compare(table, committed, ["hypothesis", "method"], quantities)
    lines = []
    order = list(dict.fromkeys(zip(table["hypothesis"], table["method"])))  # this run's rows, in its order
    order += [key for key in dict.fromkeys(zip(committed["hypothesis"], committed["method"])) if key not in order]
    groups = dict(list(comparison.groupby(["hypothesis", "method"], sort=False)))
    for hypothesis, method in order:
        group = groups[(hypothesis, method)]
        match = committed[(committed["hypothesis"] == hypothesis) & (committed["method"] == method)]
        verdict = match["verdict"].iloc[0] if len(match) else "(not committed)"
        moved = group[~group["agrees"]]
        status = "agrees with the committed run" if moved.empty else "MOVED: " + "; ".join(
            f"{r.quantity} {r.rerun:.3f} vs {r.committed:.3f} committed (tolerance {r.tolerance:.3f})"
            for r in moved.itertuples())
        lines.append(f"{hypothesis} {method:<8} {verdict:<28} {status}")
    return "\n".join(lines)
