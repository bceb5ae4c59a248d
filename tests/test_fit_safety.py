"""`paradox fit` gives no silent wrong result (issue 12, items 5 and 6): a respondent intercept by default for
several answers per respondent; the SRP analysis refuses what it would misread (weights, an experiment without
its control, predictors it cannot take); every prior settable, reported, and checked for dominance."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pandas as pd
import pytest
import yaml

from paradox.cli import main
from paradox.errors import EXIT_BAD_INPUT, InputError
from paradox.fit import AnalysisConfig, prepare
from paradox.fit import run as fit_run
from paradox.fit.priors import HALF_NORMAL_SD, regression_priors, srp_gaussian_priors, srp_priors
from paradox.verdict import VERDICTS_POOLED
from paradox.models.srp import GaussianPriors, OrdinalPriors

#: A short run: these tests check plumbing and a prior's dominance, not posterior numbers.
QUICK = ["--draws", "200", "--tune", "200", "--chains", "2"]


def three_item_survey(n: int = 40) -> pd.DataFrame:
    """A deterministic survey: n respondents, two conditions, three items on 1..5 that go together."""
    i = np.arange(n)
    level = 1 + i % 4 + (i % 2)  # recovery (odd i) one point higher
    return pd.DataFrame({"id": [f"r{k}" for k in i], "condition": np.where(i % 2, "recovery", "failure"),
                         "q1": level, "q2": np.minimum(5, level + (i % 3 == 0)), "q3": np.maximum(1, level - (i % 5 == 0))})


def weighted_three_item_survey() -> pd.DataFrame:
    """three_item_survey with frequency weights 0, 1, 2, 0, 1, 2, ... (weight 0: nobody)."""
    frame = three_item_survey()
    return frame.assign(w=np.arange(len(frame)) % 3)


CONFIG = {"respondent": "id", "items": ["q1", "q2", "q3"], "scale": [1, 5],
          "factors": {"condition": ["failure", "recovery"]}}


def srp_survey(drop_control_of: str | None = None) -> pd.DataFrame:
    """Two SRP experiments with every cell; optionally one experiment loses its no-failure control."""
    rows = [{"id": f"{e}{c}{k}", "experiment": e, "cell": c, "q1": 1 + (k + j) % 7, "q2": 1 + (k + 2 * j) % 7}
            for e in ("severity", "stability") for j, c in enumerate(("no_failure", "recovery_favourable",
                                                                     "recovery_unfavourable")) for k in range(4)]
    frame = pd.DataFrame(rows)
    if drop_control_of:
        frame = frame[~((frame["experiment"] == drop_control_of) & (frame["cell"] == "no_failure"))]
    return frame


SRP_CONFIG = {"respondent": "id", "items": ["q1", "q2"], "scale": [1, 7], "factors": {"experiment": None, "cell": None},
              "srp": True}


@pytest.fixture
def no_sampling(monkeypatch):
    """A refusal must come before any sampling."""
    monkeypatch.setattr(fit_run, "sample", lambda *a, **k: pytest.fail("sampled although the run was refused"))


def refused(tmp_path, capsys, frame: pd.DataFrame, config: dict, *extra) -> str:
    """Run `paradox fit` expecting exit 2 with nothing written; returns the message."""
    data, config_file, out = tmp_path / "survey.csv", tmp_path / "analysis.yaml", tmp_path / "out"
    frame.to_csv(data, index=False)
    config_file.write_text(yaml.safe_dump(config))
    status = main(["fit", str(data), "--config", str(config_file), "--out", str(out), *QUICK, *extra])
    err = capsys.readouterr().err
    assert status == EXIT_BAD_INPUT, err
    assert err.startswith("paradox fit: error: ") and len(err.strip().splitlines()) == 1
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["analysis.yaml", "survey.csv"]
    return err


# --- the respondent intercept ------------------------------------------------------------------------


def test_several_items_get_a_respondent_intercept_by_default():
    prepared = prepare(three_item_survey(), CONFIG)
    assert prepared.regression.spec.respondent_intercept
    assert "respondent_sd" in prepared.regression.parameters
    assert any("Respondent intercept: on (the default" in note for note in prepared.notes)
    assert prepared.cautions == []


def test_one_answer_per_respondent_gets_none():
    prepared = prepare(three_item_survey(), {**CONFIG, "items": ["q1"]})
    assert not prepared.regression.spec.respondent_intercept and prepared.cautions == []
    # the only note: one item implies no respondent spread, so the priors are the defaults
    assert prepared.notes == ["Regression priors: the defaults (set for respondents spread by 3.2 logits): one item "
                              "implies no spread to scale them to."]


def test_switching_the_intercept_off_warns():
    prepared = prepare(three_item_survey(), {**CONFIG, "respondent_intercept": False})
    assert not prepared.regression.spec.respondent_intercept
    assert len(prepared.cautions) == 1 and "treated as an independent respondent" in prepared.cautions[0]
    assert any("WARNING" in note for note in prepared.notes)


def test_weights_with_several_items_integrate_the_intercepts_out(tmp_path, capsys, no_sampling):
    """Several items and frequency weights: the respondent intercepts are integrated out, where a weight counts its
    respondent's answer pattern (README, `respondent_intercept`), with either link; and the intercept can still be
    switched off, with a warning."""
    frame = weighted_three_item_survey()
    prepared = prepare(frame, {**CONFIG, "weight": "w"})
    spec = prepared.regression.spec
    assert spec.respondent_intercept and spec.integrate_respondents and not prepared.cautions
    assert any("integrated out" in note for note in prepared.notes)
    probit = prepare(frame, {**CONFIG, "weight": "w", "link": "probit"}).regression
    assert probit.spec.integrate_respondents and probit.spec.link == "probit" and probit.n_patterns is not None
    prepared = prepare(frame, {**CONFIG, "weight": "w", "respondent_intercept": False})
    assert not prepared.regression.spec.respondent_intercept and prepared.cautions


def test_the_intercepts_are_integrated_out_where_the_config_asks(tmp_path, capsys, no_sampling):
    """`integrate_respondents: true` (flag --integrate-respondents) integrates an unweighted survey's intercepts
    out: the same parameters, a likelihood over answer patterns instead of one intercept per respondent, and the
    report says so. Refused, naming the key, where there is nothing to integrate or it cannot be done, and
    `false` with weights (which need it)."""
    frame = three_item_survey()
    sampled = prepare(frame, CONFIG)
    integrated = prepare(frame, {**CONFIG, "integrate_respondents": True})
    assert not sampled.regression.spec.integrate_respondents and integrated.regression.spec.integrate_respondents
    assert integrated.regression.parameters == sampled.regression.parameters
    assert integrated.regression.n_patterns < len(frame) and "respondent_z" not in integrated.regression.model
    assert any("integrate_respondents: true" in note for note in integrated.notes)
    for config, message in [({"items": ["q1"]}, "no respondent intercept"),
                            ({"respondent_intercept": False}, "needs the ordinal model with its respondent")]:
        err = refused(tmp_path, capsys, frame, {**CONFIG, "integrate_respondents": True, **config})
        assert "key 'integrate_respondents'" in err and message in err, err
    err = refused(tmp_path, capsys, weighted_three_item_survey(), {**CONFIG, "weight": "w"},
                  "--no-integrate-respondents")
    assert "key 'integrate_respondents'" in err and "need the intercepts integrated out" in err, err


def test_per_item_cutpoints_from_the_config(tmp_path, capsys, no_sampling):
    """`cutpoints: per_item` gives each item its own cutpoints in place of the item effects, sampled or
    integrated; the prior table says so; refused, naming the key, for the Gaussian model or an unknown value."""
    frame = three_item_survey()
    for integrate in (False, True):
        prepared = prepare(frame, {**CONFIG, "cutpoints": "per_item", "integrate_respondents": integrate})
        model = prepared.regression.model
        assert "item" not in model.named_vars and model.named_vars_to_dims["cutpoints"] == ("item", "cutpoint")
        assert "per item" in regression_priors(prepared.regression).prior("cutpoints")[0]
    for config, message in [({"model": "gaussian"}, "has no cutpoints"), ({"cutpoints": "each"}, "one of")]:
        err = refused(tmp_path, capsys, frame, {**CONFIG, "cutpoints": "per_item", **config})
        assert "key 'cutpoints'" in err and message in err, err


def test_a_weighted_survey_with_several_items_is_fitted_and_checked(tmp_path, fast_settings):
    """The whole run with weights and the intercepts integrated out: it converges, and its answer check draws
    from the survey written out (a respondent of weight w as w), so the observed shares are the weighted ones."""
    from paradox.fit import fit_survey
    from paradox.models.regression import answer_distribution_check

    frame = weighted_three_item_survey()
    result = fit_survey(frame, {**CONFIG, "weight": "w"}, fast_settings)
    assert result.convergence["passed"].all() and "respondent_sd" in set(result.summary["parameter"])
    out = result.write(tmp_path / "out")
    assert (out / "figures" / "answer_check.png").exists()
    long = frame.melt(id_vars=["id", "condition", "w"], value_vars=["q1", "q2", "q3"])
    weighted = long.groupby("value")["w"].sum() / long["w"].sum()
    check = answer_distribution_check(result.regression, result.idata)
    assert check["observed"].to_numpy() == pytest.approx(weighted.reindex(range(1, 6), fill_value=0).to_numpy())


# --- the SRP analysis refuses what it would misread ---------------------------------------------------


def weighted_and_duplicated() -> tuple[pd.DataFrame, pd.DataFrame]:
    """srp_survey with weights (every third respondent 2, plus zero-weight rows of answers nobody else gave),
    and the same respondents written out: a weight-2 row twice (the copy's id sorts right after the original's),
    zero-weight rows left out."""
    frame = srp_survey()
    weighted = frame.assign(w=np.where(np.arange(len(frame)) % 3 == 0, 2, 1))
    zero = frame.groupby(["experiment", "cell"]).head(1).assign(id=lambda f: f["id"] + "_zero", q1=7, q2=1, w=0)
    copies = weighted[weighted["w"] == 2].assign(id=lambda f: f["id"] + "_copy")
    duplicated = pd.concat([weighted, copies]).sort_values("id", kind="stable").assign(w=1)
    return pd.concat([weighted, zero], ignore_index=True), duplicated.reset_index(drop=True)


WEIGHTED_SRP_CONFIG = {**SRP_CONFIG, "weight": "w", "respondent_intercept": False,
                       "srp_gaussian_priors": {"effect_sd": 0.8}}


def test_srp_takes_frequency_weights(no_sampling):
    weighted, duplicated = weighted_and_duplicated()
    prepared = prepare(weighted, WEIGHTED_SRP_CONFIG)  # no longer refused
    assert prepared.design is not None and prepared.survey.n_respondents == len(duplicated)


@pytest.mark.slow
def test_weighted_and_duplicated_surveys_give_identical_srp_verdicts(tmp_path):
    """Identical pattern counts and cell statistics (exact: the answers are whole and half points) make the same
    models, so with the same seed the same draws: the verdict tables are equal, not just close. The zero-weight
    rows (answers nobody else gave) are in the weighted file only: equality shows they were dropped."""
    tables = []
    for name, frame in zip(("weighted", "duplicated"), weighted_and_duplicated()):
        data, config_file, out = tmp_path / f"{name}.csv", tmp_path / f"{name}.yaml", tmp_path / name
        frame.to_csv(data, index=False)
        config_file.write_text(yaml.safe_dump(WEIGHTED_SRP_CONFIG))
        assert main(["fit", str(data), "--config", str(config_file), "--out", str(out), *QUICK]) == 0
        tables.append(pd.read_csv(out / "verdicts.csv"))
        assert (out / "srp_tests.csv").exists()
    assert set(tables[0]["method"]) == {"ordinal", "gaussian", "welch"}
    pd.testing.assert_frame_equal(tables[0], tables[1], check_exact=True)
    # the Gaussian model's priors, set in the config, are in the report's prior table
    report = (tmp_path / "weighted" / "report.md").read_text()
    row = r"\| SRP Gaussian \| recovery_effect\[[a-z_]+, favourable\] \| Normal\(0, 0\.8\) \|"
    assert re.search(row, report), report


def test_srp_verdicts_are_unpooled_unless_the_config_pools_them(monkeypatch):
    """The SRP models keep each experiment's effects their own by default (verdict.VERDICTS_POOLED: a pooled
    verdict borrows a paradox from the other experiments), the report says which; `srp_pooled: true` pools them,
    with a warning, and analyse_srp is told so."""
    assert not any("srp_pooled: true" in c for c in prepare(srp_survey(), SRP_CONFIG).cautions)
    assert any("each experiment's recovery effects its own" in n for n in prepare(srp_survey(), SRP_CONFIG).notes)
    pooled = prepare(srp_survey(), {**SRP_CONFIG, "srp_pooled": True})
    assert any("partially pooled (srp_pooled: true)" in n for n in pooled.notes)
    assert any("borrows from the other experiments" in c for c in pooled.cautions)
    told = []

    def analyse(*args, pooled, **kwargs):
        told.append(pooled)
        raise RuntimeError("stop here")

    monkeypatch.setattr(fit_run, "sample", lambda *a, **k: None)
    monkeypatch.setattr(fit_run, "_add_posterior_predictive", lambda *a, **k: None)
    monkeypatch.setattr(fit_run, "analyse_srp", analyse)
    for config in (SRP_CONFIG, {**SRP_CONFIG, "srp_pooled": True}):
        with pytest.raises(RuntimeError, match="stop here"):
            fit_run.fit_survey(srp_survey(), config)
    assert told == [VERDICTS_POOLED, True]  # the config's default is the package's


def test_srp_refuses_an_experiment_without_its_control(tmp_path, capsys, no_sampling):
    err = refused(tmp_path, capsys, srp_survey(drop_control_of="stability"), SRP_CONFIG)
    assert "experiment stability " in err and "no-failure control" in err and "column 'cell'" in err
    prepare(srp_survey(), SRP_CONFIG)  # with both controls it passes


def test_srp_adjusts_for_other_predictors_by_default_or_leaves_them_out_or_refuses(tmp_path, capsys, no_sampling):
    """srp_other_predictors: adjust (default; the report says for what), leave_out (said too) or refuse; a
    covariate the adjustment cannot use (the same for everybody) is refused before sampling, naming it."""
    frame = srp_survey().assign(age=lambda f: 20.0 + np.arange(len(f)) % 17)
    prepared = prepare(frame, {**SRP_CONFIG, "covariates": ["age"]})
    assert any("the ordinal model adjusts for age" in note for note in prepared.notes)
    prepared = prepare(frame, {**SRP_CONFIG, "covariates": ["age"], "srp_other_predictors": "leave_out"})
    assert any("age left out" in note for note in prepared.notes)
    assert "age" in prepared.regression.parameters  # the regression keeps it either way
    err = refused(tmp_path, capsys, frame, {**SRP_CONFIG, "covariates": ["age"], "srp_other_predictors": "refuse"})
    assert "key 'srp_other_predictors'" in err and "has age besides experiment and cell" in err
    err = refused(tmp_path, capsys, frame.assign(age=30), {**SRP_CONFIG, "covariates": ["age"]})
    assert "key 'srp_other_predictors'" in err and "covariate 'age' has the same value for every respondent" in err


# --- priors: settable, checked, reported ---------------------------------------------------------------


@pytest.mark.parametrize("priors, words", [
    ({"srp_priors": {"efect_sd": 1}}, ["key 'srp_priors'", "did you mean 'effect_sd'?"]),
    ({"srp_priors": {"respondent_sd": -1}}, ["key 'srp_priors'", "positive, finite"]),
    ({"priors": {"effect_sd": ".inf"}}, ["key 'priors'", "positive, finite"]),
])
def test_bad_prior_is_refused_naming_file_and_key(priors, words, tmp_path, capsys, no_sampling):
    err = refused(tmp_path, capsys, srp_survey(), {**SRP_CONFIG, **priors})
    assert "config " in err and "analysis.yaml" in err
    for word in words:
        assert word in err


def test_srp_priors_are_set_from_the_config_and_tabled():
    config = AnalysisConfig.from_dict({**SRP_CONFIG, "srp_priors": {"effect_sd": 0.5, "respondent_sd": 4}})
    assert config.srp_priors == OrdinalPriors(effect_sd=0.5, respondent_sd=4.0)
    assert AnalysisConfig.from_dict(config.as_dict()) == config  # round trip through config.yaml
    pooled = srp_priors(config.srp_priors, pooled=True)
    assert pooled.prior("recovery_effect_mean") == ("Normal(0, 0.5)", 0.5)
    assert pooled.prior("recovery_effect")[1] == pytest.approx(np.hypot(0.5, 1.0))
    assert pooled.prior("respondent_sd")[1] == pytest.approx(4 * HALF_NORMAL_SD)
    assert srp_priors(config.srp_priors, pooled=False).prior("recovery_effect") == ("Normal(0, 0.5)", 0.5)


def test_srp_gaussian_priors_are_set_from_the_config_and_tabled(tmp_path, capsys, no_sampling):
    config = AnalysisConfig.from_dict({**SRP_CONFIG, "srp_gaussian_priors": {"effect_sd": 0.8, "baseline_mean": -1}})
    assert config.srp_gaussian_priors == GaussianPriors(effect_sd=0.8, baseline_mean=-1.0)
    assert AnalysisConfig.from_dict(config.as_dict()) == config  # round trip through config.yaml
    table = srp_gaussian_priors(config.srp_gaussian_priors, pooled=True, scale_points=7)
    assert table.prior("recovery_effect_mean") == ("Normal(0, 0.8)", 0.8)
    assert table.prior("baseline_mean") == ("Normal(-1, 1.5)", 1.5)
    assert table.prior("cell_sd")[1] == pytest.approx(2.5 * HALF_NORMAL_SD)
    assert srp_gaussian_priors(GaussianPriors(), pooled=False, scale_points=7).prior("baseline_mean")[0] == "Normal(4, 1.5)"
    err = refused(tmp_path, capsys, srp_survey(), {**SRP_CONFIG, "srp_gaussian_priors": {"sigma_scale": 0}})
    assert "key 'srp_gaussian_priors'" in err and "positive, finite" in err


def test_srp_gaussian_priors_follow_the_answer_scale_unless_given():
    """The defaults are set for a 7-point scale; on a 5-point scale, two thirds as wide, every scale is two thirds
    of its default and the baselines are centred on 3, an entry the config gives is kept as given, and the report's
    notes say so; the design's region of practical equivalence in points, set for 7 points, gets a warning."""
    assert GaussianPriors().for_scale(7) == GaussianPriors()
    five = srp_survey().assign(q1=lambda f: 1 + (f["q1"] - 1) % 5, q2=lambda f: 1 + (f["q2"] - 1) % 5)
    config = AnalysisConfig.from_dict({**SRP_CONFIG, "scale": [1, 5], "srp_gaussian_priors": {"effect_sd": 0.8}})
    assert config.srp_gaussian_priors_given == ("effect_sd",)
    assert AnalysisConfig.from_dict(config.as_dict()) == config  # the given entry stays given in config.yaml
    prepared = prepare(five, config)
    used = dataclasses.asdict(prepared.srp_gaussian_priors)
    assert used == {"baseline_mean": 3.0, "effect_sd": 0.8, "baseline_sd": pytest.approx(1.0),
                    "effect_spread": pytest.approx(1 / 3), "sigma_scale": pytest.approx(2.5 * 4 / 6)}
    assert any("times 0.667 for this 1..5 scale, the baselines centred on 3; the entries `srp_gaussian_priors` "
               "gives are kept" in note for note in prepared.notes)
    assert any("rope_points" in caution and "5 points" in caution for caution in prepared.cautions)
    with_rope = prepare(five, config.with_(decision={"rope_points": 0.08}))
    assert not any("rope_points" in caution for caution in with_rope.cautions)
    seven = prepare(srp_survey(), AnalysisConfig.from_dict(SRP_CONFIG))
    assert seven.srp_gaussian_priors == GaussianPriors(baseline_mean=4.0)  # the defaults, centred as before
    assert not any("rope_points" in caution for caution in seven.cautions)


