"""How much the Bayesian conclusions lean on single studies and on the prior for tau."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import xarray as xr
from arviz_stats.base import array_stats
from scipy.special import logsumexp

from paradox.meta.model import MetaPriors, fit, membership_matrix, pooled_effects, study_log_likelihood
from paradox.meta.table import StudyTable
from paradox.settings import SamplerSettings

#: Pareto k above which importance sampling cannot stand in for a refit (Vehtari et al. 2024).
PARETO_K_LIMIT = 0.7


def tau_prior_alternatives(base: MetaPriors) -> list[MetaPriors]:
    """The default tau prior, half and twice its scale, and a heavy-tailed half-Cauchy of the same scale."""
    return [
        base,
        replace(base, tau_scale=base.tau_scale / 2),
        replace(base, tau_scale=base.tau_scale * 2),
        replace(base, tau_prior="halfcauchy"),
    ]


def prior_sensitivity(table: StudyTable, settings: SamplerSettings, base: MetaPriors | None = None,
                      fits: dict[str, xr.DataTree] | None = None) -> pd.DataFrame:
    """Refit the random-effects model under each tau prior; pooled effects per prior and outcome.

    `fits` is a cache of posteriors keyed by the prior's tau label: fits in it (e.g. the main
    one) are not redone, and the new fits are added to it (for their convergence checks)."""
    base = base or MetaPriors.for_table(table)
    fits = {} if fits is None else fits
    frames = []
    for priors in tau_prior_alternatives(base):
        idata = fits.get(priors.tau_label)
        if idata is None:
            idata = fits[priors.tau_label] = fit(table, settings, priors)
        pooled = pooled_effects(idata, table)
        pooled.insert(0, "tau_prior", priors.tau_label + (" (default)" if priors == base else ""))
        frames.append(pooled)
    return pd.concat(frames, ignore_index=True)


def verdicts_unchanged(sensitivity: pd.DataFrame) -> bool:
    """True when every outcome gets the same verdict under every tau prior."""
    return bool(sensitivity.groupby("outcome")["verdict"].nunique().eq(1).all())


def _study_log_likelihood(idata: xr.DataTree, table: StudyTable) -> np.ndarray:
    """draws x studies: log p(y_s | parameters), the study's own deviations integrated out."""
    post = idata["posterior"].to_dataset().stack(sample=("chain", "draw"))
    outcome = table.effects["outcome"].cat.codes.to_numpy()
    mean = post["mu_effect"].transpose("sample", "effect").to_numpy()
    tau2 = post["tau"].transpose("sample", "outcome").to_numpy()[:, outcome] ** 2
    sigma2 = post["sigma_study"].to_numpy()[:, None] ** 2 if "sigma_study" in post else 0.0
    return study_log_likelihood(table.effects["yi"].to_numpy() - mean, table.effects["vi"].to_numpy() + tau2,
                                sigma2, membership_matrix(table))


def bayes_leave_one_out(idata: xr.DataTree, table: StudyTable) -> pd.DataFrame:
    """The pooled effects without each study, by Pareto-smoothed importance sampling (no refits).

    Weights are 1 / p(y_study | parameters); a Pareto k above PARETO_K_LIMIT means the
    study is too influential for the shortcut and the row says to refit without it."""
    mu = idata["posterior"]["mu"].stack(sample=("chain", "draw")).transpose("sample", "outcome")
    rows = []
    for study, log_lik in zip(table.studies, _study_log_likelihood(idata, table).T):
        log_weights, pareto_k = array_stats.psislw(log_lik)
        weights = np.exp(log_weights - logsumexp(log_weights))
        studies_outcomes = set(table.effects.loc[table.effects["study_id"] == study, "outcome"])
        for outcome in table.outcomes:
            if outcome not in studies_outcomes:
                continue
            draws = mu.sel(outcome=outcome).to_numpy()
            loo_mean = float(weights @ draws)
            rows.append({"outcome": outcome, "left_out": study, "mu_mean": loo_mean,
                         "p_positive": float(weights @ (draws > 0)), "change_in_mu": loo_mean - float(draws.mean()),
                         "pareto_k": float(pareto_k), "reliable": bool(pareto_k <= PARETO_K_LIMIT)})
    return pd.DataFrame(rows)
