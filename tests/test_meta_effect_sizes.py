"""Every effect-size conversion against a worked value (Borenstein et al. 2009, or by hand)."""

import numpy as np
import pytest

from paradox.meta import effect_sizes as es


def test_means_match_borenstein_worked_example():
    """Borenstein et al. (2009), ch. 4: means 103 vs 100, SD 5.5 and 4.5, n 50 and 50 give
    d = 0.5970, V_d = 0.0418, J = 0.9923, g = 0.5924, V_g = 0.0411."""
    d, var_d = es.d_from_means(103, 5.5, 50, 100, 4.5, 50)
    assert d == pytest.approx(0.5970, abs=5e-5)
    assert var_d == pytest.approx(0.0418, abs=5e-5)
    assert es.hedges_j(98) == pytest.approx(0.9923, abs=5e-5)
    g, var_g = es.hedges_g(d, var_d, 98)
    assert g == pytest.approx(0.5924, abs=5e-5)
    assert var_g == pytest.approx(0.0411, abs=5e-5)


def test_t_and_f_give_the_d_of_the_same_data():
    """Same data as the means example: pooled SD = sqrt((49 * 5.5^2 + 49 * 4.5^2) / 98) = 5.024938,
    t = 3 / (5.024938 * sqrt(2 / 50)) = 2.985112, F = t^2 = 8.910897; d = t sqrt(1/50 + 1/50) = 0.5970."""
    d_t, v_t = es.d_from_t(2.985112, 50, 50)
    assert d_t == pytest.approx(0.5970, abs=5e-5)
    assert v_t == pytest.approx(0.0418, abs=5e-5)
    d_f, v_f = es.d_from_f(8.910897, 50, 50, direction=+1)
    assert (d_f, v_f) == pytest.approx((d_t, v_t), abs=1e-6)
    d_neg, v_neg = es.d_from_f(8.910897, 50, 50, direction=-1)
    assert d_neg == pytest.approx(-d_t) and v_neg == pytest.approx(v_t)


def test_df_only_splits_the_sample_equally():
    """t with df = 98 and no group sizes: N = 100, taken as 50 + 50."""
    assert es.equal_groups_from_df(98) == (50, 50)
    assert es.d_from_t(2.985112, *es.equal_groups_from_df(98))[0] == pytest.approx(0.5970, abs=5e-5)


def test_correlation_by_hand():
    """r = 0.5, n = 100: V_r = (1 - 0.25)^2 / 99 = 0.0056818; d = 2 (0.5) / sqrt(0.75) = 1.1547;
    V_d = 4 V_r / (1 - 0.25)^3 = 0.0227273 / 0.421875 = 0.0538720 (Borenstein et al. 2009, ch. 7)."""
    d, var_d = es.d_from_r(0.5, 100)
    assert d == pytest.approx(1.1547005, abs=1e-6)
    assert var_d == pytest.approx(0.0538720, abs=1e-6)


def test_log_odds_ratio_to_d_matches_borenstein():
    """Borenstein et al. (2009), ch. 7: log OR = 0.9069, V = 0.0676 give d = 0.5000, V_d = 0.0205."""
    d, var_d = es.d_from_log_odds_ratio(0.9069, 0.0676)
    assert d == pytest.approx(0.5000, abs=5e-5)
    assert var_d == pytest.approx(0.0205, abs=5e-5)


def test_counts_and_proportions_by_hand():
    """60 of 100 vs 40 of 100: log OR = ln(60 * 60 / (40 * 40)) = ln 2.25 = 0.8109302,
    V = 2/60 + 2/40 = 0.0833333; d = 0.8109302 * sqrt(3) / pi = 0.4470900, V_d = 0.0833333 * 3 / pi^2 = 0.0253303."""
    log_or, var = es.log_odds_ratio(60, 100, 40, 100)
    assert (log_or, var) == pytest.approx((0.8109302, 0.0833333), abs=1e-6)
    d, var_d = es.d_from_counts(60, 100, 40, 100)
    assert (d, var_d) == pytest.approx((0.4470900, 0.0253303), abs=1e-6)
    assert es.d_from_proportions(0.6, 100, 0.4, 100) == pytest.approx((d, var_d), abs=1e-12)


def test_empty_cell_gets_the_continuity_correction():
    """0 of 10 vs 5 of 10: cells + 0.5 -> 0.5, 10.5, 5.5, 5.5; log OR = ln(0.5 * 5.5 / (10.5 * 5.5)) = -3.0445224,
    V = 1/0.5 + 1/10.5 + 2/5.5 = 2.4588745."""
    assert es.log_odds_ratio(0, 10, 5, 10) == pytest.approx((-3.0445224, 2.4588745), abs=1e-6)


def test_log_risk_ratio_of_the_first_bcg_trial():
    """Aronson 1948: 4 of 123 vaccinated, 11 of 139 controls with TB: ln((4/123) / (11/139)) = -0.8893113,
    V = 1/4 - 1/123 + 1/11 - 1/139 = 0.3255847."""
    assert es.log_risk_ratio(4, 123, 11, 139) == pytest.approx((-0.8893113, 0.3255847), abs=1e-6)


@pytest.mark.parametrize("convert, treated, control", [
    (es.d_from_means, (5.0, 1.0, 40), (4.6, 1.2, 60)),
    (es.d_from_counts, (30, 40), (35, 60)),
    (es.d_from_proportions, (0.75, 40), (0.58, 60)),
])
def test_one_sign_convention_positive_means_recovery_group_higher(convert, treated, control):
    """The recovery (treated) group higher gives a positive effect; swapping the groups flips only the sign."""
    forward, var_forward = convert(*treated, *control)
    backward, var_backward = convert(*control, *treated)
    assert forward > 0
    assert backward == pytest.approx(-forward) and var_backward == pytest.approx(var_forward)


def test_conversions_work_on_arrays():
    d, var = es.d_from_t(np.array([2.0, -2.0]), np.array([30, 30]), np.array([30, 30]))
    assert d[0] == pytest.approx(-d[1]) and var[0] == pytest.approx(var[1])
