"""What a latent (logit) effect means for the answers respondents give.

The ordinal model's effects are shifts of latent satisfaction in logits, a unit few readers can picture.
This module translates a shift into the share of top-two-box answers (6 or 7 on a 7-point scale): the
control group's share, averaged over respondents (whose latent level spreads by respondent_sd) and items,
and the share the same respondents would give if their latent satisfaction moved by `effect` logits.
Both are computed per posterior draw and then averaged, so the numbers come from the fit, not from a rule
of thumb:

    P(top two | shift) = E_u[ expit(baseline + shift + sd * u - c_item) ],   u ~ N(0, 1),

with c_item the item's second-highest cutpoint; the expectation over u is a Gauss-Hermite sum (exact to
many digits, not random).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr
from scipy.special import expit

#: Gauss-Hermite nodes for averaging over respondents' latent satisfaction.
_NODES, _WEIGHTS = np.polynomial.hermite.hermgauss(32)


def top_two_share(posterior: xr.Dataset, shift: float = 0.0) -> xr.DataArray:
    """P(top-two-box answer) of the no-failure control moved by `shift` logits, per draw and experiment
    (averaged over respondents and items). Needs cutpoints (item, cut) and respondent_sd; uses
    experiment_baseline where the model has one (several experiments)."""
    missing = [name for name in ("cutpoints", "respondent_sd", "recovery_effect") if name not in posterior]
    if missing:
        raise ValueError(f"the posterior lacks {missing}: pass an ordinal model's posterior (paradox.models.srp)")
    experiments = posterior["recovery_effect"]["experiment"]
    baseline = posterior["experiment_baseline"] if "experiment_baseline" in posterior else xr.zeros_like(
        posterior["respondent_sd"]).expand_dims(experiment=experiments)
    threshold = posterior["cutpoints"].isel(cut=-2, drop=True)  # between the third-highest and second-highest answer
    u = xr.DataArray(np.sqrt(2.0) * _NODES, dims="node")
    w = xr.DataArray(_WEIGHTS / np.sqrt(np.pi), dims="node")
    prob = (w * expit(baseline + shift + posterior["respondent_sd"] * u - threshold)).sum("node")
    return prob.mean("item")


def effect_in_answers(posterior: xr.Dataset, effects: Sequence[float] = (0.5, 1.0, 2.0)) -> pd.DataFrame:
    """One row per experiment and latent effect: the control's top-two-box share, the share after a shift by
    that effect, and the difference in percentage points (posterior means over draws)."""
    control = top_two_share(posterior).mean(("chain", "draw"))
    rows = []
    for effect in effects:
        shifted = top_two_share(posterior, effect).mean(("chain", "draw"))
        for experiment in control["experiment"].values:
            before, after = float(control.sel(experiment=experiment)), float(shifted.sel(experiment=experiment))
            rows.append({"experiment": str(experiment), "effect (logit)": float(effect),
                         "top-two share, control": before, "top-two share, shifted": after,
                         "difference (percentage points)": 100 * (after - before)})
    return pd.DataFrame(rows)


def describe(table: pd.DataFrame) -> str:
    """The table of `effect_in_answers` in words, one sentence per row."""
    return "\n".join(
        f"{row['experiment']}: a recovery effect of {row['effect (logit)']:g} "
        f"{'logit' if abs(row['effect (logit)']) == 1 else 'logits'} moves the share of top-two-box "
        f"answers from {row['top-two share, control']:.0%} (the control's level) to {row['top-two share, shifted']:.0%}"
        for _, row in table.iterrows())
