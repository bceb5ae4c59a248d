"""Classical (frequentist) random-effects meta-analysis: REML and DerSimonian-Laird.

Used to check the engine against published fits (metafor's `rma`), as the empirical-Bayes
companion of the Bayesian model, and for the regression-based publication-bias checks
(Egger, PET-PEESE). Each outcome is analysed on its own here: effects of one outcome are
taken as independent (the Bayesian model is the one that nests effects in studies).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from paradox.meta.table import StudyTable

#: Largest tau^2 searched, in multiples of the observed spread of the effects.
TAU2_SEARCH_FACTOR = 100.0
#: PET-PEESE: PEESE is used when PET's intercept differs from zero at this two-sided level
#: (a one-sided 5% test in the direction of the estimate; Stanley & Doucouliagos 2014).
PET_ALPHA = 0.10


def typical_variance(vi) -> float:
    """Higgins & Thompson's (2002) 'typical' within-study variance, the denominator of I^2."""
    w = 1.0 / np.asarray(vi, dtype=float)
    if len(w) < 2:
        return float(1.0 / w.sum())
    return float((len(w) - 1) * w.sum() / (w.sum() ** 2 - (w**2).sum()))


def _gls(yi, vi, tau2, X):
    """Weighted least squares with weights 1 / (v_i + tau^2): coefficients and their covariance."""
    w = 1.0 / (vi + tau2)
    xtwx = X.T @ (w[:, None] * X)
    cov = np.linalg.inv(xtwx)
    return cov @ (X.T @ (w * yi)), cov


def _restricted_nll(tau2, yi, vi, X):
    """Minus the restricted (REML) log-likelihood, constants dropped."""
    beta, cov = _gls(yi, vi, tau2, X)
    resid = yi - X @ beta
    return 0.5 * (np.log(vi + tau2).sum() - np.linalg.slogdet(cov)[1] + (resid**2 / (vi + tau2)).sum())


def reml_tau2(yi, vi, X=None) -> float:
    """REML estimate of the between-study variance tau^2 (bounded at zero)."""
    yi, vi, X = _arrays(yi, vi, X)
    if len(yi) <= X.shape[1]:
        return 0.0
    upper = TAU2_SEARCH_FACTOR * max(float(np.var(yi)), float(vi.max()))
    result = optimize.minimize_scalar(_restricted_nll, bounds=(0.0, upper), args=(yi, vi, X), method="bounded",
                                      options={"xatol": 1e-12})
    return float(result.x) if _restricted_nll(result.x, yi, vi, X) < _restricted_nll(0.0, yi, vi, X) else 0.0


def dersimonian_laird_tau2(yi, vi) -> float:
    """DerSimonian & Laird's (1986) method-of-moments tau^2."""
    yi, vi, _ = _arrays(yi, vi, None)
    w = 1.0 / vi
    q = cochran_q(yi, vi)
    return float(max(0.0, (q - (len(yi) - 1)) / (w.sum() - (w**2).sum() / w.sum())))


def cochran_q(yi, vi, X=None) -> float:
    """Cochran's Q: the weighted residual sum of squares of the fixed-effect fit."""
    yi, vi, X = _arrays(yi, vi, X)
    beta, _ = _gls(yi, vi, 0.0, X)
    return float(((yi - X @ beta) ** 2 / vi).sum())


def _arrays(yi, vi, X):
    yi, vi = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    X = np.ones((len(yi), 1)) if X is None else np.asarray(X, dtype=float)
    return yi, vi, X


@dataclass(frozen=True)
class RandomEffectsFit:
    """A classical random-effects fit: pooled mean with its 95% CI, tau^2, Q, I^2 and the
    95% prediction interval for a new study (Higgins, Thompson & Spiegelhalter 2009: t with k - 2 df)."""

    method: str
    k: int
    mu: float
    se: float
    ci_lower: float
    ci_upper: float
    p_value: float
    tau2: float
    q: float
    q_p_value: float
    i2: float
    pi_lower: float
    pi_upper: float

    def as_dict(self) -> dict:
        return asdict(self)


def random_effects(yi, vi, method: str = "REML") -> RandomEffectsFit:
    """Random-effects meta-analysis of yi with variances vi (method REML or DL)."""
    yi, vi, X = _arrays(yi, vi, None)
    tau2 = reml_tau2(yi, vi) if method == "REML" else dersimonian_laird_tau2(yi, vi)
    beta, cov = _gls(yi, vi, tau2, X)
    mu, se = float(beta[0]), float(np.sqrt(cov[0, 0]))
    k, q, z = len(yi), cochran_q(yi, vi), stats.norm.ppf(0.975)
    half_pi = stats.t.ppf(0.975, k - 2) * np.sqrt(tau2 + se**2) if k > 2 else np.nan
    return RandomEffectsFit(
        method=method, k=k, mu=mu, se=se, ci_lower=mu - z * se, ci_upper=mu + z * se,
        p_value=float(2 * stats.norm.sf(abs(mu / se))), tau2=tau2, q=q,
        q_p_value=float(stats.chi2.sf(q, k - 1)) if k > 1 else np.nan,
        i2=float(tau2 / (tau2 + typical_variance(vi))), pi_lower=mu - half_pi, pi_upper=mu + half_pi,
    )


