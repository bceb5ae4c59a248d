"""Bayesian criteria: the replication Bayes factor and the posterior with the original as prior.

* Replication Bayes factor (Verhagen & Wagenmakers 2014, J Exp Psychol Gen 143(4), 1457-1475): the
  evidence of the replication for H_r, "the effect is what the original study says" (the original's
  posterior under a flat prior), against H_0, "no effect". With two t-tests it is exact: a noncentral-t
  likelihood for the replication, integrated over the original's exact posterior of the standardised
  effect (Pawel & Held 2022, JRSS B 84(3), 879-911, section 4). Otherwise the normal approximation
  BF_r0 = N(theta_r; theta_o, se_o^2 + se_r^2) / N(theta_r; 0, se_r^2).
* The posterior of the effect with the original as an informed prior N(theta_o, se_o^2) and a normal
  likelihood of the replication is normal, exactly (conjugacy): its mean and variance are those of the
  fixed-effect combination of the two studies. `paradox.verdict` then judges it with the region of
  practical equivalence.
* With a raw survey, the replication is the SRP model's posterior draws; the original enters by
  importance weights proportional to its (normal) likelihood at each draw, which turns the posterior
  given the replication into the posterior given both studies under the model's own prior. The
  effective number of draws after weighting is reported.
"""

from __future__ import annotations

import numpy as np
from scipy import integrate, stats

from paradox.replication.criteria import LEVEL, Estimate, fixed_effect
from paradox.settings import SEED
from paradox.verdict import ROPE_LOGIT, DecisionRule, judge

#: The region of practical equivalence on the standardised (d) scale: the package's ROPE_LOGIT, 0.1 of the
#: logistic SD pi/sqrt(3), is 0.1 SD: Kruschke's (2018) default of half a small effect.
ROPE_D = round(ROPE_LOGIT * np.sqrt(3) / np.pi, 2)
#: Draws of each posterior for the verdict's joint probabilities: Monte Carlo error of a probability
#: at most 0.5 / sqrt(200,000) = 0.0011.
VERDICT_DRAWS = 200_000
#: Grid of the exact Bayes factor's outer integral over the effect (in original posterior SDs either side).
_GRID_SDS, _GRID_POINTS = 10.0, 4001


def bf_normal(original: Estimate, replication: Estimate) -> float:
    """BF_r0 under normal approximations to both likelihoods (> 1: the data favour the original's effect)."""
    log_hr = stats.norm.logpdf(replication.value, original.value, np.hypot(original.se, replication.se))
    log_h0 = stats.norm.logpdf(replication.value, 0.0, replication.se)
    return float(np.exp(log_hr - log_h0))


def original_posterior_density(delta, original: Estimate):
    """Density of the standardised effect after the original t-test under a flat prior, exact:
    a mixture over the precision tau ~ Gamma((df + 1)/2, rate df/2) of N(t sqrt(tau / n~), 1 / n~)."""
    delta = np.atleast_1d(np.asarray(delta, dtype=float))
    df, n_tilde = original.df, original.n_tilde
    precision = stats.gamma(a=(df + 1) / 2, scale=2 / df)

    def integrand(tau):
        return stats.norm.pdf(delta, original.t * np.sqrt(tau / n_tilde), np.sqrt(1 / n_tilde)) * precision.pdf(tau)

    density, _ = integrate.quad_vec(integrand, 0.0, np.inf, epsabs=1e-13, epsrel=1e-10)
    return density


def noncentral_t_pdf(t: float, df: float, ncp) -> np.ndarray:
    """Density of the noncentral t at t, for an array of noncentrality parameters, as a mixture over
    tau = chi^2_df / df ~ Gamma(df/2, rate df/2) of t | tau ~ N(ncp, 1) / sqrt(tau). (scipy's nct.pdf
    overflows at the df of large replications.)"""
    ncp = np.asarray(ncp, dtype=float)
    scaling = stats.gamma(a=df / 2, scale=2 / df)

    def integrand(tau):
        root = np.sqrt(tau)
        return stats.norm.pdf(t * root - ncp) * root * scaling.pdf(tau)

    density, _ = integrate.quad_vec(integrand, 0.0, np.inf, epsabs=1e-14, epsrel=1e-10)
    return density


