"""Figure of the decision rule's operating characteristics (paradox.calibration)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from paradox import verdict as decision
from paradox.figures import STYLE
from paradox.figures.numbers import attach, row
from paradox.studies.tasks import NOT_CONVERGED

_COLOURS = {decision.CLAIM: "#1b9e77", decision.BOTH: "#66c2a5", decision.MODERATION_ONLY: "#8da0cb",
            decision.NO_PARADOX: "#d95f02", decision.INCONCLUSIVE: "#bbbbbb", NOT_CONVERGED: "#e7298a"}


def plot_operating_characteristics(table: pd.DataFrame, false_claim_goal: float = 0.05,
                                   coverage_goal: tuple[float, float] = (0.93, 0.97)) -> plt.Figure:
    """Left: how often each verdict is reached per truth scenario (pooled and unpooled), with the claim's rate
    and its Monte Carlo SE marked; right: coverage of the 95% intervals of delta_fav and delta_unfav."""
    labels = [f"{r.scenario} ({'pooled' if r.pooled else 'unpooled'})" + (" *" if r.claim_true else "")
              for r in table.itertuples()]
    with plt.rc_context(STYLE):
        fig, (ax, cov) = plt.subplots(1, 2, figsize=(10, 0.42 * len(table) + 1.8), sharey=True,
                                      gridspec_kw={"width_ratios": [2.2, 1]})
        left = pd.Series(0.0, index=table.index)
        for name, colour in _COLOURS.items():
            column = "rate_" + name.replace(" ", "_")
            ax.barh(range(len(table)), table[column], left=left, color=colour, label=name, height=0.7)
            left = left + table[column]
        ax.errorbar(table["rate_claim"], range(len(table)), xerr=2 * table["mc_se"], fmt="none", ecolor="black",
                    capsize=2, lw=0.8)
        ax.axvline(false_claim_goal, color="black", ls="--", lw=0.8)
        ax.set_yticks(range(len(table)), labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xlabel(f"share of verdicts (dashed: {false_claim_goal:g}, the most the claim may be called when false)")
        ax.legend(frameon=False, fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.12))
        for column, marker, name in (("coverage_fav", "o", "delta_fav"), ("coverage_unfav", "s", "delta_unfav")):
            cov.errorbar(table[column], range(len(table)), xerr=2 * table[column + "_mc_se"], fmt=marker,
                         ms=4, lw=0.8, label=name)
        cov.axvspan(*coverage_goal, color="#cccccc", alpha=0.5, lw=0)
        cov.set_xlim(0.8, 1.0)
        cov.set_xlabel("coverage of the 95% intervals")
        cov.legend(frameon=False, fontsize=7)
        n = int(table["n_sims"].min())
        fig.suptitle(f"Operating characteristics of the decision rule (* the claim is true); simulated surveys of "
                     f"the design, at least {n} per scenario; bars +/- 2 Monte Carlo SE", fontsize=9)
        fig.tight_layout()
    # Rates over simulated surveys: Monte Carlo numbers, with the table's own SEs.
    numbers = []
    for label, (_, r) in zip(labels, table.iterrows()):
        for name in _COLOURS:
            column = "rate_" + name.replace(" ", "_")
            mcse = r["mc_se"] if column == "rate_claim" else r.get(column + "_mc_se", float("nan"))
            numbers.append(row("verdicts", label, "", column, r[column], mcse))
        numbers += [row("coverage", label, "", column, r[column], r[column + "_mc_se"])
                    for column in ("coverage_fav", "coverage_unfav")]
    return attach(fig, numbers)
