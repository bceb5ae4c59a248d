"""The general regression (paradox.models.regression) against published fits and known truths.

Each test samples for real, on small seeded data. Reference: MASS::polr on the Copenhagen
housing data (data/reference/README_housing.md). The simulation-based calibration is `slow`.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pymc as pm
import pytest
from scipy import stats

from paradox.analysis import tidy_summary
from paradox.data import SurveySpec, load_survey, validate
from paradox.models.regression import (
    Priors,
    RegressionSpec,
    answer_distribution_check,
    build_regression,
    integration_refused,
    written_out,
)
from paradox.models.sampling import FORWARD_MODE, convergence_report, sample
from paradox.settings import ROOT, SamplerSettings

HOUSING = ROOT / "data" / "reference" / "housing.csv"
HOUSING_SPEC = SurveySpec(
    respondent=None, scale=(1, 3), items=("Sat",), labels=("Low", "Medium", "High"), weight="Freq",
    factors={"Infl": ("Low", "Medium", "High"), "Type": ("Tower", "Apartment", "Atrium", "Terrace"), "Cont": ("Low", "High")},
)
#: MASS::polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing): Venables & Ripley (2002), 7.3.
POLR = {
    "Infl[Medium]": 0.5664, "Infl[High]": 1.2888, "Type[Apartment]": -0.5724, "Type[Atrium]": -0.3662,
    "Type[Terrace]": -1.0910, "Cont[High]": 0.3603, "cutpoints[Low|Medium]": -0.4961, "cutpoints[Medium|High]": 0.6907,
}
#: Weakly informative (stated in README.md, "Fit your own survey"): effects N(0, 2.5), cutpoints N(0, 5).
WEAK = Priors(effect_sd=2.5, cutpoint_sd=5.0)


@pytest.fixture(scope="module")
def settings(fast_settings) -> SamplerSettings:
    """Fast mode whatever the environment says: tests always sample, never read the result cache."""
    return fast_settings


@pytest.fixture(scope="module")
def small(settings) -> SamplerSettings:
    """The same size in every mode: two chains (one per core) of 1,000 draws. R-hat < 1.01 on every
    one of ~30 parameters needs that many: with 500, one of them drifts past 1.01 by chance."""
    return settings.with_(chains=2, draws=1000, tune=1000)


@pytest.fixture(scope="module")
def thorough(settings) -> SamplerSettings:
    """For the models with random intercepts, whose sds mix slowest: four chains of 1,000 draws."""
    return settings.with_(chains=4, draws=1000, tune=1000)


@pytest.fixture(scope="module")
def housing():
    return load_survey(HOUSING, HOUSING_SPEC)


@pytest.fixture(scope="module")
def housing_fit(housing, small):
    fitted = build_regression(housing, RegressionSpec(priors=WEAK))
    return fitted, sample(fitted.model, small)


def test_housing_data_is_the_published_table(housing):
    frame = pd.read_csv(HOUSING)
    assert len(frame) == 72 and frame["Freq"].sum() == 1681
    assert housing.n_respondents == 1681


def test_housing_matches_polr(housing_fit):
    fitted, idata = housing_fit
    summary = tidy_summary(idata, fitted.parameters).set_index("parameter")
    assert list(summary.index) == list(POLR)  # readable names, in polr's order
    for name, mle in POLR.items():
        assert summary.at[name, "mean"] == pytest.approx(mle, abs=0.05), name
    assert (summary["r_hat"] < 1.01).all()
    assert convergence_report(idata)["passed"].all()


def test_housing_collapses_to_one_row_per_predictor_pattern(housing_fit):
    fitted, _ = housing_fit
    assert fitted.collapsed and fitted.n_likelihood_rows == 3 * 4 * 2
    assert fitted.counts.sum() == 1681


def test_posterior_predictive_check_reproduces_the_answer_shares(housing_fit):
    import pymc as pm

    fitted, idata = housing_fit
    with fitted.model:
        predictive = pm.sample_posterior_predictive(idata.isel(draw=slice(None, None, 10)), random_seed=1,
                                                    progressbar=False)
    check = answer_distribution_check(fitted, predictive, by="Infl")
    assert len(check) == 9
    inside = (check["observed"] >= check["lower"]) & (check["observed"] <= check["upper"])
    assert inside.all(), check


def expand(frame: pd.DataFrame, weight: str) -> pd.DataFrame:
    """One row per respondent from a frequency table."""
    return frame.loc[frame.index.repeat(frame[weight])].drop(columns=weight).reset_index(drop=True)


def test_collapsing_changes_the_likelihood_only_by_a_constant(housing):
    """Collapsed multinomial vs one ordered-logistic term per respondent, at two parameter points."""
    collapsed = build_regression(housing, RegressionSpec())
    people = expand(pd.read_csv(HOUSING), "Freq")
    people.index = pd.RangeIndex(2, 2 + len(people), name="row")
    spec = SurveySpec(**{**HOUSING_SPEC.__dict__, "weight": None})
    one_by_one = build_regression(validate(people, spec), RegressionSpec(), collapse=False)
    assert one_by_one.n_likelihood_rows == 1681 and collapsed.n_likelihood_rows == 24

    logp_c, logp_u = collapsed.model.compile_logp(mode=FORWARD_MODE), one_by_one.model.compile_logp(mode=FORWARD_MODE)
    start = collapsed.model.initial_point()
    moved = {k: v + 0.3 * np.arange(1, np.size(v) + 1).reshape(np.shape(v)) for k, v in start.items()}
    gaps = [logp_c(point) - logp_u(point) for point in (start, moved)]
    assert logp_c(start) != pytest.approx(logp_c(moved))  # the two points really differ
    assert gaps[0] == pytest.approx(gaps[1], abs=1e-6)


def test_per_item_cutpoints_collapse_by_item():
    """Per-item cutpoints, collapsed (one multinomial per predictors and item) vs one term per answer: the same
    likelihood up to a constant; each item has its own cutpoints and no item effect."""
    survey = _survey_for_integration(covariate=False)
    spec = RegressionSpec(cutpoints="per_item")
    collapsed, one_by_one = build_regression(survey, spec), build_regression(survey, spec, collapse=False)
    assert collapsed.n_likelihood_rows == 6 and one_by_one.n_likelihood_rows == len(survey.answers)
    assert "item" not in collapsed.model.named_vars
    assert collapsed.model.named_vars_to_dims["cutpoints"] == ("item", "cutpoint")
    logp_c, logp_u = collapsed.model.compile_logp(mode=FORWARD_MODE), one_by_one.model.compile_logp(mode=FORWARD_MODE)
    start = collapsed.model.initial_point()
    rng = np.random.default_rng(1)
    moved = {k: v + rng.normal(0, 0.3, np.shape(v)) for k, v in start.items()}
    gaps = [logp_c(point) - logp_u(point) for point in (start, moved)]
    assert logp_c(start) != pytest.approx(logp_c(moved))
    assert gaps[0] == pytest.approx(gaps[1], abs=1e-6)
    with pytest.raises(ValueError, match="cutpoints must be one of shared, per_item"):
        RegressionSpec(cutpoints="per_answer")
    with pytest.raises(ValueError, match="the gaussian model has no cutpoints"):
        RegressionSpec(family="gaussian", cutpoints="per_item")


def test_cost_does_not_grow_with_respondents(housing):
    tenfold = pd.read_csv(HOUSING).assign(Freq=lambda d: d["Freq"] * 10)
    tenfold.index = pd.RangeIndex(2, 2 + len(tenfold), name="row")
    fitted = build_regression(validate(tenfold, HOUSING_SPEC), RegressionSpec())
    assert fitted.n_likelihood_rows == 24 and fitted.counts.sum() == 16810


def simulate_ordinal(rng, n, effects, cutpoints, link="logit", slope=0.0, groups=0, group_sd=0.0):
    """Answers 1..K from a cumulative model with a 3-level condition, a covariate and group intercepts."""
    condition = rng.integers(0, 3, n)
    age = rng.normal(40, 10, n)
    eta = np.array([0.0, *effects])[condition] + slope * age
    group = rng.integers(0, groups, n) if groups else np.zeros(n, int)
    true_groups = rng.normal(0, group_sd, groups) if groups else np.zeros(1)
    true_groups -= true_groups.mean()  # the model's group intercepts sum to zero
    eta = eta + true_groups[group]
    noise = rng.logistic(size=n) if link == "logit" else rng.normal(size=n)
    answer = 1 + (eta[:, None] + noise[:, None] > np.asarray(cutpoints)[None, :]).sum(axis=1)
    frame = pd.DataFrame({"condition": np.array(["a", "b", "c"])[condition], "age": age.round(1),
                          "shop": [f"s{g:02d}" for g in group], "answer": answer})
    frame.index = pd.RangeIndex(2, 2 + n, name="row")
    return frame


def interval_covers(summary: pd.DataFrame, truth: dict[str, float]) -> dict[str, tuple]:
    """The parameters whose 95% interval misses the truth (empty when all are covered)."""
    table = summary.set_index("parameter")
    return {k: (v, table.at[k, "ci_lower"], table.at[k, "ci_upper"]) for k, v in truth.items()
            if not table.at[k, "ci_lower"] <= v <= table.at[k, "ci_upper"]}


@pytest.mark.slow
def test_parameter_recovery_hierarchical_logit(thorough):
    rng = np.random.default_rng(11)
    cutpoints = [-1.0, 0.2, 1.4, 2.6]
    frame = simulate_ordinal(rng, 600, effects=[0.8, -0.6], cutpoints=cutpoints, slope=0.03, groups=20, group_sd=0.8)
    spec = SurveySpec(respondent=None, scale=(1, 5), items=("answer",), factors={"condition": ("a", "b", "c")},
                      covariates=("age",), group="shop")
    fitted = build_regression(validate(frame, spec), RegressionSpec())
    idata = sample(fitted.model, thorough)
    summary = tidy_summary(idata, fitted.parameters)
    truth = {"condition[b]": 0.8, "condition[c]": -0.6, "age": 0.03, "shop_sd": 0.8,
             **{f"cutpoints[{k}|{k + 1}]": c for k, c in enumerate(cutpoints, start=1)}}
    assert interval_covers(summary, truth) == {}
    assert (summary["r_hat"] < 1.01).all()
    assert convergence_report(idata)["passed"].all()


@pytest.mark.slow
def test_parameter_recovery_probit_collapsed(small):
    rng = np.random.default_rng(5)
    cutpoints = [-0.5, 0.4, 1.2]
    frame = simulate_ordinal(rng, 3000, effects=[0.5, -0.3], cutpoints=cutpoints, link="probit")
    spec = SurveySpec(respondent=None, scale=(1, 4), items=("answer",), factors={"condition": ("a", "b", "c")})
    fitted = build_regression(validate(frame, spec), RegressionSpec(link="probit"))
    assert fitted.n_likelihood_rows == 3  # 3,000 respondents, three patterns
    summary = tidy_summary(sample(fitted.model, small), fitted.parameters)
    truth = {"condition[b]": 0.5, "condition[c]": -0.3,
             **{f"cutpoints[{k}|{k + 1}]": c for k, c in enumerate(cutpoints, start=1)}}
    assert interval_covers(summary, truth) == {}
    assert (summary["r_hat"] < 1.01).all()


@pytest.mark.slow
def test_respondent_intercepts_with_several_items(thorough):
    """Uncollapsed path: four items per respondent sharing a respondent intercept."""
    rng = np.random.default_rng(3)
    n = 150
    condition = rng.integers(0, 2, n)
    person = rng.normal(0, 1.0, n)
    person -= person.mean()  # the model's respondent intercepts sum to zero
    eta = 0.9 * condition + person
    shifts = {"q1": 0.0, "q2": 0.4, "q3": -0.4, "q4": 0.2}
    cutpoints = np.array([-1.5, -0.5, 0.5, 1.5])
    items = {q: 1 + (eta[:, None] + shift + rng.logistic(size=(n, 1)) > cutpoints[None, :]).sum(axis=1)
             for q, shift in shifts.items()}
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(n)], "condition": np.where(condition, "yes", "no"), **items})
    frame.index = pd.RangeIndex(2, 2 + n, name="row")
    spec = SurveySpec(respondent="id", scale=(1, 5), items=tuple(shifts), factors={"condition": ("no", "yes")})
    fitted = build_regression(validate(frame, spec), RegressionSpec(respondent_intercept=True))
    assert not fitted.collapsed and fitted.n_likelihood_rows == 4 * n
    idata = sample(fitted.model, thorough)
    summary = tidy_summary(idata, fitted.parameters)
    assert "respondent_sd" in set(summary["parameter"]) and "item[q2]" in set(summary["parameter"])
    truth = {"condition[yes]": 0.9, "respondent_sd": 1.0,
             **{f"item[{q}]": shift for q, shift in shifts.items() if q != "q1"},
             **{f"cutpoints[{k}|{k + 1}]": c for k, c in enumerate(cutpoints, start=1)}}
    assert interval_covers(summary, truth) == {}
    assert convergence_report(idata)["passed"].all()


def _survey_for_integration(n: int = 30, covariate: bool = True):
    """Three items, a factor and (optionally) a covariate constant within respondents, and one unanswered item."""
    rng = np.random.default_rng(11)
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(n)], "condition": np.where(rng.random(n) < 0.5, "yes", "no"),
                          "age": rng.integers(20, 60, n).astype(float),
                          **{q: rng.integers(1, 6, n).astype(float) for q in ("q1", "q2", "q3")}})
    frame.loc[3, "q2"] = np.nan
    frame.index = pd.RangeIndex(2, 2 + n, name="row")
    spec = SurveySpec(respondent="id", scale=(1, 5), items=("q1", "q2", "q3"), factors={"condition": ("no", "yes")},
                      covariates=("age",) if covariate else ())
    return validate(frame, spec)


@pytest.mark.parametrize("covariate, cutpoints, link", [
    pytest.param(True, "shared", "logit", id="a shift per pattern"),
    pytest.param(False, "shared", "logit", id="tabulated per condition"),
    pytest.param(False, "per_item", "logit", id="per-item cutpoints"),
    pytest.param(False, "per_item", "probit", id="probit, per-item cutpoints"),
    # scipy's quadrature of 30 respondents' normal CDFs, one shift each: 17 s in a fresh run, so not in make test
    pytest.param(True, "shared", "probit", id="probit", marks=pytest.mark.slow),
])
def test_integrated_respondent_intercepts_are_the_integral_of_the_answers_likelihood(covariate, cutpoints, link):
    """The integrated form's log-likelihood at a random point against scipy's adaptive quadrature of each
    respondent's answers over their N(0, sd) intercept, written from the reported (uncentred) parameters:
    P(answer <= k) = F(cut[i, k] - condition - age slope x age - u), F the logistic (or normal) CDF, where item
    i's cutpoints cut[i] are the shared cutpoints minus its item effect, or its own (per_item). With the covariate
    every respondent has a shift of their own; without it, the two conditions' answers are tabulated (logit)."""
    from scipy import integrate, special

    cdf = special.expit if link == "logit" else special.ndtr

    survey = _survey_for_integration(covariate=covariate)
    per_item = cutpoints == "per_item"
    fitted = build_regression(survey, RegressionSpec(respondent_intercept=True, integrate_respondents=True,
                                                     cutpoints=cutpoints, link=link))
    keys = ["condition", *(["age"] if covariate else [])]
    alike = survey.answers.pivot_table(index=["respondent", *keys], columns="item", values="answer", observed=True)
    patterns = len(alike.reset_index(level=keys).drop_duplicates())  # respondents who answered alike count once
    assert fitted.n_likelihood_rows == patterns and not fitted.has_random_intercepts
    model = fitted.model
    assert ("pattern_group" in model.named_vars) is not covariate  # which of the two forms
    assert ("item" in model.named_vars) is not per_item  # per-item cutpoints take the place of item effects
    rng = np.random.default_rng(5)
    point = {k: v + rng.normal(0, 0.3, np.shape(v)) for k, v in model.initial_point().items()}
    names = [*([] if per_item else ["item"]), "condition", *(["age"] if covariate else []), "respondent_sd",
             "cutpoints"]
    outputs = model.replace_rvs_by_values([model[n] for n in [*names, "answers"]])  # functions of the point
    # Without numba: the value does not depend on the backend, and five models compile in seconds, not minutes.
    at_point = model.compile_fn(outputs, inputs=model.value_vars, point_fn=False, mode="FAST_COMPILE")
    *found, loglik = at_point(*[point[v.name] for v in model.value_vars])
    values = dict(zip(names, found))
    if per_item:
        assert values["cutpoints"].shape == (3, 4)
        item_cuts = values["cutpoints"]
    else:
        item_cuts = values["cutpoints"][None, :] - np.concatenate([[0.0], values["item"]])[:, None]
    cuts = dict(zip(["q1", "q2", "q3"], np.pad(item_cuts, ((0, 0), (1, 1)), constant_values=(-np.inf, np.inf))))
    sd = float(values["respondent_sd"])
    expected = 0.0
    for _, person in survey.answers.groupby("respondent", observed=True):
        eta = values["condition"][0] * (person["condition"].astype(str).to_numpy() == "yes")
        if covariate:
            eta = eta + values["age"] * person["age"].to_numpy()
        k = person["answer"].to_numpy()  # 1..5: between the item's cuts k - 1 and k
        upper = np.array([cuts[str(q)][a] for q, a in zip(person["item"], k)])
        lower = np.array([cuts[str(q)][a - 1] for q, a in zip(person["item"], k)])

        def density(u):
            p = cdf(upper - eta - u) - cdf(lower - eta - u)
            return np.prod(p) * stats.norm.pdf(u, 0.0, sd)

        expected += np.log(integrate.quad(density, -12 * sd, 12 * sd, epsabs=0, epsrel=1e-10, limit=200)[0])
    assert float(loglik) == pytest.approx(expected, abs=1e-3 * len(survey.respondents))


