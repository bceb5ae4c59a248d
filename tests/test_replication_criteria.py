"""Every replication criterion against a published worked example (source, and page or table, in each test)."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from paradox.meta import effect_sizes as es
from paradox.replication import bayes, criteria
from paradox.replication.criteria import Estimate
from paradox.settings import DATA_DIR


def p2z(p):
    """ReplicationSuccess's p2z with its default two-sided alternative."""
    return stats.norm.isf(p / 2)


def two_group(t, n1, n2):
    """An Estimate from a two-sample t-test (d and its large-sample SE; the exact methods use t and n)."""
    d = t * np.sqrt(1 / n1 + 1 / n2)
    return Estimate(d, float(np.sqrt(es.d_variance(d, n1, n2))), n1=n1, n2=n2, t=t)


@pytest.mark.parametrize("zo, zr, c, recalibration, one_sided, expected", [
    # ReplicationSuccess 1.3.1, reference manual, pSceptical, "Examples" (printed outputs); Held (2020) JRSS A.
    (p2z(0.01), p2z(0.02), 2, "nominal", True, 0.05790852),
    (p2z(0.01), p2z(0.02), 2, "golden", True, 0.02273138),
    (p2z(0.02), p2z(0.01), 0.5, "golden", True, 0.008786301),
    (p2z(0.01), p2z(0.01), 2, "golden", False, 0.03496702),
])
def test_sceptical_p_value_matches_replication_success_examples(zo, zr, c, recalibration, one_sided, expected):
    assert criteria.sceptical_p(zo, zr, c, recalibration, one_sided) == pytest.approx(expected, rel=1e-6)


def test_sceptical_z_and_golden_level_match_replication_success_examples():
    # ReplicationSuccess 1.3.1, zSceptical examples: 1.531634 both ways; levelSceptical(0.025, "one.sided",
    # "golden") = 0.06167928.
    assert criteria.sceptical_z(2, 3, 2) == pytest.approx(1.531634, abs=1e-6)
    assert criteria.sceptical_z(3, 2, 2) == pytest.approx(1.531634, abs=1e-6)
    assert criteria.sceptical_level(0.025) == pytest.approx(0.06167928, rel=1e-6)


def test_sceptical_p_of_a_replication_in_the_other_direction_is_near_one():
    assert criteria.sceptical_p(3.0, -3.0, 1.0) > 0.9


@pytest.mark.parametrize("theta_o, lower, mean, upper", [
    # ReplicationSuccess 1.3.1, predictionInterval(thetao = c(1.5, 2, 5), seo = 1, ser = 0.5, designPrior = "EB").
    (1.5, -0.9257882, 0.8333333, 2.592455),
    (2.0, -0.4599640, 1.5, 3.459964),
    (5.0, 2.6440396, 4.8, 6.955960),
])
def test_prediction_interval_with_shrinkage_matches_replication_success(theta_o, lower, mean, upper):
    got = criteria.prediction_interval(Estimate(theta_o, 1.0), 0.5, shrinkage=True)
    assert got == pytest.approx((lower, mean, upper), abs=1e-6)


def test_prediction_interval_without_shrinkage_is_patil_et_al():
    # Patil, Peng & Leek (2016), eq. 1: theta_o +- 1.96 sqrt(se_o^2 + se_r^2); the EB formula above with s = 1.
    lower, mean, upper = criteria.prediction_interval(Estimate(2.0, 1.0), 0.5)
    assert (lower, mean, upper) == pytest.approx((2 - 1.959964 * np.sqrt(1.25), 2.0, 2 + 1.959964 * np.sqrt(1.25)))


def test_fixed_effect_matches_metafor_on_the_bcg_trials():
    # Viechtbauer (2010), J Stat Softw 36(3), fixed-effects model of dat.bcg (log risk ratios):
    # estimate -0.4303, SE 0.0405, z -10.6247, 95% CI -0.5097 to -0.3509.
    bcg = pd.read_csv(DATA_DIR / "reference" / "bcg.csv")
    yi, vi = es.log_risk_ratio(bcg["events_treated"], bcg["n_treated"], bcg["events_control"], bcg["n_control"])
    got = criteria.fixed_effect(yi, np.sqrt(vi))
    assert got["estimate"] == pytest.approx(-0.4303, abs=5e-5)
    assert got["se"] == pytest.approx(0.0405, abs=5e-5)
    assert got["z"] == pytest.approx(-10.6247, abs=5e-4)
    assert (got["lower"], got["upper"]) == pytest.approx((-0.5097, -0.3509), abs=5e-5)


def test_informed_posterior_is_the_fixed_effect_combination():
    # Conjugate normal: prior N(theta_o, se_o^2) times likelihood N(theta_r, se_r^2) gives precision-weighted
    # mean and precision 1/se_o^2 + 1/se_r^2 (Gelman et al. 2013, BDA3, eq. 2.12) -- the fixed-effect formula.
    original, replication = Estimate(0.6, 0.25), Estimate(0.1, 0.1)
    post = bayes.informed_posterior(original, replication, rope=0.1)
    precision = 1 / 0.25**2 + 1 / 0.1**2
    assert post["posterior_mean"] == pytest.approx((0.6 / 0.25**2 + 0.1 / 0.1**2) / precision)
    assert post["posterior_sd"] == pytest.approx(precision**-0.5)
    assert post["p_above_rope"] + post["p_in_rope"] + post["p_below_rope"] == pytest.approx(1.0)


