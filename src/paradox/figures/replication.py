"""Replication figure: the original against the replication, per contrast, with the criteria drawn in."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from paradox.figures import STYLE
from paradox.figures.numbers import attach, row

Z = 1.959963984540054  # two-sided 95% normal quantile
ORIGINAL, REPLICATION, COMBINED = "0.35", "tab:blue", "tab:red"


def replication_plot(table: pd.DataFrame, rope: float) -> plt.Figure:
    """One row per contrast: the original (95% CI), the original's 95% prediction interval for the
    replication (band), the replication (95% CI), d33% (tick), the posterior with the original as prior
    (95% interval), and the region of practical equivalence (shaded around 0). The right margin lists
    each criterion's decision, so that no single one stands for the rest."""
    n = len(table)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(9.5, 1.1 + 0.9 * n))
        ax.axvspan(-rope, rope, color="0.93", label=f"practical equivalence (|g| <= {rope})")
        ax.axvline(0, color="0.6", lw=0.8, ls=":")
        for i, row in enumerate(table.itertuples()):
            y = n - 1 - i
            ax.plot([row.pi_lower, row.pi_upper], [y, y], color=ORIGINAL, lw=7, alpha=0.15,
                    solid_capstyle="butt", label="original's 95% prediction interval" if i == 0 else None)
            ax.errorbar(row.original, y + 0.22, xerr=Z * row.original_se, fmt="s", ms=4, color=ORIGINAL, lw=1,
                        label="original (95% CI)" if i == 0 else None)
            ax.errorbar(row.replication, y, xerr=Z * row.replication_se, fmt="o", ms=4, color=REPLICATION, lw=1,
                        label="replication (95% CI)" if i == 0 else None)
            ax.errorbar(row.posterior_mean, y - 0.22,
                        xerr=[[row.posterior_mean - row.posterior_lower], [row.posterior_upper - row.posterior_mean]],
                        fmt="D", ms=3.5, color=COMBINED, lw=1,
                        label="posterior, original as prior (95%)" if i == 0 else None)
            ax.plot([row.d33, row.d33], [y - 0.32, y + 0.32], color="tab:orange", lw=1.5,
                    label="d33% (small telescopes)" if i == 0 else None)
            marks = [("sig.", row.significant_same_direction), ("orig. in CI", row.original_inside),
                     ("in PI", row.replication_inside), ("telescope ok", not row.too_small_to_have_been_seen),
                     ("p_S", row.sceptical_success)]
            text = "  ".join(f"{name} {'yes' if ok else 'no'}" for name, ok in marks)
            ax.annotate(f"{text}  BF_r0 {row.bf_r0:.3g}", xy=(1.01, y), xycoords=("axes fraction", "data"),
                        va="center", fontsize=7)
        ax.set_yticks(np.arange(n)[::-1], list(table["contrast"]), fontsize=8)
        ax.set_ylim(-0.7, n - 0.3)
        ax.set_xlabel("Hedges' g (positive = paradox: recovery above no failure)")
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3, fontsize=7, frameon=False)
        fig.tight_layout()
    return attach(fig, _numbers(table, rope))


#: Normal approximation to the Monte Carlo SE of a 2.5% or 97.5% quantile, in units of sd / sqrt(ESS).
_TAIL_MCSE_FACTOR = 2.671


def _numbers(table: pd.DataFrame, rope: float) -> list[dict]:
    """What the figure draws. The posterior with the original as prior is exact when computed in closed form;
    from importance-weighted draws (an `effective_draws` column), its Monte Carlo SE is sd / sqrt(effective
    draws) for the mean and the normal approximation above for the interval ends."""
    numbers = [row("", "rope", "", "half_width", rope)]
    for r in table.itertuples():
        exact = {"original": r.original, "original_se": r.original_se, "pi_lower": r.pi_lower, "pi_upper": r.pi_upper,
                 "replication": r.replication, "replication_se": r.replication_se, "d33": r.d33, "bf_r0": r.bf_r0}
        numbers += [row("", r.contrast, "", quantity, value) for quantity, value in exact.items()]
        effective = getattr(r, "effective_draws", np.nan)
        sd = getattr(r, "posterior_sd", np.nan)
        mean_mcse = None if pd.isna(effective) else sd / np.sqrt(effective)
        tail_mcse = None if mean_mcse is None else _TAIL_MCSE_FACTOR * mean_mcse
        numbers += [row("", r.contrast, "", "posterior_mean", r.posterior_mean, mean_mcse),
                    row("", r.contrast, "", "posterior_lower", r.posterior_lower, tail_mcse),
                    row("", r.contrast, "", "posterior_upper", r.posterior_upper, tail_mcse)]
    return numbers