def test_integrated_intercepts_count_a_weighted_respondent_weight_times():
    """Frequency weights in the integrated form: a respondent of weight w counts as w respondents who answered
    alike (weight 0: as none). The log density at random points equals that of the survey with each respondent
    written out w times, up to rounding."""
    survey = _survey_for_integration()
    frame = survey.respondents[["respondent", "condition", "age"]].copy()
    wide = survey.answers.pivot(index="respondent", columns="item", values="answer")
    frame = frame.join(wide, on="respondent")
    frame["w"] = np.arange(len(frame)) % 4  # 0, 1, 2, 3, ...: some respondents count as nobody
    frame.index = pd.RangeIndex(2, 2 + len(frame), name="row")
    spec = dataclasses.replace(survey.spec, respondent="respondent", weight="w")
    weighted = validate(frame, spec)
    copies = frame.loc[frame.index.repeat(frame["w"])].drop(columns="w")
    copies["respondent"] = [f"{r}_{i}" for i, r in enumerate(copies["respondent"])]
    copies.index = pd.RangeIndex(2, 2 + len(copies), name="row")
    expanded = validate(copies, dataclasses.replace(spec, weight=None))
    integrated = RegressionSpec(respondent_intercept=True, integrate_respondents=True)
    models = [build_regression(s, integrated) for s in (weighted, expanded)]
    # Posterior predictive draws come from the survey written out: as many respondents and answers as `expanded`.
    written = written_out(weighted)
    assert (written.respondents["respondent"].nunique(), len(written.answers)) == (
        expanded.respondents["respondent"].nunique(), len(expanded.answers))
    assert len(models[0].rows) == len(written.answers) and models[0].predictive_model is not None
    rng = np.random.default_rng(3)
    start = models[1].model.initial_point()
    for _ in range(3):
        point = {k: v + rng.normal(0, 0.3, np.shape(v)) for k, v in start.items()}
        logp = [m.model.compile_logp()(point) for m in models]
        assert logp[0] == pytest.approx(logp[1], rel=1e-10)
    with pytest.raises(ValueError, match="integrate_respondents=True"):
        build_regression(weighted, RegressionSpec(respondent_intercept=True))