def test_prior_check_flags_a_posterior_as_wide_as_its_prior():
    """The check on two known posteriors (evenly spaced quantiles, no sampling): one as wide as its
    Normal(0, 0.02) prior, one a tenth as wide as its Normal(0, 5) prior."""
    import xarray as xr

    from paradox.fit.priors import PriorTable, prior_check

    from scipy import stats

    quantiles = stats.norm.ppf((np.arange(4000) + 0.5) / 4000).reshape(1000, 4).T  # each chain spans N(0, 1)
    posterior = xr.Dataset({"effect": (("chain", "draw"), 0.02 * quantiles), "cut": (("chain", "draw"), 0.5 * quantiles)})
    table = PriorTable({"effect": ("Normal(0, 0.02)", 0.02), "cut": ("Normal(0, 5)", 5.0)})
    check, cautions = prior_check([("regression", xr.DataTree.from_dict({"posterior": posterior}), table)])
    check = check.set_index("parameter")
    assert bool(check.loc["effect", "prior_decides"]) and not bool(check.loc["cut", "prior_decides"])
    assert len(cautions) == 1 and cautions[0].startswith("regression: the prior decides effect")


# One real fit (a compile and a short run, about a minute cold): behind `slow`, as `make test` is at its budget.
@pytest.fixture(scope="module")
def tight_prior_fit(tmp_path_factory):
    """One real fit of a three-item survey with no intercept setting and a deliberately tight effect prior."""
    folder = tmp_path_factory.mktemp("tight")
    three_item_survey().to_csv(folder / "survey.csv", index=False)
    (folder / "analysis.yaml").write_text(yaml.safe_dump({**CONFIG, "priors": {"effect_sd": 0.02}}))
    out = folder / "out"
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        status = main(["fit", str(folder / "survey.csv"), "--config", str(folder / "analysis.yaml"), "--out", str(out),
                       *QUICK])
    return status, out, err.getvalue()


