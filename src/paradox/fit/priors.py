"""The priors of `paradox fit` as its report states them, and the prior-dominance check of every fit.

The check itself is paradox.meta's (`prior_dominance`: posterior sd / prior sd per reported parameter,
flagged above PRIOR_DOMINANCE_LIMIT, when the data have not even halved the prior's uncertainty); this
module only says what each parameter's prior is, in the regression and in the SRP ordinal model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from paradox.meta.model import prior_dominance, prior_warnings
from paradox.models.regression import RegressionModel
from paradox.models.srp import GaussianPriors, OrdinalPriors

#: The sd of HalfNormal(1): a half-normal prior's sd is its scale times this.
HALF_NORMAL_SD = float(np.sqrt(1.0 - 2.0 / np.pi))
#: Where a user sets the priors, for the warnings.
WHERE_TO_SET = "the config's `priors`, `srp_priors` and `srp_gaussian_priors`; README, 'Priors'"


@dataclass(frozen=True)
class PriorTable:
    """Each model variable's prior, as text and its sd: `prior(variable)`, as prior_dominance asks."""

    priors: dict[str, tuple[str, float]]

    def prior(self, variable: str) -> tuple[str, float]:
        return self.priors[variable]

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(self.priors)

    def as_table(self, model: str) -> pd.DataFrame:
        return pd.DataFrame([{"model": model, "variable": v, "prior": text, "prior_sd": sd}
                             for v, (text, sd) in self.priors.items()])


def regression_priors(regression: RegressionModel) -> PriorTable:
    """The priors of the regression (paradox.models.regression), as it was built with them."""
    family = regression.spec.family
    p = regression.spec.priors.resolved(family, regression.survey.spec.scale)
    table = {}
    for term in regression.terms:
        if term.is_block:  # as the SRP model's recovery effects, pooled or not
            table.update(_recovery_effect_priors(p.effect_sd, p.effect_spread, term.pooling, term.name))
        else:
            table[term.name] = (f"Normal(0, {p.effect_sd:.4g})", p.effect_sd)
    if family == "ordinal":
        # Its prior applies at the average predictors; the reported cutpoints are at the baselines.
        per_item = ", per item" if regression.spec.cutpoints == "per_item" else ""
        table["cutpoints"] = (f"Normal(0, {p.cutpoint_sd:.4g}), ordered{per_item}", p.cutpoint_sd)
    else:
        lo, hi = regression.survey.spec.scale
        table["intercept"] = (f"Normal({(lo + hi) / 2:.4g}, {p.intercept_sd:.4g})", p.intercept_sd)
        table["sigma"] = (f"HalfNormal({p.sigma_sd:.4g})", p.sigma_sd * HALF_NORMAL_SD)
    for name, scale in (("group_sd", p.group_sd), ("respondent_sd", p.respondent_sd)):
        if scale is not None:
            table[name] = (f"HalfNormal({scale:.4g})", scale * HALF_NORMAL_SD)
    return PriorTable(table)


def srp_priors(priors: OrdinalPriors, pooled: bool,
               adjustments: dict[str, tuple[str, float]] | None = None) -> PriorTable:
    """The priors of the SRP ordinal model (paradox.models.srp) that the verdicts rest on. Pooled, each
    experiment's recovery effect is mean + tau z, whose prior sd is sqrt(effect_sd^2 + effect_spread^2).
    adjustments: the priors of what the model adjusts for (paradox.models.srp.adjustment_priors)."""
    table = {"respondent_sd": (f"HalfNormal({priors.respondent_sd:.4g})", priors.respondent_sd * HALF_NORMAL_SD)}
    return PriorTable({**table, **_recovery_effect_priors(priors.effect_sd, priors.effect_spread, pooled),
                       **(adjustments or {})})


def srp_gaussian_priors(priors: GaussianPriors, pooled: bool, scale_points: int) -> PriorTable:
    """The priors of the SRP Gaussian model of scale means (paradox.models.srp.gaussian_model), in scale points
    (its baseline's prior is centred on the midpoint of 1..scale_points unless baseline_mean says otherwise)."""
    centre = priors.baseline_mean if priors.baseline_mean is not None else (1 + scale_points) / 2
    table = {"baseline_mean": (f"Normal({centre:.4g}, {priors.baseline_sd:.4g})", priors.baseline_sd),
             "cell_sd": (f"HalfNormal({priors.sigma_scale:.4g})", priors.sigma_scale * HALF_NORMAL_SD)}
    return PriorTable({**table, **_recovery_effect_priors(priors.effect_sd, priors.effect_spread, pooled)})


def _recovery_effect_priors(effect_sd: float, effect_spread: float, pooled: bool,
                            name: str = "recovery_effect") -> dict[str, tuple[str, float]]:
    """The priors of a block of effects `name` (ordinal.partially_pooled), pooled or not."""
    if not pooled:
        return {name: (f"Normal(0, {effect_sd:.4g})", effect_sd)}
    return {f"{name}_mean": (f"Normal(0, {effect_sd:.4g})", effect_sd),
            f"{name}_tau": (f"HalfNormal({effect_spread:.4g})", effect_spread * HALF_NORMAL_SD),
            name: ("mean + tau z, from the two above", float(np.hypot(effect_sd, effect_spread)))}


def prior_check(fits: list[tuple[str, xr.DataTree, PriorTable]]) -> tuple[pd.DataFrame, list[str]]:
    """The prior-dominance check of each (model name, posterior, priors), and one warning per parameter a
    prior decides (without paradox.meta's 'WARNING' prefix: `paradox fit` prints its own)."""
    checks, cautions = [], []
    for model, idata, table in fits:
        check = prior_dominance(idata, table, table.variables).assign(model=model)
        checks.append(check)
        cautions += [line.replace(f"WARNING ({model}): ", f"{model}: ", 1)
                     for line in prior_warnings(check, model, WHERE_TO_SET)]
    return pd.concat(checks, ignore_index=True), cautions
