"""Figure of a replication plan (paradox.planning): assurance curves, with Welch's power and small telescopes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from paradox.figures import STYLE
from paradox.figures.numbers import attach, row


def _rate_mcse(rate: float, n: int) -> float:
    """Monte Carlo SE of a rate of n simulated surveys, sqrt(p (1 - p) / n) at p = (k + 1) / (n + 2): the plain
    estimate is 0 at a rate of 0 or 1, which would ask two different sets of simulations to agree exactly."""
    shrunk = (rate * n + 1) / (n + 2)
    return float(np.sqrt(shrunk * (1 - shrunk) / n))


def plot_assurance(table: pd.DataFrame, target: float, smallest: dict[str, int | None],
                   telescopes: dict[str, int | None] | None = None, caption: str | None = None) -> plt.Figure:
    """One panel per hypothesis: the assurance (rate of "claim holds", +/- 2 Monte Carlo SE) and the rate of
    any conclusion against the cell size, Welch's power at the prior's mean and averaged over it, the target,
    the smallest size reaching it and the small-telescopes size. Its numbers (paradox.figures.numbers): the two
    rates and Welch's power averaged over the prior are Monte Carlo estimates over the simulated surveys; Welch's
    power at the prior's mean is exact."""
    telescopes = telescopes or {}
    drawn = []
    moderators = list(dict.fromkeys(table["moderator"]))
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, len(moderators), figsize=(3.6 * len(moderators) + 0.6, 3.4), sharey=True,
                                 squeeze=False)
        for ax, moderator in zip(axes[0], moderators):
            group = table[table["moderator"] == moderator]
            n = group["n_per_cell"].to_numpy()
            rate, se = group["assurance"].to_numpy(), group["assurance_mc_se"].fillna(0).to_numpy()
            bars = [rate - np.clip(rate - 2 * se, 0, 1), np.clip(rate + 2 * se, 0, 1) - rate]  # inside [0, 1]
            ax.errorbar(n, rate, yerr=bars, fmt="o-", color="#1b9e77",
                        capsize=2, lw=1.2, ms=4, label="claim holds (assurance)")
            ax.plot(n, group["rate_conclusive"], "s:", color="#7570b3", ms=3, lw=1, label="any conclusion")
            ax.plot(n, group["welch_power"], "--", color="#d95f02", lw=1, label="Welch power (prior mean)")
            ax.plot(n, group["welch_assurance"], "-.", color="#e6ab02", lw=1, label="Welch power (prior average)")
            for _, size in group.iterrows():
                sims = int(size["n_sims"])
                drawn += [row(moderator, "claim holds (assurance)", size["n_per_cell"], "rate", size["assurance"],
                              _rate_mcse(size["assurance"], sims)),
                          row(moderator, "any conclusion", size["n_per_cell"], "rate", size["rate_conclusive"],
                              _rate_mcse(size["rate_conclusive"], sims)),
                          row(moderator, "Welch power (prior mean)", size["n_per_cell"], "power", size["welch_power"]),
                          row(moderator, "Welch power (prior average)", size["n_per_cell"], "power",
                              size["welch_assurance"], size["welch_assurance_mc_se"])]
            ax.axhline(target, color="black", lw=0.7, ls="--")
            if smallest.get(moderator) is not None:
                ax.axvline(smallest[moderator], color="#1b9e77", lw=0.8, alpha=0.6)
            if telescopes.get(moderator) is not None:
                ax.axvline(telescopes[moderator], color="#666666", lw=0.8, ls=":")
                ax.text(telescopes[moderator], 0.02, " 2.5 x original", fontsize=7, color="#666666", rotation=90,
                        va="bottom")
            ax.set_title(f"{group['hypothesis'].iloc[0]}: {moderator}", fontsize=9)
            ax.set_xlabel("respondents per cell")
            ax.set_ylim(-0.02, 1.02)
            ax.set_xticks(np.unique(n))
        axes[0][0].set_ylabel("probability over simulated replications")
        axes[0][-1].legend(frameon=False, fontsize=7, loc="lower right")
        sims = int(table["n_sims"].min())
        fig.suptitle(f"Assurance of the paradox test by cell size (target {target:g}, dashed)\nat least {sims} "
                     "simulated surveys per size; bars +/- 2 Monte Carlo SE", fontsize=9)
        if caption:
            fig.text(0.01, 0.0, caption, fontsize=7, style="italic", color="#555555", ha="left", va="top")
        fig.tight_layout()
    return attach(fig, drawn)