def test_integration_is_refused_where_the_integral_would_be_wrong():
    survey = _survey_for_integration()
    with pytest.raises(ValueError, match="needs a respondent intercept"):
        RegressionSpec(integrate_respondents=True)
    for link in ("logit", "probit"):
        assert integration_refused(survey, RegressionSpec(link=link, respondent_intercept=True)) is None
    frame = survey.answers
    changing = dataclasses.replace(survey, answers=frame.assign(age=frame["age"] + (frame["item"] == "q2")))
    assert "age changes within respondents" in integration_refused(
        changing, RegressionSpec(respondent_intercept=True))


def test_gaussian_model_on_scale_means_matches_least_squares(small):
    """Means of a 7-point scale, two factors, with frequency weights: the posterior ~ OLS."""
    rng = np.random.default_rng(8)
    n = 400
    frame = pd.DataFrame({
        "condition": rng.choice(["control", "recovery"], n),
        "gender": rng.choice(["f", "m"], n),
    })
    latent = 4 + 0.7 * (frame["condition"] == "recovery") - 0.3 * (frame["gender"] == "m")
    for item in ("q1", "q2"):
        frame[item] = np.clip(np.rint(latent + rng.normal(0, 1.2, n)), 1, 7).astype(int)
    frame["n"] = rng.integers(1, 4, n)
    frame.index = pd.RangeIndex(2, 2 + n, name="row")
    spec = SurveySpec(respondent=None, scale=(1, 7), items=("q1", "q2"), weight="n",
                      factors={"condition": ("control", "recovery"), "gender": ("f", "m")})
    fitted = build_regression(validate(frame, spec), RegressionSpec(family="gaussian"))
    assert fitted.n_likelihood_rows == 4  # 400 rows, four patterns
    summary = tidy_summary(sample(fitted.model, small), fitted.parameters).set_index("parameter")

    people = expand(frame, "n")
    y = people[["q1", "q2"]].mean(axis=1).to_numpy()
    x = np.column_stack([np.ones(len(people)), people["condition"] == "recovery", people["gender"] == "m"]).astype(float)
    beta, rss, *_ = np.linalg.lstsq(x, y, rcond=None)
    sigma = np.sqrt(rss[0] / (len(y) - 3))
    for name, value in zip(("intercept", "condition[recovery]", "gender[m]"), beta):
        assert summary.at[name, "mean"] == pytest.approx(value, abs=0.03), name
    assert summary.at["sigma", "mean"] == pytest.approx(sigma, rel=0.03)
    assert (summary["r_hat"] < 1.01).all()


