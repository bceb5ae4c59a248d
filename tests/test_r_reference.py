"""The engines against reference fits from R (tests/fixtures/r_reference/, made by
scripts/r_reference/make_fixtures.R with `make r-fixtures`; R is not needed here).

* REML (`paradox.meta.classical`) against metafor::rma on identical yi/vi: exact, up to
  metafor's own convergence tolerance.
* The Bayesian meta-analysis with its default (data-scaled) priors: posterior mean of mu within
  MU_TOLERANCE x the REML SE of the REML estimate, on log risk ratios, Hedges' g, days and points.
  Why that is the right yardstick: with weak priors and data that inform mu, the two differ only
  because the Bayesian fit averages over tau instead of plugging in its estimate, which moves the
  weights little here, plus Monte Carlo error (posterior sd / sqrt(ESS), about 0.03 SE in fast mode).
* The ordinal regression (`paradox.models.regression`, what `paradox fit` runs) against MASS::polr,
  ordinal::clm (an interaction; per-item cutpoints as nominal effects of the item) and ordinal::clmm
  (nAGQ = 10): posterior means within a fraction of the MLE's standard error, posterior
  sds within 15% of it (see each test for the fraction and why).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from paradox.analysis import tidy_summary
from paradox.data import SurveySpec, load_survey
from paradox.meta import classical
from paradox.meta.model import PRIOR_DOMINANCE_LIMIT, MetaPriors, fit, prior_dominance
from paradox.meta.table import check_study_table, load_study_table
from paradox.models.regression import Priors, RegressionSpec, build_regression
from paradox.models.sampling import sample
from paradox.settings import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "r_reference"
FITS = json.loads((FIXTURES / "fits.json").read_text())["fits"]
COEFFICIENTS = pd.read_csv(FIXTURES / "coefficients.csv")
RMA_EFFECTS = pd.read_csv(FIXTURES / "rma_effects.csv")
#: The housing data and its polr spec (as in tests/test_regression.py).
HOUSING_SPEC = SurveySpec(
    respondent=None, scale=(1, 3), items=("Sat",), labels=("Low", "Medium", "High"), weight="Freq",
    factors={"Infl": ("Low", "Medium", "High"), "Type": ("Tower", "Apartment", "Atrium", "Terrace"),
             "Cont": ("Low", "High")},
)
#: soup, long format: each row one answer. RESP, the respondent, enters as the grouping column, whose random
#: intercept is the same code as `respondent_intercept` (regression._linear_predictor), because the data layer
#: refuses a factor (PROD) that changes between one respondent's rows of a long file.
SOUP_SPEC = SurveySpec(respondent=None, scale=(1, 6), item_column="item", answer_column="SURENESS",
                       factors={"PROD": ("Ref", "Test")}, group="RESP")
#: Weakly informative, as `paradox fit` defaults: effects N(0, 2.5), cutpoints N(0, 5), sds HalfNormal(1).
WEAK = Priors(effect_sd=2.5, cutpoint_sd=5.0, group_sd=1.0)
#: Posterior mean of mu against REML, in REML standard errors (see the module docstring).
MU_TOLERANCE = 0.2
#: Per-rma-fit: the measure the Bayesian model is told, and where the table comes from.
RMA_FITS = ("rma_bcg_log_rr", "rma_normand1999_g", "rma_normand1999_md", "rma_raw_points")
MEASURE = {"rma_bcg_log_rr": "log_rr", "rma_normand1999_g": "g", "rma_normand1999_md": "md", "rma_raw_points": "md"}


def reference(fit_name: str) -> pd.DataFrame:
    return COEFFICIENTS[COEFFICIENTS["fit"] == fit_name].set_index("parameter")


def ready_effects(fit_name: str):
    """The yi/vi metafor was given, as a paradox study table of ready effects."""
    rows = RMA_EFFECTS[RMA_EFFECTS["fit"] == fit_name]
    frame = pd.DataFrame({"study_id": rows["study_id"].astype(str), "yi": rows["yi"], "vi": rows["vi"]})
    frame.index = np.arange(2, len(frame) + 2)  # spreadsheet rows, as load_study_table numbers them
    return check_study_table(frame, measure=MEASURE[fit_name], moderators=[], source=fit_name)


# --------------------------------------------------------------------------------------------
# REML: exact
@pytest.mark.parametrize("fit_name", RMA_FITS)
def test_reml_matches_metafor(fit_name):
    rows = RMA_EFFECTS[RMA_EFFECTS["fit"] == fit_name]
    ours = classical.random_effects(rows["yi"], rows["vi"])
    r = FITS[fit_name]
    assert ours.k == r["k"]
    # metafor stops Fisher scoring when tau^2 moves by < 1e-5 (its default); ours optimises to 1e-12.
    assert ours.tau2 == pytest.approx(r["tau2"], rel=1e-5, abs=1e-7)
    assert ours.mu == pytest.approx(r["mu"], rel=1e-6, abs=1e-9)
    assert ours.se == pytest.approx(r["se"], rel=1e-6)
    assert ours.q == pytest.approx(r["QE"], rel=1e-9)
    assert ours.i2 == pytest.approx(r["I2"], rel=1e-5, abs=1e-9)


def test_mean_difference_from_means_is_metafors_md():
    """--measure md from means gives metafor's escalc(measure = 'MD') row for row."""
    table = load_study_table(FIXTURES / "normand1999.csv", measure="md", moderators=[])
    rows = RMA_EFFECTS[RMA_EFFECTS["fit"] == "rma_normand1999_md"]
    np.testing.assert_allclose(table.effects["yi"], rows["yi"], rtol=1e-12)
    np.testing.assert_allclose(table.effects["vi"], rows["vi"], rtol=1e-12)


