"""The established criteria of replication success, each from an original and a replication estimate.

Every function takes `Estimate`s on one standardised scale (Hedges' g, positive = paradox) and returns
numbers, never a bare yes or no: the decision each criterion makes is reported with the quantity
behind it. Normal approximations are used where the estimate is all there is; where a study is a
two-group comparison with known group sizes (`Estimate.t` set), the criteria that were defined on
Student's t (significance, small telescopes) use it exactly.

References (the tests check each formula against the worked example cited there):
* significance in the same direction and the original inside the replication's 95% CI: Open Science
  Collaboration (2015), Science 349, aac4716.
* the replication inside the original's 95% prediction interval: Patil, Peng & Leek (2016), Perspectives
  on Psychological Science 11(4), 539-544; with shrinkage, Pawel & Held (2020), PLoS ONE 15(4), e0231416.
* small telescopes: Simonsohn (2015), Psychological Science 26(5), 559-569.
* fixed-effect (inverse-variance) combination: Borenstein et al. (2009), Introduction to Meta-Analysis, ch. 11.
* the sceptical p-value: Held (2020), JRSS A 183(2), 431-448; its golden recalibration: Held, Micheloud &
  Pawel (2022), Annals of Applied Statistics 16, 706-720.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

#: Level of every interval and two-sided test unless said otherwise.
LEVEL = 0.95
#: The power that defines a small telescope's d33% (Simonsohn 2015).
TELESCOPE_POWER = 1 / 3
#: One-sided level of the small-telescopes test (the upper end of the replication's 90% CI below d33%).
TELESCOPE_ALPHA = 0.05
#: One-sided level at which the sceptical p-value is recalibrated (Held, Micheloud & Pawel 2022).
SCEPTICAL_ALPHA = 0.025
#: The golden ratio: with it, an original study just significant at SCEPTICAL_ALPHA can only be replicated
#: by a replication estimate at least as large as the original one.
GOLDEN = (1 + np.sqrt(5)) / 2


@dataclass(frozen=True)
class Estimate:
    """One study's effect on the standardised scale, and what the exact t-based methods need."""

    value: float
    se: float
    #: Group sizes and Student's t of a two-group comparison, when known.
    n1: float | None = None
    n2: float | None = None
    t: float | None = None

    def __post_init__(self):
        if not (np.isfinite(self.value) and np.isfinite(self.se) and self.se > 0):
            raise ValueError(f"an estimate needs a finite value and a positive standard error, not "
                             f"{self.value!r} (SE {self.se!r})")

    @property
    def has_t(self) -> bool:
        return self.t is not None and self.n1 is not None and self.n2 is not None

    @property
    def df(self) -> float:
        return self.n1 + self.n2 - 2

    @property
    def n_tilde(self) -> float:
        """The effective size of a two-group comparison, 1 / (1/n1 + 1/n2): t = d sqrt(n_tilde)."""
        return 1.0 / (1.0 / self.n1 + 1.0 / self.n2)

    @property
    def z(self) -> float:
        return self.value / self.se