def by_outcome(table: StudyTable, method: str = "REML") -> pd.DataFrame:
    """One classical random-effects fit per outcome."""
    rows = [
        {"outcome": outcome, **random_effects(part["yi"], part["vi"], method).as_dict()}
        for outcome in table.outcomes
        if len(part := table.for_outcome(outcome))
    ]
    return pd.DataFrame(rows)


def meta_regression(yi, vi, X: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """Mixed-effects meta-regression by REML: coefficient table (estimate, se, z-test) and tau^2."""
    tau2 = reml_tau2(yi, vi, X.to_numpy())
    beta, cov = _gls(np.asarray(yi, float), np.asarray(vi, float), tau2, X.to_numpy(dtype=float))
    se = np.sqrt(np.diag(cov))
    table = pd.DataFrame({"term": X.columns, "estimate": beta, "se": se, "p_value": 2 * stats.norm.sf(np.abs(beta / se))})
    return table, tau2


def _wls(y, X, w) -> tuple[np.ndarray, np.ndarray, int]:
    """Weighted least squares with an estimated residual scale (as in Egger's test): coef, se, df."""
    sw = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)
    df = len(y) - X.shape[1]
    scale = ((y - X @ coef) ** 2 * w).sum() / df
    cov = scale * np.linalg.inv(X.T @ (w[:, None] * X))
    return coef, np.sqrt(np.diag(cov)), df


def egger_and_pet_peese(yi, vi) -> dict:
    """Funnel-asymmetry checks on one outcome.

    Egger et al. (1997): regressing y/se on 1/se is the same as regressing y on se with
    weights 1/v, so one fit gives both Egger's asymmetry test (the slope on se) and
    PET's bias-corrected effect (its intercept). PEESE regresses on v instead of se; PET-PEESE
    reports PEESE when PET's intercept differs from zero (p < PET_ALPHA), else PET.
    """
    yi, vi, _ = _arrays(yi, vi, None)
    k = len(yi)
    result = {"k": k}
    if k < 4:
        return result | {"note": "too few effects (needs 4) for the regression tests"}
    se, w = np.sqrt(vi), 1.0 / vi
    if np.ptp(se) <= 1e-9 * se.max():
        # A regression on the standard error needs studies of different sizes (else its design matrix is singular).
        return result | {"note": "every effect has the same standard error: the regression tests need different "
                                 "study sizes"}
    pet, pet_se, df = _wls(yi, np.column_stack([np.ones(k), se]), w)
    peese, peese_se, _ = _wls(yi, np.column_stack([np.ones(k), vi]), w)
    p = lambda est, s: float(2 * stats.t.sf(abs(est / s), df))  # noqa: E731 - two-sided t-test
    use_peese = p(pet[0], pet_se[0]) < PET_ALPHA
    return result | {
        "egger_bias": float(pet[1]), "egger_se": float(pet_se[1]), "egger_p_value": p(pet[1], pet_se[1]),
        "pet_estimate": float(pet[0]), "pet_se": float(pet_se[0]), "pet_p_value": p(pet[0], pet_se[0]),
        "peese_estimate": float(peese[0]), "peese_se": float(peese_se[0]),
        "pet_peese_estimate": float(peese[0] if use_peese else pet[0]), "pet_peese_uses": "PEESE" if use_peese else "PET",
        "note": "",
    }


def publication_bias(table: StudyTable, by: str | None = None) -> pd.DataFrame:
    """Egger's test and PET-PEESE for each outcome, or within each level of the moderator `by`:
    a moderator that goes with study size (say, student samples are smaller and show larger
    effects) makes a funnel asymmetric without any publication bias (Sterne et al. 2011)."""
    rows = []
    for outcome in table.outcomes:
        part = table.for_outcome(outcome)
        groups = [(None, part)] if by is None else part.groupby(by, observed=True)
        for level, group in groups:
            rows.append({"outcome": outcome, **({by: level} if by else {}), **egger_and_pet_peese(group["yi"], group["vi"])})
    return pd.DataFrame(rows)


def leave_one_out(table: StudyTable, method: str = "REML") -> pd.DataFrame:
    """Refit each outcome without each study in turn: the pooled effect and tau^2 that remain."""
    rows = []
    for outcome in table.outcomes:
        part = table.for_outcome(outcome)
        full = random_effects(part["yi"], part["vi"], method)
        for study in part["study_id"].unique():
            rest = part[part["study_id"] != study]
            if len(rest) < 2:
                continue
            fit = random_effects(rest["yi"], rest["vi"], method)
            rows.append({"outcome": outcome, "left_out": study, "k": fit.k, "mu": fit.mu, "se": fit.se,
                         "ci_lower": fit.ci_lower, "ci_upper": fit.ci_upper, "tau2": fit.tau2, "i2": fit.i2,
                         "change_in_mu": fit.mu - full.mu})
    return pd.DataFrame(rows)