def bf_t(original: Estimate, replication: Estimate) -> float:
    """BF_r0 of two two-sample t-tests, exact (Verhagen & Wagenmakers 2014; Pawel & Held 2022, eq. in s. 4)."""
    centre, spread = original.t / np.sqrt(original.n_tilde), np.sqrt(1 / original.n_tilde + original.t**2
                                                                       / (2 * original.df * original.n_tilde))
    grid = np.linspace(centre - _GRID_SDS * spread, centre + _GRID_SDS * spread, _GRID_POINTS)
    posterior = original_posterior_density(grid, original)
    likelihood = noncentral_t_pdf(replication.t, replication.df, grid * np.sqrt(replication.n_tilde))
    marginal_hr = integrate.simpson(likelihood * posterior, x=grid)
    marginal_h0 = float(stats.t.pdf(replication.t, replication.df))
    return float(marginal_hr / marginal_h0)


def replication_bayes_factor(original: Estimate, replication: Estimate) -> dict:
    exact = original.has_t and replication.has_t
    bf = bf_t(original, replication) if exact else bf_normal(original, replication)
    return {"bf_r0": bf, "bf_method": "exact t" if exact else "normal approximation"}


def informed_posterior(original: Estimate, replication: Estimate, rope: float = ROPE_D,
                       level: float = LEVEL) -> dict:
    """The posterior of the effect with the original as prior: mean, SD, interval, and where it lies
    relative to the region of practical equivalence [-rope, rope]."""
    combined = fixed_effect([original.value, replication.value], [original.se, replication.se], level)
    mean, sd = combined["estimate"], combined["se"]
    above = float(stats.norm.sf(rope, mean, sd))
    below = float(stats.norm.cdf(-rope, mean, sd))
    return {"posterior_mean": mean, "posterior_sd": sd, "posterior_lower": combined["lower"],
            "posterior_upper": combined["upper"], "p_above_rope": above, "p_in_rope": 1 - above - below,
            "p_below_rope": below}


def likelihood_weights(originals: list[Estimate], draws: list[np.ndarray]) -> np.ndarray:
    """Normalised importance weights: the product of the originals' normal likelihoods at each joint draw."""
    log_w = sum(stats.norm.logpdf(o.value, np.asarray(d, dtype=float), o.se) for o, d in zip(originals, draws))
    w = np.exp(log_w - np.max(log_w))
    return w / w.sum()


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order]) - weights[order] / 2
    return float(np.interp(q, cumulative, values[order]))


def informed_posterior_from_draws(original: Estimate, draws: np.ndarray, rope: float = ROPE_D,
                                  level: float = LEVEL) -> dict:
    """`informed_posterior` for a replication given as posterior draws (see the module notes)."""
    draws = np.asarray(draws, dtype=float)
    w = likelihood_weights([original], [draws])
    mean = float(np.sum(w * draws))
    sd = float(np.sqrt(np.sum(w * (draws - mean) ** 2)))
    tail = (1 - level) / 2
    above, below = float(w[draws > rope].sum()), float(w[draws < -rope].sum())
    return {"posterior_mean": mean, "posterior_sd": sd, "posterior_lower": _weighted_quantile(draws, w, tail),
            "posterior_upper": _weighted_quantile(draws, w, 1 - tail), "p_above_rope": above,
            "p_in_rope": 1 - above - below, "p_below_rope": below, "effective_draws": float(1 / np.sum(w**2))}


def moderator_verdict_from_draws(favourable, unfavourable, rope: float = ROPE_D, seed: int = SEED) -> dict:
    """`paradox.verdict` on the joint draws of a moderator's two recovery effects (a raw-survey replication),
    resampled by the originals' likelihoods: here the two effects keep their correlation."""
    w = likelihood_weights([favourable.original, unfavourable.original], [favourable.draws, unfavourable.draws])
    index = np.random.default_rng(seed).choice(len(w), size=VERDICT_DRAWS, p=w)
    return judge(favourable.draws[index], unfavourable.draws[index], DecisionRule(rope=rope))


def moderator_verdict(favourable: dict, unfavourable: dict, rope: float = ROPE_D,
                      seed: int = SEED) -> dict:
    """`paradox.verdict` on the informed posteriors of one moderator's two recovery effects.

    The two posteriors are drawn independently: summary statistics per contrast carry no covariance
    between them, although the two effects share the no-failure group (which makes them positively
    correlated and the probability of 'delta_fav > delta_unfav' here slightly too cautious).
    """
    rng = np.random.default_rng(seed)
    fav = rng.normal(favourable["posterior_mean"], favourable["posterior_sd"], VERDICT_DRAWS)
    unfav = rng.normal(unfavourable["posterior_mean"], unfavourable["posterior_sd"], VERDICT_DRAWS)
    return judge(fav, unfav, DecisionRule(rope=rope))