# --------------------------------------------------------------------------------------------
# Bayesian meta-analysis, default priors: mu near REML in any unit
@pytest.fixture(scope="module")
def meta_fits(fast_settings):
    """One fit per table with the default (data-scaled) priors, fast-mode draws."""
    fits = {}
    for fit_name in RMA_FITS:
        table = ready_effects(fit_name)
        priors = MetaPriors.for_table(table)
        fits[fit_name] = (table, priors, fit(table, fast_settings, priors))
    return fits


@pytest.mark.parametrize("fit_name", RMA_FITS)
def test_bayesian_mu_is_near_reml_with_default_priors(meta_fits, fit_name):
    table, priors, idata = meta_fits[fit_name]
    mu = float(idata["posterior"]["mu"].mean())
    r = FITS[fit_name]
    assert abs(mu - r["mu"]) < MU_TOLERANCE * r["se"], (fit_name, mu, r["mu"], r["se"], priors.describe())
    check = prior_dominance(idata, priors).set_index("parameter")
    assert not check.loc[f"mu[{table.outcomes[0]}]", "prior_decides"]
    assert check.loc[f"mu[{table.outcomes[0]}]", "ratio"] < PRIOR_DOMINANCE_LIMIT


def test_fixed_unit_prior_decides_raw_points_and_the_check_says_so(meta_fits, fast_settings):
    """The issue's case: effects in points (SEs 8-12) under the old fixed mu ~ Normal(0, 1). The posterior
    mean is then pulled most of the way to 0 and the prior check flags mu; the data-scaled default is not."""
    table, scaled, _ = meta_fits["rma_raw_points"]
    fixed = MetaPriors()  # the former default for every table: mu ~ N(0, 1), tau ~ HalfNormal(0.5)
    idata = fit(table, fast_settings, fixed)
    mu, reml = float(idata["posterior"]["mu"].mean()), FITS["rma_raw_points"]["mu"]
    assert abs(mu) < 0.2 * reml  # decided by the prior: under a fifth of the REML estimate
    assert prior_dominance(idata, fixed).set_index("parameter").loc["mu[all]", "prior_decides"]
    assert scaled.mu_sd > 10 * fixed.mu_sd


