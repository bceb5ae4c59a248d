"""Figure of a replication plan (paradox.planning): assurance curves, with Welch's power and small telescopes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from paradox.figures import STYLE


def plot_assurance(table: pd.DataFrame, target: float, smallest: dict[str, int | None],
                   telescopes: dict[str, int | None] | None = None, caption: str | None = None) -> plt.Figure:
    """One panel per hypothesis: the assurance (rate of "claim holds", +/- 2 Monte Carlo SE) and the rate of
    any conclusion against the cell size, Welch's power at the prior's mean and averaged over it, the target,
    the smallest size reaching it and the small-telescopes size."""
    telescopes = telescopes or {}
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
    return fig