@pytest.mark.slow
def test_report_states_the_default_intercept_and_the_priors(tight_prior_fit):
    status, out, _ = tight_prior_fit
    assert status == 0
    report = (out / "report.md").read_text()
    assert "Respondent intercept: on (the default, because respondents gave several answers" in report
    run = json.loads((out / "run.json").read_text())
    assert run["model"]["respondent_intercept"] is True and run["model"]["priors"]["effect_sd"] == 0.02
    # the given prior as given, a default one as scaled to the data (the report's notes say by how much)
    respondent_sd = run["model"]["priors"]["respondent_sd"]
    assert "## Priors and prior check" in report and "Normal(0, 0.02)" in report
    assert f"HalfNormal({respondent_sd:.4g})" in report and respondent_sd != 1.0


@pytest.mark.slow
def test_a_tight_prior_is_flagged_and_a_weak_one_is_not(tight_prior_fit):
    status, out, err = tight_prior_fit
    check = pd.DataFrame(json.loads((out / "run.json").read_text())["prior_check"]).set_index("parameter")
    assert bool(check.loc["condition[recovery]", "prior_decides"])  # Normal(0, 0.02): the data cannot move it
    cutpoints = check[check.index.str.startswith("cutpoints[")]
    assert len(cutpoints) == 4 and not cutpoints["prior_decides"].any()  # Normal(0, 5): the data decide
    assert "paradox fit: warning: regression: the prior decides condition[recovery]" in err
    assert "**WARNING**: the prior decides" in (out / "report.md").read_text()