def test_default_priors_scale_with_the_unit():
    """The same effects in other units get priors in those units: the rule is scale-equivariant (no floor for md)."""
    table = ready_effects("rma_raw_points")
    frame = table.effects[["study_id", "yi", "vi"]].assign(yi=lambda d: d["yi"] * 10, vi=lambda d: d["vi"] * 100)
    tenfold = MetaPriors.for_table(check_study_table(frame, measure="md", moderators=[]))
    base = MetaPriors.for_table(table)
    for name in ("mu_sd", "tau_scale", "study_sd_scale", "beta_sd"):
        assert getattr(tenfold, name) == pytest.approx(10 * getattr(base, name)), name


# --------------------------------------------------------------------------------------------
# Ordinal regression against MASS::polr and ordinal::clmm
@pytest.fixture(scope="module")
def polr_fit(fast_settings):
    fitted = build_regression(load_survey(ROOT / "data" / "reference" / "housing.csv", HOUSING_SPEC),
                              RegressionSpec(priors=WEAK))
    idata = sample(fitted.model, fast_settings)
    return tidy_summary(idata, fitted.parameters).set_index("parameter")


def test_ordinal_regression_matches_polr_in_standard_errors(polr_fit):
    """Each posterior mean within 0.2 SE of polr's MLE: 1,681 answers make the posterior nearly normal (mean
    = mode up to a few hundredths of an SE), the N(0, 2.5) priors shrink an effect with SE 0.1-0.15 by
    (SE / 2.5)^2 < 0.4%, and Monte Carlo error is about 0.02 SE. Posterior sd within 15% of the SE."""
    r = reference("polr_housing")
    assert sorted(polr_fit.index) == sorted(r.index)
    for name, row in r.iterrows():
        assert abs(polr_fit.at[name, "mean"] - row["estimate"]) < 0.2 * row["se"], name
        assert polr_fit.at[name, "sd"] == pytest.approx(row["se"], rel=0.15), name


@pytest.fixture(scope="module")
def clmm_fit(fast_settings):
    survey = load_survey(FIXTURES / "soup.csv", SOUP_SPEC)
    fitted = build_regression(survey, RegressionSpec(priors=WEAK))
    idata = sample(fitted.model, fast_settings)
    return survey, tidy_summary(idata, [p for p in fitted.parameters if p != "RESP"]).set_index("parameter")


@pytest.mark.slow
def test_soup_is_many_respondents(clmm_fit):
    survey, _ = clmm_fit
    assert survey.answers["RESP"].nunique() == FITS["clmm_soup"]["respondents"] == 185
    assert len(survey.answers) == FITS["clmm_soup"]["nobs"] == 1847


@pytest.mark.slow
def test_ordinal_regression_with_respondent_intercepts_matches_clmm(clmm_fit):
    """Against clmm with 10 quadrature nodes. The product effect within 0.25 SE, as for polr (a little more room:
    185 respondent intercepts are sampled, not integrated). The cutpoints within 0.5 SE: the engine's intercepts
    sum to zero over the 185 respondents, so its cutpoints sit at their average, clmm's at the population mean 0;
    the two differ by the mean of the 185 intercepts, whose sd is 0.57 / sqrt(185) = 0.04, about half a cutpoint SE.
    The respondent sd within 0.5 SE: its posterior is skewed (bounded at 0), so its mean sits above the MLE."""
    _, summary = clmm_fit
    r = reference("clmm_soup")
    assert abs(summary.at["PROD[Test]", "mean"] - r.at["PROD[Test]", "estimate"]) < 0.25 * r.at["PROD[Test]", "se"]
    for name in [p for p in r.index if p.startswith("cutpoints[")]:
        assert abs(summary.at[name, "mean"] - r.at[name, "estimate"]) < 0.5 * r.at[name, "se"], name
    assert abs(summary.at["RESP_sd", "mean"] - r.at["RESP_sd", "estimate"]) < 0.5 * r.at["RESP_sd", "se"]
    assert summary.at["PROD[Test]", "sd"] == pytest.approx(r.at["PROD[Test]", "se"], rel=0.15)


