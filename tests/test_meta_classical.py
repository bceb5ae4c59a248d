"""Classical estimators: the published BCG REML fit, hand-computed cases, Egger and PET-PEESE."""

import numpy as np
import pandas as pd
import pytest

from paradox.meta import classical
from paradox.meta.table import check_study_table, load_study_table
from paradox.settings import DATA_DIR

BCG = DATA_DIR / "reference" / "bcg.csv"
#: Colditz et al. (1994) BCG trials, log risk ratios, REML random effects (metafor's rma; /work/shared/REFERENCES.md).
BCG_REML = {"mu": -0.7145, "se": 0.1798, "tau2": 0.3132}


@pytest.fixture(scope="module")
def bcg():
    return load_study_table(BCG, measure="log_rr", moderators=[], ignore=["latitude"])


def test_bcg_reml_matches_the_published_fit(bcg):
    fit = classical.random_effects(bcg.effects["yi"], bcg.effects["vi"], "REML")
    assert fit.k == 13
    assert fit.tau2 == pytest.approx(BCG_REML["tau2"], abs=0.005)
    assert fit.tau2 == pytest.approx(BCG_REML["tau2"], abs=5e-5)  # to the published digits
    assert fit.mu == pytest.approx(BCG_REML["mu"], abs=0.001)
    assert fit.se == pytest.approx(BCG_REML["se"], abs=0.001)
    assert fit.pi_lower < fit.ci_lower < fit.mu < fit.ci_upper < fit.pi_upper


def test_reml_with_equal_variances_is_sample_variance_minus_v():
    """With every v_i = 1, REML tau^2 = max(0, s^2 - 1): y = 0, 2, 4 has s^2 = 4, so tau^2 = 3;
    y = 0, 0.5, 1 has s^2 = 0.25, so tau^2 = 0."""
    assert classical.reml_tau2([0, 2, 4], [1, 1, 1]) == pytest.approx(3.0, abs=1e-6)
    assert classical.reml_tau2([0, 0.5, 1], [1, 1, 1]) == 0.0


def test_dersimonian_laird_by_hand():
    """y = 0, 2 with v = 1, 1: Q = 1 + 1 = 2, C = 2 - 2/2 = 1, tau^2 = (Q - 1) / C = 1."""
    assert classical.dersimonian_laird_tau2([0, 2], [1, 1]) == pytest.approx(1.0)
    assert classical.dersimonian_laird_tau2([0, 0.5], [1, 1]) == 0.0
    assert classical.cochran_q([0, 2], [1, 1]) == pytest.approx(2.0)


def test_i2_and_typical_variance():
    """Equal variances v: the typical variance is v, so I^2 = tau^2 / (tau^2 + v) = 3 / 4 for the case above."""
    assert classical.typical_variance([0.5, 0.5, 0.5]) == pytest.approx(0.5)
    assert classical.random_effects([0, 2, 4], [1, 1, 1]).i2 == pytest.approx(0.75, abs=1e-6)


def test_meta_regression_on_a_line():
    """Effects exactly on y = 1 + 2x with tiny variances: slope 2, intercept 1, tau^2 = 0."""
    x = np.array([0.0, 1.0, 2.0, 3.0])
    X = pd.DataFrame({"intercept": 1.0, "x": x})
    coefficients, tau2 = classical.meta_regression(1 + 2 * x, np.full(4, 0.01), X)
    assert coefficients["estimate"].to_numpy() == pytest.approx([1.0, 2.0], abs=1e-8)
    assert tau2 == pytest.approx(0.0, abs=1e-8)


def test_egger_is_the_slope_on_se_and_pet_the_intercept():
    """Egger et al. (1997) regress y/se on 1/se by OLS: their intercept is our egger_bias and their
    slope our PET estimate (the same model divided through by se)."""
    rng = np.random.default_rng(1)
    se = rng.uniform(0.1, 0.4, 30)
    y = 0.2 + 1.5 * se + rng.normal(0, se)
    slope, intercept = np.polyfit(1 / se, y / se, 1)
    result = classical.egger_and_pet_peese(y, se**2)
    assert result["egger_bias"] == pytest.approx(intercept, abs=1e-10)
    assert result["pet_estimate"] == pytest.approx(slope, abs=1e-10)
    design = np.column_stack([1 / se, se])  # PEESE: y/se = b0 / se + b1 se
    b0, _ = np.linalg.lstsq(design, y / se, rcond=None)[0]
    assert result["peese_estimate"] == pytest.approx(b0, abs=1e-10)
    expected = "PEESE" if result["pet_p_value"] < classical.PET_ALPHA else "PET"
    assert result["pet_peese_uses"] == expected


def test_egger_detects_a_planted_small_study_effect_and_not_its_absence():
    rng = np.random.default_rng(2)
    se = rng.uniform(0.05, 0.5, 60)
    biased = 0.1 + 2.0 * se + rng.normal(0, se)
    clean = 0.1 + rng.normal(0, se)
    assert classical.egger_and_pet_peese(biased, se**2)["egger_p_value"] < 0.01
    assert classical.egger_and_pet_peese(clean, se**2)["egger_p_value"] > 0.05
    assert classical.egger_and_pet_peese(clean[:3], se[:3] ** 2)["note"].startswith("too few")


def test_leave_one_out_refits_without_each_study(bcg):
    table = classical.leave_one_out(bcg)
    assert len(table) == 13
    rest = bcg.effects[bcg.effects["study_id"] != "8"]  # without TPT Madras, the largest trial
    refit = classical.random_effects(rest["yi"], rest["vi"])
    row = table.set_index("left_out").loc["8"]
    assert row["mu"] == pytest.approx(refit.mu) and row["tau2"] == pytest.approx(refit.tau2)
    assert row["change_in_mu"] == pytest.approx(refit.mu - BCG_REML["mu"], abs=1e-3)


def test_by_outcome_fits_each_outcome_separately():
    rows = [{"study_id": i, "outcome": o, "yi": y, "vi": 0.04}
            for i, (o, y) in enumerate([("satisfaction", 0.3), ("satisfaction", 0.5), ("image", 0.0), ("image", -0.1)])]
    frame = pd.DataFrame(rows, index=pd.RangeIndex(2, 6))
    fits = classical.by_outcome(check_study_table(frame)).set_index("outcome")
    assert fits.loc["satisfaction", "mu"] == pytest.approx(0.4)
    assert fits.loc["image", "mu"] == pytest.approx(-0.05)