# Pawel & Held (2022), JRSS B 84(3), 879-911, Table 1 (as transcribed in the BayesRep package's tests):
# original and replication estimates of the Social Sciences Replication Project and the replication Bayes
# factor BF_SA = 1 / BF_r0 under normal approximations.
NORMAL_TABLE_1 = [  # to, so, tr, sr, BF_SA
    (1.14417264341251, 0.164398987305357, 1.19476271568933, 0.229415733870562, 1.61275109902623e-06),  # Hauser
    (0.226778691550525, 0.0755928946018454, 0.184400291006785, 0.0497518595104995, 0.00211057610414055),  # Gneezy
    (0.141926757107812, 0.054232614454664, 0.025792251826568, 0.021652326748721, 9.58539878281878),  # Rand
    (1.07988209588739, 0.242535625036333, -0.0985013285629837, 0.114707866935281, 24995.5941001993),  # Ramirez
]


@pytest.mark.parametrize("to, so, tr, sr, bf_sa", NORMAL_TABLE_1)
def test_replication_bayes_factor_normal_matches_pawel_held_table_1(to, so, tr, sr, bf_sa):
    assert 1 / bayes.bf_normal(Estimate(to, so), Estimate(tr, sr)) == pytest.approx(bf_sa, rel=1e-8)


# The same table, the exact t-test version (Verhagen & Wagenmakers 2014): t and group sizes of both studies.
T_TABLE_1 = [  # to, n1o, n2o, tr, n1r, n2r, BF_SA
    (2.02, 26, 28, 1.5351, 296, 303, 3.2425436178894),  # Ackerman et al. (2010)
    (2.78, 16, 16, 3.54, 44, 45, 0.00639050298948843),  # Morewedge et al. (2010)
    (5.53, 10, 10, -0.7352, 45, 34, 17376.1099486192),  # Ramirez & Beilock (2011)
]


@pytest.mark.parametrize("to, n1o, n2o, tr, n1r, n2r, bf_sa", T_TABLE_1)
def test_replication_bayes_factor_exact_t_matches_pawel_held_table_1(to, n1o, n2o, tr, n1r, n2r, bf_sa):
    bf = bayes.replication_bayes_factor(two_group(to, n1o, n2o), two_group(tr, n1r, n2r))
    assert bf["bf_method"] == "exact t"
    assert 1 / bf["bf_r0"] == pytest.approx(bf_sa, rel=1e-5)


def test_original_posterior_is_a_density():
    grid = np.linspace(-1.5, 3.5, 2001)
    density = bayes.original_posterior_density(grid, two_group(2.78, 16, 16))
    assert np.trapezoid(density, grid) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("d, n", [(0.2, 393), (0.5, 64), (0.8, 26)])
def test_power_behind_d33_matches_cohens_sample_sizes(d, n):
    # Cohen (1992), A power primer, Psychological Bulletin 112(1), 155-159, Table 2: a two-sample t-test at
    # two-sided alpha = .05 needs n = 393, 64, 26 per group for power .80 at d = .2, .5, .8 (the smallest such n:
    # one person fewer per group falls below .80).
    assert criteria._power_t(d, n / 2, 2 * n - 2, 0.05) == pytest.approx(0.80, abs=0.01)
    assert criteria._power_t(d, (n - 1) / 2, 2 * n - 4, 0.05) < 0.80


@pytest.mark.parametrize("n", [20, 50, 100])
def test_small_telescopes_replication_of_2_5_times_the_sample_has_80_percent_power(n):
    # Simonsohn (2015), Psychological Science 26(5), p. 566 and Supplement 4: a replication 2.5 times the
    # original sample size has about 80% power to reject d33% when the true effect is zero.
    original = two_group(2.0, n, n)
    threshold = criteria.d33(original)
    assert criteria._power_t(threshold, original.n_tilde, original.df, 0.05) == pytest.approx(1 / 3, abs=1e-9)
    n_rep = 2.5 * n
    critical = stats.nct.ppf(criteria.TELESCOPE_ALPHA, 2 * n_rep - 2, threshold * np.sqrt(n_rep / 2))
    assert stats.t.cdf(critical, 2 * n_rep - 2) == pytest.approx(0.80, abs=0.025)


def test_small_telescopes_decision_matches_the_90_percent_interval_under_the_normal():
    # Simonsohn (2015), p. 561: the replication fails when its 90% CI's upper end lies below d33%.
    original = Estimate(0.6, 0.25)
    for value in np.linspace(-0.3, 0.8, 23):
        result = criteria.small_telescopes(original, Estimate(value, 0.1))
        assert result["too_small_to_have_been_seen"] == (result["upper90"] < result["d33"])


def test_significance_and_intervals_follow_the_original_direction():
    original, replication = Estimate(-0.5, 0.2), Estimate(-0.3, 0.1)
    assert criteria.significance(original, replication)["significant_same_direction"]
    assert not criteria.significance(Estimate(0.5, 0.2), replication)["significant_same_direction"]
    assert criteria.original_in_replication_ci(original, replication)["original_inside"] is False
    assert criteria.small_telescopes(original, replication)["d33"] < 0


def test_weighting_posterior_draws_by_the_original_gives_the_conjugate_posterior():
    # Draws of a normal posterior N(theta_r, se_r^2), weighted by the original's likelihood, must give the
    # conjugate posterior (exact for normal draws); seeded draws, tolerance a few Monte Carlo SEs.
    original, replication = Estimate(0.6, 0.25), Estimate(0.1, 0.1)
    draws = np.random.default_rng(1).normal(replication.value, replication.se, 200_000)
    weighted = bayes.informed_posterior_from_draws(original, draws, rope=0.1)
    exact = bayes.informed_posterior(original, replication, rope=0.1)
    for key in ("posterior_mean", "posterior_sd", "posterior_lower", "posterior_upper", "p_above_rope"):
        assert weighted[key] == pytest.approx(exact[key], abs=0.004), key
    assert weighted["effective_draws"] > 100_000