@pytest.fixture(scope="module")
def clm_interaction_fit(fast_settings):
    spec = RegressionSpec(priors=WEAK, interactions=(("Infl", "Type"),))
    fitted = build_regression(load_survey(ROOT / "data" / "reference" / "housing.csv", HOUSING_SPEC), spec)
    idata = sample(fitted.model, fast_settings)
    return tidy_summary(idata, fitted.parameters).set_index("parameter")


@pytest.mark.slow
def test_ordinal_regression_with_an_interaction_matches_clm(clm_interaction_fit):
    """Sat ~ Infl * Type + Cont against ordinal::clm: every parameter, interactions included, named as paradox
    names them (`Infl:Type[Medium:Apartment]`). Posterior means within 0.25 SE, more room than for polr: 24
    cells with 14 parameters are further from normal, and the N(0, 2.5) prior pulls the six interactions (SEs
    0.27-0.43) towards 0 while the main effects, strongly correlated with them, move the other way. Measured
    (fast mode, default seed): -0.11 to +0.11 SE, in that systematic pattern, with ESS >= 1,000 (Monte Carlo
    error about 0.03 SE)."""
    r = reference("clm_housing_interaction")
    assert sorted(clm_interaction_fit.index) == sorted(r.index)
    for name, row in r.iterrows():
        assert abs(clm_interaction_fit.at[name, "mean"] - row["estimate"]) < 0.25 * row["se"], name
        assert clm_interaction_fit.at[name, "sd"] == pytest.approx(row["se"], rel=0.15), name


#: The package's synthetic stand-in (invented), as make_fixtures.R copied it: three items of one 1-7 scale.
ITEMS_SPEC = SurveySpec(respondent="respondent_id", scale=(1, 7), items=("sat_1", "sat_2", "sat_3"),
                        factors={"experiment": ("severity", "prior_failure", "stability", "controllability"),
                                 "cell": ("no_failure", "recovery_favourable", "recovery_unfavourable")})


@pytest.fixture(scope="module")
def clm_nominal_fit(fast_settings):
    fitted = build_regression(load_survey(FIXTURES / "items_wide.csv", ITEMS_SPEC),
                              RegressionSpec(priors=WEAK, cutpoints="per_item"))
    idata = sample(fitted.model, fast_settings)
    return tidy_summary(idata, fitted.parameters).set_index("parameter")


@pytest.mark.slow
def test_per_item_cutpoints_match_clm_with_nominal_items(clm_nominal_fit):
    """Free cutpoints per item (`cutpoints="per_item"`) against ordinal::clm(answer ~ experiment + cell,
    nominal = ~ item): each item's six cutpoints (clm's thresholds plus that item's nominal effects) and the
    effects. 4,320 answers: posterior means within 0.2 SE of the MLE, as for polr; sds within 15% of the SEs.
    Measured (fast mode, default seed): -0.11 to +0.05 SE, sds 0.97-1.03 of the SEs."""
    r = reference("clm_items_nominal")
    assert sorted(clm_nominal_fit.index) == sorted(r.index)
    assert FITS["clm_items_nominal"]["nobs"] == 4320
    for name, row in r.iterrows():
        assert abs(clm_nominal_fit.at[name, "mean"] - row["estimate"]) < 0.2 * row["se"], name
        assert clm_nominal_fit.at[name, "sd"] == pytest.approx(row["se"], rel=0.15), name


def test_interaction_needs_two_factors_of_the_model():
    survey = load_survey(ROOT / "data" / "reference" / "housing.csv", HOUSING_SPEC)
    for pair, message in [(("Infl", "Colour"), "Colour is not a factor"), (("Infl", "Infl"), "itself")]:
        with pytest.raises(ValueError, match=message):
            build_regression(survey, RegressionSpec(interactions=(pair,)))
