"""Layouts of an SRP study (README, "Layouts"): hypotheses as contrasts over named cells.

Fast checks (no sampling): the example design files load, a design or survey without an experiment's control
is refused naming the experiment, within-respondent factors are allowed only where a respondent intercept
follows them. Worked examples (slow: one real fit per layout, shared by a module-scoped fixture): each
simulated example (data/design/examples/, labelled synthetic) gives a verdict table of the same shape as
results/verdicts.csv, with the verdicts its simulated truth implies by a wide margin.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from paradox.data import SurveySpec, validate
from paradox.design import load_design
from paradox.errors import InputError
from paradox.hypotheses import analyse_srp
from paradox.models import regression, srp
from paradox.settings import DATA_DIR, RESULTS_DIR
from paradox.simulate import simulate_survey

EXAMPLES = DATA_DIR / "design" / "examples"
LAYOUTS = ("shared_control", "factorial", "within_subject")
#: The verdicts the simulated effects imply (every probability behind them beyond 0.99 at these sizes, for the
#: ordinal, Gaussian and Welch alike: 2026-11-29, fast mode).
EXPECTED = {
    "shared_control": {"H1": "claim holds", "H3": "no paradox"},
    "factorial": {"H1": "claim holds", "R1": "claim holds"},
    "within_subject": {"H2": "claim holds"},
}


def example(layout):
    design = load_design(EXAMPLES / f"{layout}.yaml")
    return design, validate(simulate_survey(design), design.survey_spec(), source=f"{layout} (synthetic)")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_example_designs_load_and_simulate(layout):
    design, survey = example(layout)
    assert design.layout == layout and design.named_cells
    assert set(survey.answers["cell"].astype(str)) == set(design.cells)
    assert bool(survey.spec.within_respondent) == (layout == "within_subject")


def test_the_committed_design_keeps_the_separate_layout(design):
    assert design.layout == "separate" and not design.named_cells
    assert [e.cells for e in design.experiments] == [("no_failure", "recovery_favourable", "recovery_unfavourable")] * 4


def test_a_factorial_without_a_no_failure_arm_is_refused_naming_the_experiment(tmp_path):
    text = (EXAMPLES / "factorial.yaml").read_text()
    text = text.replace("cells: [no_failure, ", "cells: [").replace("control: no_failure, ", "")
    path = tmp_path / "no_arm.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match="experiment severity .*no control cell"):
        load_design(path)


def without(survey, keep_answer):
    """The survey with only the answers (and respondents) keep_answer(answers) selects."""
    answers = survey.answers[keep_answer(survey.answers)].reset_index(drop=True)
    kept = survey.respondents["respondent"].isin(answers["respondent"])
    return dataclasses.replace(survey, answers=answers, respondents=survey.respondents[kept].reset_index(drop=True))


def test_a_survey_without_a_control_is_refused_naming_the_experiment(survey):
    design, shared = example("shared_control")
    frame = simulate_survey(design)
    no_control = validate(frame[frame["cell"] != "no_failure"].reset_index(drop=True), design.survey_spec())
    with pytest.raises(InputError, match="experiment severity .*control cell 'no_failure'"):
        srp.cell_model(no_control, design)
    # the separate layout (the committed design): an experiment's own control
    partial = without(survey, lambda a: ~((a["experiment"] == "stability") & (a["cell"] == "no_failure")))
    for integrate in (False, True):
        with pytest.raises(InputError, match="experiment stability has no respondents in its no-failure control cell"):
            srp.ordinal_model(partial, integrate_respondents=integrate)


def test_a_survey_without_a_recovery_cell_is_refused_naming_the_experiment_and_the_cell(survey):
    """The hypothesis compares both recovery levels with the control: an experiment missing one gets no verdict."""
    design, shared = example("shared_control")
    partial = without(shared, lambda a: a["cell"] != "severity_high")
    with pytest.raises(InputError, match=r"experiment severity \(H1\) has no respondents in cell\(s\) 'severity_high'"):
        srp.cell_model(partial, design)
    separate = without(survey, lambda a: ~((a["experiment"] == "stability") & (a["cell"] == "recovery_unfavourable")))
    for integrate in (False, True):
        with pytest.raises(InputError, match=r"experiment stability has no respondents in cell\(s\) 'recovery_unfavourable'"):
            srp.ordinal_model(separate, integrate_respondents=integrate)


def test_within_respondent_factors_need_a_declaration_and_a_respondent_intercept():
    frame = pd.DataFrame({"id": ["a", "a", "b", "b", "c", "c"], "occasion": ["one", "two"] * 3,
                          "q1": [3, 4, 2, 2, 5, 4], "q2": [3, 5, 1, 2, 4, 4]})
    spec = SurveySpec(respondent="id", scale=(1, 5), items=("q1", "q2"), factors={"occasion": None})
    with pytest.raises(InputError, match="duplicated id"):
        validate(frame, spec)
    within = validate(frame, SurveySpec(respondent="id", scale=(1, 5), items=("q1", "q2"), factors={"occasion": None},
                                        within_respondent=("occasion",)))
    assert len(within.answers) == 12 and within.answers.groupby("respondent")["occasion"].nunique().eq(2).all()
    with pytest.raises(ValueError, match="occasion changes within respondents: .*respondent intercept"):
        regression.build_regression(within, regression.RegressionSpec())
    fitted = regression.build_regression(within, regression.RegressionSpec(respondent_intercept=True))
    assert "respondent_sd" in fitted.model.named_vars
    with pytest.raises(ValueError, match="within-subject"):
        srp.ordinal_model(within)


def test_within_subject_layout_refuses_to_integrate_the_intercepts():
    design, survey = example("within_subject")
    with pytest.raises(ValueError, match="samples the intercepts"):
        srp.cell_model(survey, design, integrate_respondents=True)


@pytest.mark.parametrize("layout", ["shared_control", "factorial"])
def test_the_gaussian_cell_model_is_the_raw_scale_means_likelihood_with_each_cell_once(layout):
    """srp.gaussian_cell_model from each named cell's n, mean and SD: one row per cell (a shared control once, not
    once per experiment), and the log likelihood differs from that of the respondents' raw scale means, Normal(cell
    mean, cell SD), by a constant: the same posterior. Each hypothesis's effect is its cells' difference of means."""
    import numpy as np
    from scipy import stats

    from paradox.models.sampling import FORWARD_MODE

    design, survey = example(layout)
    model = srp.gaussian_cell_model(survey, design)
    cells = list(model.coords["cell"])
    assert sorted(cells) == sorted(design.cells) and model["observed_mean"].eval().shape == (len(cells),)
    loglik = model.compile_fn(model.logp(vars=model.observed_RVs), point_fn=True, mode=FORWARD_MODE)
    constrained = model.compile_fn(model.unobserved_value_vars, point_fn=True, mode=FORWARD_MODE)
    names = [v.name for v in model.unobserved_value_vars]
    means = survey.answers.groupby("respondent", observed=True).agg(cell=("cell", "first"), y=("answer", "mean"))
    cell_index = means["cell"].astype(str).map({c: i for i, c in enumerate(cells)}).to_numpy()
    rng = np.random.default_rng(3)
    gaps = []
    for _ in range(3):
        point = {k: v + rng.normal(0, 0.3, size=np.shape(v)) for k, v in model.initial_point().items()}
        values = dict(zip(names, constrained(point)))
        mu, sigma, effect = values["cell_mean"], values["cell_sd"], values["recovery_effect"]
        raw = stats.norm.logpdf(means["y"].to_numpy(), mu[cell_index], sigma[cell_index]).sum()
        gaps.append(loglik(point) - raw)
        for e, experiment in enumerate(design.experiments):
            control, favourable, unfavourable = (cells.index(c) for c in experiment.cells)
            assert effect[e] == pytest.approx([mu[favourable] - mu[control], mu[unfavourable] - mu[control]])
    assert np.ptp(gaps) < 1e-8 * abs(gaps[0]) + 1e-8, gaps


@pytest.fixture(scope="module")
def layout_fits(fast_settings):
    """One fit per layout, on first use."""
    class Fits(dict):
        def __missing__(self, layout):
            design, survey = example(layout)
            self[layout] = (design, analyse_srp(survey, fast_settings, design))
            return self[layout]
    return Fits()


@pytest.mark.slow
@pytest.mark.parametrize("layout", LAYOUTS)
def test_worked_example_gives_the_verdict_table_of_the_same_shape(layout_fits, layout):
    design, result = layout_fits[layout]
    committed = pd.read_csv(RESULTS_DIR / "verdicts.csv")
    assert list(result.verdicts.columns) == list(committed.columns)
    methods = set(result.verdicts["method"])
    assert methods == ({"ordinal"} if layout == "within_subject" else {"ordinal", "gaussian", "welch"})
    for method in methods:  # every method reaches the verdicts the simulated effects imply
        verdicts = result.verdicts[result.verdicts["method"] == method].set_index("hypothesis")
        assert verdicts["verdict"].to_dict() == EXPECTED[layout], method
    assert {"latent (logit)", "top-two-box (probability)"} == set(result.tests["scale"])


def test_cell_model_integrated_likelihood_equals_adaptive_quadrature_per_respondent():
    """The shared-control model's likelihood at a random point: each respondent's answers integrated over
    their intercept by scipy's adaptive quadrature (quadrature.pattern_loglik_scipy), summed over respondents."""
    import numpy as np

    from paradox.models import quadrature
    from paradox.models.sampling import FORWARD_MODE

    design, survey = example("shared_control")
    model = srp.cell_model(survey, design)
    loglik = model.compile_fn(model.logp(vars=model.potentials), point_fn=True, mode=FORWARD_MODE)
    constrained = model.compile_fn(model.unobserved_value_vars, point_fn=True, mode=FORWARD_MODE)
    rng = np.random.default_rng(8)
    point = {k: v + rng.normal(0, 0.3, size=np.shape(v)) for k, v in model.initial_point().items()}
    values = dict(zip([v.name for v in model.unobserved_value_vars], constrained(point)))
    cells = list(model.coords["cell"])
    wide = survey.answers.pivot(index="respondent", columns="item", values="answer") - 1
    cell_of = survey.answers.groupby("respondent", observed=True)["cell"].first().astype(str)
    group = np.array([cells.index(cell_of[r]) for r in wide.index])
    expected = quadrature.pattern_loglik_scipy(wide.to_numpy(dtype=int), group, values["cutpoints"],
                                               values["cell_effect"], float(values["respondent_sd"])).sum()
    assert loglik(point) == pytest.approx(expected, abs=1e-3)