def test_model_rejects_what_it_cannot_fit(housing):
    with pytest.raises(ValueError, match="respondent intercept"):
        RegressionSpec(family="gaussian", respondent_intercept=True)
    with pytest.raises(ValueError, match="family must be one of"):
        RegressionSpec(family="poisson")
    with pytest.raises(ValueError, match="must be collapsed"):
        build_regression(housing, RegressionSpec(), collapse=False)


def test_column_named_like_a_model_variable_is_refused(tmp_path):
    frame = pd.DataFrame({"sigma": ["a", "b"], "q": [1, 2]}, index=pd.Index([2, 3], name="row"))
    survey = validate(frame, SurveySpec(respondent=None, scale=(1, 2), items=("q",), factors={"sigma": None}))
    with pytest.raises(ValueError, match="'sigma' is used by the model"):
        build_regression(survey, RegressionSpec())


# --- simulation-based calibration (Talts et al. 2018) -------------------------------------------

SBC_SIMULATIONS = 100
SBC_KEPT_DRAWS = 99  # ranks take values 0..99: ten bins of ten


def simulate_from_prior(rng, design: pd.DataFrame, priors: Priors) -> tuple[dict, np.ndarray]:
    """Parameters from the model's prior, and answers given them, written out independently of the model.

    Cutpoints: the ordered transform makes their prior the order statistics of iid normals, so
    sorted normal draws. (pm.sample_prior_predictive ignores the transform and returns them
    unsorted, which is why this is not simply the model's prior predictive.) Group intercepts:
    iid normals projected to sum zero, as ZeroSumNormal. The condition effect enters centred on
    its share, as in the model.
    """
    effect = rng.normal(0, priors.effect_sd)
    group_sd = abs(rng.normal(0, priors.group_sd))
    z = rng.normal(0, 1, design["shop"].nunique())
    z -= z.mean()
    cutpoints = np.sort(rng.normal(0, priors.cutpoint_sd, 3))
    is_b = (design["condition"] == "b").to_numpy()
    shop = pd.factorize(design["shop"], sort=True)[0]
    eta = effect * (is_b - is_b.mean()) + group_sd * z[shop]
    above = rng.logistic(size=len(design))[:, None] + eta[:, None] > cutpoints[None, :]
    truth = {"condition": effect, "shop_sd": group_sd, "cut_low": cutpoints[0], "cut_high": cutpoints[2]}
    return truth, 1 + above.sum(axis=1)