def _z(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def p_two_sided(est: Estimate) -> float:
    """Two-sided p of 'no effect': Student's t when the study is a two-group t-test, else the normal z."""
    if est.has_t:
        return float(2 * stats.t.sf(abs(est.t), est.df))
    return float(2 * stats.norm.sf(abs(est.z)))


def significance(original: Estimate, replication: Estimate, alpha: float = 1 - LEVEL) -> dict:
    """Is the replication significant (two-sided, alpha) in the original's direction?"""
    p = p_two_sided(replication)
    same = np.sign(replication.value) == np.sign(original.value)
    return {"p_original": p_two_sided(original), "p_replication": p, "same_direction": bool(same),
            "significant_same_direction": bool(same and p < alpha)}


def interval(est: Estimate, level: float = LEVEL) -> tuple[float, float]:
    """The normal (Wald) confidence interval of an estimate."""
    half = _z(level) * est.se
    return est.value - half, est.value + half


def original_in_replication_ci(original: Estimate, replication: Estimate, level: float = LEVEL) -> dict:
    """Does the replication's confidence interval contain the original estimate?"""
    lower, upper = interval(replication, level)
    return {"ci_lower": lower, "ci_upper": upper, "original_inside": bool(lower <= original.value <= upper)}


def prediction_interval(original: Estimate, replication_se: float, level: float = LEVEL,
                        shrinkage: bool = False) -> tuple[float, float, float]:
    """(lower, mean, upper) of the replication estimate predicted from the original.

    The predictive distribution is N(s theta_o, s se_o^2 + se_r^2): s = 1 (Patil et al. 2016) or, with
    `shrinkage`, the empirical-Bayes factor s = max(0, 1 - 1/z_o^2) (Pawel & Held 2020), which allows for
    the original being selected for significance.
    """
    s = max(0.0, 1.0 - 1.0 / original.z**2) if shrinkage else 1.0
    mean = s * original.value
    sd = np.sqrt(s * original.se**2 + replication_se**2)
    half = _z(level) * sd
    return mean - half, mean, mean + half


def replication_in_prediction_interval(original: Estimate, replication: Estimate, level: float = LEVEL) -> dict:
    lower, _, upper = prediction_interval(original, replication.se, level)
    return {"pi_lower": lower, "pi_upper": upper, "replication_inside": bool(lower <= replication.value <= upper)}


def _power_t(d: float, n_tilde: float, df: float, alpha: float) -> float:
    """Power of the two-sided two-sample t-test at effect d (both tails, as R's pwr.t2n.test)."""
    crit = stats.t.isf(alpha / 2, df)
    ncp = d * np.sqrt(n_tilde)
    return float(stats.nct.sf(crit, df, ncp) + stats.nct.cdf(-crit, df, ncp))


def _power_z(d: float, se: float, alpha: float) -> float:
    crit = stats.norm.isf(alpha / 2)
    return float(stats.norm.sf(crit - d / se) + stats.norm.cdf(-crit - d / se))


def d33(original: Estimate, power: float = TELESCOPE_POWER, alpha: float = 1 - LEVEL) -> float:
    """The effect the original study had `power` (33%) to detect, two-sided at `alpha` (Simonsohn 2015)."""
    if original.has_t:
        gap = lambda d: _power_t(d, original.n_tilde, original.df, alpha) - power  # noqa: E731
    else:
        gap = lambda d: _power_z(d, original.se, alpha) - power  # noqa: E731
    upper = 1.0
    while gap(upper) < 0:
        upper *= 2
    return float(optimize.brentq(gap, 0.0, upper, xtol=1e-12))


def small_telescopes(original: Estimate, replication: Estimate, alpha: float = TELESCOPE_ALPHA) -> dict:
    """Simonsohn's test: is the replication's effect significantly smaller than d33%?

    Everything is in the original's direction. p is one-sided, P(replication this small | effect = d33%):
    the noncentral t of the replication's t-test when known, else the normal. Also reported: the upper end
    of the replication's (1 - 2 alpha) = 90% interval, which lies below d33% exactly when p < alpha.
    """
    sign = 1.0 if original.value >= 0 else -1.0
    threshold = d33(original)
    value = sign * replication.value
    if replication.has_t:
        p = float(stats.nct.cdf(sign * replication.t, replication.df, threshold * np.sqrt(replication.n_tilde)))
    else:
        p = float(stats.norm.cdf((value - threshold) / replication.se))
    upper90 = value + stats.norm.isf(alpha) * replication.se
    return {"d33": sign * threshold, "p_smaller_than_d33": p, "upper90": sign * upper90,
            "too_small_to_have_been_seen": bool(p < alpha)}


def fixed_effect(values, ses, level: float = LEVEL) -> dict:
    """Inverse-variance (fixed-effect) combination of estimates: pooled value, SE, z, two-sided p, interval."""
    values, ses = np.asarray(values, dtype=float), np.asarray(ses, dtype=float)
    weights = 1.0 / ses**2
    pooled = float(np.sum(weights * values) / np.sum(weights))
    se = float(1.0 / np.sqrt(np.sum(weights)))
    half = _z(level) * se
    return {"estimate": pooled, "se": se, "z": pooled / se, "p": float(2 * stats.norm.sf(abs(pooled / se))),
            "lower": pooled - half, "upper": pooled + half}


def sceptical_z(z_o: float, z_r: float, c: float) -> float:
    """z of the sceptical p-value (Held 2020): z_S^2 solves (c - 1) x^2 + (z_o^2 + z_r^2) x - z_o^2 z_r^2 = 0,
    with c = se_o^2 / se_r^2. The root is written without dividing by c - 1, so c = 1 needs no special case."""
    a, b = z_o**2, z_r**2
    x = 2 * a * b / ((a + b) + np.sqrt((a + b) ** 2 + 4 * (c - 1) * a * b))
    return float(np.sqrt(x))


def sceptical_p(z_o: float, z_r: float, c: float, recalibration: str = "golden", one_sided: bool = True) -> float:
    """The sceptical p-value; "golden" recalibrates it so that it reads on the scale of an ordinary p-value
    (success when one-sided p_S <= 0.025), "nominal" is Held's (2020) original. One-sided: in the direction
    of the original, and near 1 when the replication points the other way."""
    factor = {"nominal": 1.0, "golden": np.sqrt(GOLDEN)}[recalibration]
    p = float(2 * stats.norm.sf(sceptical_z(z_o, z_r, c) * factor))
    if one_sided:
        p = p / 2 if np.sign(z_o) == np.sign(z_r) else 1 - p / 2
    return p


def sceptical_level(alpha: float = SCEPTICAL_ALPHA, recalibration: str = "golden") -> float:
    """The threshold of the *nominal* one-sided sceptical p-value that corresponds to `alpha`:
    1 - Phi(z_alpha / sqrt(golden ratio)) (ReplicationSuccess's levelSceptical)."""
    factor = {"nominal": 1.0, "golden": np.sqrt(GOLDEN)}[recalibration]
    return float(stats.norm.sf(stats.norm.isf(alpha) / factor))


def sceptical(original: Estimate, replication: Estimate, alpha: float = SCEPTICAL_ALPHA) -> dict:
    """The sceptical p-value of a pair of studies, nominal and golden, and whether it shows success at alpha."""
    c = original.se**2 / replication.se**2
    golden = sceptical_p(original.z, replication.z, c, "golden")
    return {"variance_ratio_c": c, "p_sceptical_nominal": sceptical_p(original.z, replication.z, c, "nominal"),
            "p_sceptical_golden": golden, "success_level_nominal": sceptical_level(alpha),
            "sceptical_success": bool(golden <= alpha)}
