"""How much the SRP verdicts lean on the priors: the verdicts again under priors twice as wide and half as wide,
for the recovery effects, their spread across experiments (tau) and the respondent spread, one at a time.

No refits: the fitted draws are reweighted by the ratio of the new prior density to the old one, with
Pareto-smoothed importance sampling (Vehtari et al. 2024, JMLR 25(72)). Its Pareto k says when the reweighting
cannot stand in for a refit (k > PARETO_K_LIMIT: the row says so, and its numbers should not be read).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import xarray as xr
from arviz_stats.base import array_stats
from scipy import stats
from scipy.special import logsumexp

from paradox import verdict as decision
from paradox.design import Design
from paradox.models.srp import OrdinalPriors

#: Pareto k above which importance sampling cannot stand in for a refit (Vehtari et al. 2024).
PARETO_K_LIMIT = 0.7
#: A verdict probability within this many Monte Carlo SEs of the decision probability could lie on either side of
#: it with other draws (fast and full mode differ by about that much): a verdict that changes under another prior
#: only there is not counted as the prior's doing (`verdicts_unchanged`); the row says `near_threshold`.
MCSE_BAND = 3.0
#: Scale factors of the alternative priors: half and twice the default scale.
FACTORS = (0.5, 2.0)
#: Which prior scale of OrdinalPriors each alternative changes, and a readable name.
PRIORS = {"effect_sd": "recovery effects", "effect_spread": "tau (spread across experiments)",
          "respondent_sd": "respondent spread"}


def _log_prior(post: xr.Dataset, priors: OrdinalPriors) -> np.ndarray:
    """Log density, per draw, of the priors that PRIORS can change (the others cancel in the ratio)."""
    total = 0.0
    if "recovery_effect_mean" in post:  # pooled: effect = mean + tau * z
        total = total + stats.norm.logpdf(post["recovery_effect_mean"], 0, priors.effect_sd).sum(axis=-1)
        total = total + stats.halfnorm.logpdf(post["recovery_effect_tau"], 0, priors.effect_spread)
    else:
        total = total + stats.norm.logpdf(post["recovery_effect"], 0, priors.effect_sd).sum(axis=(-2, -1))
    return total + stats.halfnorm.logpdf(post["respondent_sd"], 0, priors.respondent_sd)


def prior_sensitivity(idata: xr.DataTree, design: Design, priors: OrdinalPriors = OrdinalPriors(),
                      method: str = "ordinal") -> pd.DataFrame:
    """One row per changed prior, factor and hypothesis: verdict, P(claim) and Pareto k; the fitted priors first."""
    post = idata["posterior"].to_dataset().stack(sample=("chain", "draw"))
    ordered = {name: post[name].transpose("sample", ...).to_numpy() for name in post.data_vars
               if name in ("recovery_effect_mean", "recovery_effect_tau", "recovery_effect", "respondent_sd")}
    base = _log_prior(ordered, priors)
    effects = post["recovery_effect"].transpose("sample", "experiment", "recovery_level")
    rule = design.rule("logit")
    alternatives = [("none (as fitted)", 1.0, priors)] + [
        (name, factor, replace(priors, **{name: getattr(priors, name) * factor}))
        for name in PRIORS for factor in FACTORS if name != "effect_spread" or "recovery_effect_tau" in post]
    mcse = _verdict_mcse(idata["posterior"]["recovery_effect"], rule.rope)
    rows = []
    for name, factor, alternative in alternatives:
        if factor == 1.0:
            weights, pareto_k = np.full(post.sizes["sample"], 1.0 / post.sizes["sample"]), 0.0
        else:
            # psislw smooths weights exp(-x) (it takes log-likelihoods, for leave-one-out): pass minus the log ratio.
            log_weights, pareto_k = array_stats.psislw(base - _log_prior(ordered, alternative))
            weights = np.exp(log_weights - logsumexp(log_weights))
        # Reweighting leaves 1 / sum(w^2) effective draws of the N: each Monte Carlo SE grows by sqrt(N sum(w^2)).
        inflation = float(np.sqrt(len(weights) * np.sum(weights ** 2)))
        for exp in design.experiments:
            if exp.moderator not in effects["experiment"].values:
                continue
            draws = effects.sel(experiment=exp.moderator)
            judgement = decision.judge(draws.sel(recovery_level="favourable").values,
                                       draws.sel(recovery_level="unfavourable").values, rule, weights)
            near = any(abs(judgement[c] - rule.probability) < MCSE_BAND * inflation * mcse[exp.moderator][c]
                       for c in decision.DECIDING_COLUMNS)
            rows.append({"prior changed": PRIORS.get(name, name), "scale factor": factor,
                         "hypothesis": exp.hypothesis, "method": method, "verdict": judgement["verdict"],
                         "p_claim": judgement["p_claim"], "near_threshold": near, "pareto_k": float(pareto_k),
                         "reliable": bool(pareto_k <= PARETO_K_LIMIT)})
    return pd.DataFrame(rows)


def _verdict_mcse(effects: xr.DataArray, rope: float) -> dict[str, dict[str, float]]:
    """Per experiment, the Monte Carlo SE of each verdict probability from the fitted chains."""
    return {str(e): decision.event_mcse(effects.sel(experiment=e, recovery_level="favourable").values,
                                        effects.sel(experiment=e, recovery_level="unfavourable").values, rope)
            for e in effects["experiment"].values}


def verdicts_unchanged(sensitivity: pd.DataFrame) -> bool:
    """True when, among the reliable rows, every hypothesis gets one verdict under every prior, beyond Monte Carlo
    error: a verdict that differs from the fitted prior's, where either lies within MCSE_BAND Monte Carlo SEs of the
    decision probability (`near_threshold`), could differ with other draws alone, and does not count."""
    reliable = sensitivity[sensitivity["reliable"]]
    for _, rows in reliable.groupby(["hypothesis", "method"]):
        fitted = rows[rows["scale factor"] == 1.0].iloc[0]
        changed = rows[(rows["verdict"] != fitted["verdict"]) & ~rows["near_threshold"]]
        if len(changed) and not fitted["near_threshold"]:
            return False
    return True


def near_threshold_rows(sensitivity: pd.DataFrame) -> str:
    """The rows whose verdict lies within Monte Carlo error of the decision probability, one phrase each."""
    near = sensitivity[sensitivity["near_threshold"]]
    return "; ".join(f"{r['hypothesis']} ({r['prior changed']} x {r['scale factor']:g}: P(claim) {r['p_claim']:.3f})"
                     for _, r in near.iterrows()) or "none"