@pytest.mark.slow
@pytest.mark.very_slow
def test_simulation_based_calibration_of_the_hierarchical_ordinal_model(settings):
    """Draw parameters and answers from the prior, fit, and rank the truth among the posterior draws.

    If the model's inference is right, each parameter's ranks are uniform (Talts et al. 2018).
    8 groups x 15 respondents, a two-level factor, a 4-point scale; a chi-square test on ten
    bins per parameter.
    """
    rng = np.random.default_rng(2024)
    design = pd.DataFrame({"shop": np.repeat([f"s{g}" for g in range(8)], 15),
                           "condition": np.tile(["a", "b", "b"], 40)})
    design.index = pd.RangeIndex(2, 2 + len(design), name="row")
    spec = SurveySpec(respondent=None, scale=(1, 4), items=("answer",), factors={"condition": ("a", "b")}, group="shop")
    priors = Priors(effect_sd=1.0, cutpoint_sd=2.0, group_sd=1.0)
    posterior_of = {"condition": ("condition", 0), "shop_sd": ("shop_sd", None),
                    "cut_low": ("cutpoints_centred", 0), "cut_high": ("cutpoints_centred", 2)}
    ranks = {name: [] for name in posterior_of}
    fit_settings = settings.with_(draws=SBC_KEPT_DRAWS * 4, tune=400, chains=2)
    for s in range(SBC_SIMULATIONS):
        truth, answers = simulate_from_prior(rng, design, priors)
        fitted = build_regression(validate(design.assign(answer=answers), spec), RegressionSpec(priors=priors))
        posterior = sample(fitted.model, fit_settings.with_(seed=settings.seed + s))["posterior"]
        for name, (var, index) in posterior_of.items():
            draws = posterior[var].stack(sample=("chain", "draw")).transpose("sample", ...).to_numpy()
            draws = draws if index is None else draws[:, index]
            thinned = draws[:: len(draws) // SBC_KEPT_DRAWS][:SBC_KEPT_DRAWS]
            ranks[name].append(int((thinned < truth[name]).sum()))
    for name, values in ranks.items():
        counts = np.bincount(np.asarray(values) // 10, minlength=10)
        p = stats.chisquare(counts).pvalue
        assert p > 0.001, f"{name}: ranks not uniform (p = {p:.2g}, bins {counts.tolist()})"


# --- a pooled block: one factor's effects varying across another's levels ----------------------------------


def test_a_pooled_block_replaces_the_factors_main_effect(survey):
    """`pooled=(("cell", "experiment"),)`: cell's effects in each experiment, partially pooled (a mean per level and
    one spread), in place of cell's main effect; experiment keeps its own. Misuse is refused, naming the pair."""
    spec = RegressionSpec(respondent_intercept=True, integrate_respondents=True, pooled=(("cell", "experiment"),))
    fitted = build_regression(survey, spec)
    assert fitted.parameters == ["item", "experiment", "cell|experiment_mean", "cell|experiment_tau",
                                 "cell|experiment", "respondent_sd", "cutpoints"]
    coords = fitted.model.coords
    assert list(coords["cell|experiment_group"]) == list(survey.spec.factors["experiment"])
    assert list(coords["cell|experiment_level"]) == ["recovery_favourable", "recovery_unfavourable"]
    assert np.isfinite(fitted.model.compile_logp(mode=FORWARD_MODE)(fitted.model.initial_point()))
    for pooled, interactions, message in [((("cell", "cell"),), (), "cannot vary across itself"),
                                          ((("cell", "age"),), (), "age is not a factor"),
                                          ((("cell", "experiment"),), (("cell", "experiment"),), "interaction")]:
        with pytest.raises(ValueError, match=f"pooled cell\\|{pooled[0][1]}: .*{message}"):
            build_regression(survey, RegressionSpec(pooled=pooled, interactions=interactions))


def test_a_separate_block_gives_each_level_its_own_effects(survey):
    """`separate=(("cell", "experiment"),)`: cell's effects in each experiment, each ~ N(0, effect_sd) on its own
    (no mean, no spread), in place of cell's main effect; experiment keeps its own. A factor in two blocks, or in a
    block and an interaction, is refused."""
    spec = RegressionSpec(respondent_intercept=True, integrate_respondents=True, separate=(("cell", "experiment"),),
                          priors=Priors(effect_sd=1.5))
    fitted = build_regression(survey, spec)
    assert fitted.parameters == ["item", "experiment", "cell|experiment", "respondent_sd", "cutpoints"]
    model = fitted.model
    assert model.named_vars_to_dims["cell|experiment"] == ("cell|experiment_group", "cell|experiment_level")
    assert "cell|experiment_tau" not in model.named_vars
    point = np.random.default_rng(1).normal(size=(len(survey.spec.factors["experiment"]), 2))
    prior = pm.logp(model["cell|experiment"], point).eval()
    np.testing.assert_allclose(prior, stats.norm.logpdf(point, 0.0, 1.5))
    for blocks, message in [(dict(pooled=(("cell", "experiment"),), separate=(("cell", "experiment"),)), "one block"),
                            (dict(separate=(("cell", "experiment"),), interactions=(("cell", "experiment"),)),
                             "interaction")]:
        with pytest.raises(ValueError, match=f"cell\\|experiment: .*{message}"):
            build_regression(survey, RegressionSpec(**blocks))


@pytest.mark.slow
@pytest.mark.parametrize("pooled", [True, False], ids=["pooled", "separate"])
def test_the_srp_model_is_a_regression_spec_with_a_block(survey, settings, pooled):
    """The SRP analysis's ordinal models as specs on this engine: factors experiment and cell, cell's effects in
    each experiment pooled across experiments (`pooled`) or each their own (`separate`, the verdicts' model),
    respondent intercepts integrated out, the SRP model's priors. Their recovery effects (and the pooled one's mean
    and spread) agree with srp.ordinal_model's within 0.2 posterior SD (2026-11-29: pooled within 0.05), although the
    regression has shared cutpoints plus item shifts where the SRP model has free cutpoints per item (the stand-in
    is generated with the former) and treatment-coded experiments where it has zero-sum baselines."""
    from paradox import hypotheses
    from paradox.models import srp

    priors = srp.OrdinalPriors()
    block = {"pooled" if pooled else "separate": (("cell", "experiment"),)}
    spec = RegressionSpec(respondent_intercept=True, integrate_respondents=True, **block,
                          priors=Priors(effect_sd=priors.effect_sd, effect_spread=priors.effect_spread,
                                        respondent_sd=priors.respondent_sd))
    srp_model = srp.ordinal_model(survey, priors, pooled=pooled, integrate_respondents=True)
    run = hypotheses.settings_for(srp_model, settings)
    engine = sample(build_regression(survey, spec).model, run)["posterior"]
    reference = sample(srp_model, run)["posterior"]
    pairs = [("cell|experiment", "recovery_effect")]
    if pooled:
        pairs += [("cell|experiment_mean", "recovery_effect_mean"), ("cell|experiment_tau", "recovery_effect_tau")]
    for ours, theirs in pairs:
        a, b = engine[ours].mean(("chain", "draw")).values, reference[theirs].mean(("chain", "draw")).values
        sd = reference[theirs].std(("chain", "draw")).values
        assert (np.abs(a - b) < 0.2 * sd).all(), (ours, a, b, sd)