# --- --prior NAME=VALUE: one prior from the command line, the config's others kept ----------------------

def test_prior_flag_overrides_the_config_entry_it_names(tmp_path):
    import argparse

    from paradox.fit.cli import _overrides, register
    from paradox.fit.config import load_config

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    config_file = tmp_path / "analysis.yaml"
    config_file.write_text(yaml.safe_dump({**SRP_CONFIG, "priors": {"effect_sd": 2.5, "cutpoint_sd": 5},
                                           "srp_priors": {"effect_sd": 0.5}}))
    args = parser.parse_args(["fit", "survey.csv", "--out", "o", "--prior", "effect_sd=1", "--prior",
                              "srp_priors.respondent_sd=4", "--prior", "srp_gaussian_priors.effect_sd=0.3"])
    config = load_config(config_file, _overrides(args), {"priors": "--prior", "srp_priors": "--prior"})
    assert (config.priors.effect_sd, config.priors.cutpoint_sd) == (1.0, 5.0)  # the flag's, and the config's
    assert config.srp_priors == OrdinalPriors(effect_sd=0.5, respondent_sd=4.0)
    assert config.srp_gaussian_priors == GaussianPriors(effect_sd=0.3)
    assert "srp_gaussian_priors.sigma_scale" in parser._subparsers._group_actions[0].choices["fit"].format_help()


@pytest.mark.parametrize("flag, words", [
    ("efect_sd=1", ["--prior", "unknown prior 'efect_sd'", "srp_priors.respondent_sd"]),
    ("effect_sd", ["--prior", "expected NAME=VALUE"]),
    ("srp_priors.respondent_sd=-1", ["option --prior, key 'srp_priors'", "positive, finite"]),
])
def test_a_bad_prior_flag_is_refused(flag, words, tmp_path, capsys, no_sampling):
    if "=" in flag and not flag.startswith("efect"):
        err = refused(tmp_path, capsys, srp_survey(), SRP_CONFIG, "--prior", flag)
    else:  # argparse refuses it (exit 2) before any file is read
        with pytest.raises(SystemExit) as exit_info:
            main(["fit", str(tmp_path / "survey.csv"), "--out", str(tmp_path / "out"), "--prior", flag])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert not (tmp_path / "out").exists()
    for word in words:
        assert word in err
