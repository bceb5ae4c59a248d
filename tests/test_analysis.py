"""`paradox fit` and its Python API (paradox.analysis): config, bad input, outputs, reproducibility."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import xarray as xr
import yaml

from paradox import analysis
from paradox.analysis import AnalysisConfig, ConfigError, fit_survey, load_config, prepare
from paradox.cli import main
from paradox.data import load_survey
from paradox.errors import EXIT_BAD_INPUT
from paradox.settings import ROOT
from paradox.simulate import DEFAULT_OUTPUT

HOUSING = ROOT / "data" / "reference" / "housing.csv"
HOUSING_CONFIG = ROOT / "data" / "examples" / "housing.yaml"
POLR = {
    "Infl[Medium]": 0.5664, "Infl[High]": 1.2888, "Type[Apartment]": -0.5724, "Type[Atrium]": -0.3662,
    "Type[Terrace]": -1.0910, "Cont[High]": 0.3603, "cutpoints[Low|Medium]": -0.4961, "cutpoints[Medium|High]": 0.6907,
}
#: A short run, for tests of plumbing rather than of numbers.
QUICK = ["--draws", "100", "--tune", "100", "--chains", "2"]


def run(argv, capsys) -> tuple[int, str, str]:
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# --- the housing reference fit, from the command line ---------------------------------------


@pytest.fixture(scope="module")
def housing_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("fit") / "housing"
    status = main(["fit", str(HOUSING), "--config", str(HOUSING_CONFIG), "--out", str(out), "--strict"])
    return status, out


def test_cli_reproduces_polr_on_housing(housing_run):
    status, out = housing_run
    assert status == 0
    summary = pd.read_csv(out / "summary.csv").set_index("parameter")
    for name, mle in POLR.items():
        assert summary.at[name, "mean"] == pytest.approx(mle, abs=0.05), name


def test_cli_writes_every_output(housing_run):
    _, out = housing_run
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert names == {".paradox-output.json", "summary.csv", "summary.json", "posterior.nc", "report.md", "run.json", "config.yaml",
                     "figures/effects.png", "figures/answer_check.png", "figures/effects.csv", "figures/answer_check.csv"}
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == ["parameter", "mean", "sd", "ci_lower", "ci_upper", "r_hat", "ess_bulk", "ess_tail"]
    records = json.loads((out / "summary.json").read_text())
    assert [r["parameter"] for r in records] == list(POLR)
    assert records[0]["mean"] == pytest.approx(summary.at[0, "mean"], abs=1e-5)
    posterior = xr.open_datatree(out / "posterior.nc")
    assert set(posterior["posterior"].data_vars) >= {"Infl", "Type", "Cont", "cutpoints"}
    assert list(posterior["posterior"]["Infl"].coords["Infl_level"].values) == ["Medium", "High"]
    assert "posterior_predictive" in posterior.children
    predictive = posterior["posterior_predictive"]
    assert predictive.sizes["chain"] * predictive.sizes["draw"] <= analysis.MAX_PREDICTIVE_DRAWS
    run_info = json.loads((out / "run.json").read_text())
    assert run_info["data"]["respondents"] == 1681 and run_info["model"]["likelihood_rows"] == 24
    assert run_info["converged"] is True
    report = (out / "report.md").read_text()
    assert "1681 respondents" in report and "Missing answers" in report and "all checks passed" in report
    assert "cutpoints[Low\\|Medium]" in report  # escaped in the markdown table
    assert AnalysisConfig.from_dict(yaml.safe_load((out / "config.yaml").read_text())) == load_config(HOUSING_CONFIG).with_()


def test_cli_prints_the_table(housing_run, capsys, tmp_path):
    status, out, err = run(["fit", str(HOUSING), "--config", str(HOUSING_CONFIG), "--out", str(tmp_path / "o"), *QUICK],
                           capsys)
    assert status == 0
    assert "1681 respondents" in out and "Infl[Medium]" in out and "convergence" in out
    assert "Sampling:" not in out + err  # no library chatter


# --- bad input: status 2, a message naming file / column / row, nothing in DIR ----------------

SURVEY = "id,condition,q1,q2,age\nA,failure,1,2,30\nB,recovery,5,4,41\nC,failure,3,3,25\nD,recovery,4,5,52\n"
CONFIG = {"respondent": "id", "items": ["q1", "q2"], "scale": [1, 5], "factors": {"condition": ["failure", "recovery"]},
          "covariates": ["age"]}


def edit_survey(old: str, new: str) -> str:
    assert old in SURVEY
    return SURVEY.replace(old, new)


BAD_INPUTS = {
    # name: (survey text or None for no file, config changes, extra argv, words the message must have[, file name])
    "missing data file": (None, {}, [], ["no such file"]),
    "empty file": ("", {}, [], ["the file is empty"]),
    "header only": ("id,condition,q1,q2,age\n", {}, [], ["no data rows"]),
    "misspelt column": (SURVEY, {"items": ["q1", "Q_2"]}, [], ["column 'Q_2'", "did you mean 'q2'?"]),
    "answer off the scale": (edit_survey("B,recovery,5,4", "B,recovery,6,4"), {}, [], ["column 'q1'", "row 3", "scale 1..5"]),
    "answer not whole": (edit_survey("C,failure,3,3", "C,failure,3,3.5"), {}, [], ["column 'q2'", "row 4", "whole numbers"]),
    "answer not a number": (edit_survey("C,failure,3,3", "C,failure,three,3"), {}, [], ["column 'q1'", "row 4", "numbers"]),
    "unknown factor level": (edit_survey("D,recovery", "D,Recovery"), {}, [],
                             ["column 'condition'", "row 5", "did you mean 'recovery' for 'Recovery'?"]),
    "duplicated respondent": (edit_survey("D,recovery", "A,recovery"), {}, [], ["column 'id'", "rows 2, 5", "duplicated"]),
    "blank respondent id": (edit_survey("D,recovery", ",recovery"), {}, [], ["column 'id'", "row 5", "blank"]),
    "respondent without answers": (edit_survey("C,failure,3,3", "C,failure,,"), {}, [], ["row 4", "no answer"]),
    "non-numeric covariate": (edit_survey(",52", ",fifty"), {}, [], ["column 'age'", "row 5", "numbers"]),
    "cell too small": (SURVEY, {"min_cell_size": 3}, [], ["column 'condition'", "too few respondents"]),
    "level without respondents": (SURVEY, {"factors": {"condition": ["failure", "recovery", "apology"]}}, [],
                                  ["column 'condition'", "'apology' have no respondents"]),
    "negative weight": (edit_survey("age\n", "age,w\n").replace(",30\n", ",30,-1\n").replace(",41\n", ",41,1\n")
                        .replace(",25\n", ",25,1\n").replace(",52\n", ",52,1\n"), {"weight": "w"}, [],
                        ["column 'w'", "row 2", "whole numbers, 0 or more"]),
    "unsupported file type": ("{}", {}, [], ["unsupported file type '.json'"], "survey.json"),
    "unknown config key": (SURVEY, {"factor": {"condition": None}}, [], ["key 'factor'", "did you mean 'factors'?"]),
    "bad scale in config": (SURVEY, {"scale": [5, 1]}, [], ["key 'scale'", "lowest < highest"]),
    "yes/no level read as boolean": (SURVEY, {"factors": {"condition": [True, False]}}, [], ["key 'factors'", "quotes"]),
    "bad flag value": (SURVEY, {}, ["--scale", "1,x"], ["option --scale", "key 'scale'"]),
    "column in two roles": (SURVEY, {"weight": "age"}, [], ["key 'weight'", "'age' is already used as covariates"]),
    "srp without its factors": (SURVEY, {"srp": True}, [], ["key 'srp'", "experiment, cell"]),
    "qualtrics export, bad answer": (
        "ResponseId,condition,q1,q2,age\nResponse ID,Condition,Q1,Q2,Age\n"
        '"{""ImportId"":""_recordId""}","{""ImportId"":""c""}","{""ImportId"":""QID1""}","{""ImportId"":""QID2""}",'
        '"{""ImportId"":""QID3""}"\nR_1,failure,1,2,30\nR_2,recovery,7,2,30\n',
        {"respondent": "ResponseId"}, [], ["column 'q1'", "row 5", "scale 1..5"]),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_exits_2_names_the_problem_and_writes_nothing(name, tmp_path, capsys):
    text, changes, extra, words, *file_name = BAD_INPUTS[name]
    data = tmp_path / (file_name[0] if file_name else "survey.csv")
    if text is not None:
        data.write_text(text)
    config = tmp_path / "analysis.yaml"
    config.write_text(yaml.safe_dump({**CONFIG, **changes}))
    out = tmp_path / "results"
    status, stdout, stderr = run(["fit", str(data), "--config", str(config), "--out", str(out), *QUICK, *extra], capsys)
    assert status == EXIT_BAD_INPUT
    assert stderr.startswith("paradox fit: error: ")
    for word in words:
        assert word in stderr, stderr
    blames_flag = any(w.startswith("option --") for w in words)
    blames_config = any(w.startswith("key '") for w in words)
    if not blames_flag:  # the message names the file to fix: the config, or the data
        assert (config.name if blames_config else data.name) in stderr
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no partial directory either


def test_missing_config_file_and_out_that_is_a_file(tmp_path, capsys):
    housing_copy = tmp_path / "h.csv"
    housing_copy.write_text(HOUSING.read_text())
    status, _, err = run(["fit", str(housing_copy), "--config", str(tmp_path / "none.yaml"), "--out", str(tmp_path / "o")],
                         capsys)
    assert status == 2 and "none.yaml" in err and "no such config file" in err
    (tmp_path / "taken").write_text("x")
    status, _, err = run(["fit", str(housing_copy), "--config", str(HOUSING_CONFIG), "--out", str(tmp_path / "taken")],
                         capsys)
    assert status == 2 and "must be a directory" in err and (tmp_path / "taken").read_text() == "x"


class PanicException(BaseException):
    """What pyo3 raises when Rust code (nutpie, arro3) panics: a BaseException, not an Exception."""


@pytest.mark.parametrize("error", [RuntimeError("disk full while drawing"), PanicException("disk full in Rust")],
                         ids=["exception", "rust panic"])
def test_failure_after_sampling_leaves_nothing_behind(tmp_path, monkeypatch, capsys, error):
    def broken_figures(result):
        raise error

    monkeypatch.setattr(analysis.FitResult, "figures", broken_figures)
    out = tmp_path / "results"
    assert main(["fit", str(HOUSING), "--config", str(HOUSING_CONFIG), "--out", str(out), *QUICK]) == 1
    err = capsys.readouterr().err
    assert f"internal error: {type(error).__name__}: disk full" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []

    # An earlier run's results survive a failed re-run untouched.
    out.mkdir()
    (out / "summary.csv").write_text("earlier")
    assert main(["fit", str(HOUSING), "--config", str(HOUSING_CONFIG), "--out", str(out), *QUICK, "--overwrite"]) == 1
    assert [p.name for p in out.iterdir()] == ["summary.csv"] and (out / "summary.csv").read_text() == "earlier"
    capsys.readouterr()


def test_strict_exits_3_when_sampling_did_not_converge(tmp_path, capsys):
    out = tmp_path / "short"
    status, stdout, _ = run(["fit", str(HOUSING), "--config", str(HOUSING_CONFIG), "--out", str(out), "--strict",
                             "--draws", "30", "--tune", "30", "--chains", "2"], capsys)
    assert status == analysis.EXIT_NOT_CONVERGED
    assert "FAILED" in stdout and "FAILED" in (out / "report.md").read_text()  # the outputs are there to inspect
    assert json.loads((out / "run.json").read_text())["converged"] is False


def test_same_seed_same_numbers(tmp_path, capsys):
    tables = []
    for name in ("a", "b"):
        status, _, _ = run(["fit", str(HOUSING), "--config", str(HOUSING_CONFIG), "--out", str(tmp_path / name),
                            *QUICK, "--seed", "7"], capsys)
        assert status == 0
        tables.append((tmp_path / name / "summary.csv").read_text())
    assert tables[0] == tables[1]
    assert json.loads((tmp_path / "a" / "run.json").read_text())["sampling"]["seed"] == 7


def test_flags_without_a_config(tmp_path, capsys):
    data = tmp_path / "survey.csv"
    data.write_text(SURVEY)
    status, stdout, _ = run(["fit", str(data), "--respondent", "id", "--items", "q1,q2", "--scale", "1,5",
                             "--factor", "condition=failure,recovery", "--model", "gaussian", "--out",
                             str(tmp_path / "o"), *QUICK], capsys)
    assert status == 0 and "condition[recovery]" in stdout and "intercept" in stdout
    assert (tmp_path / "o" / "figures" / "answer_check.png").exists()


def test_help_explains_every_key_and_shows_an_example(capsys):
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    text = capsys.readouterr().out
    for key in analysis.CONFIG_KEYS:
        assert key in text
    assert "example config:" in text and "exit status" in text and "Qualtrics" in text


# --- the config and the Python API ---------------------------------------------------------


def test_config_overrides_and_round_trip(tmp_path):
    config = load_config(HOUSING_CONFIG, {"draws": 50, "link": "probit"}, {"draws": "--draws", "link": "--link"})
    assert config.draws == 50 and config.link == "probit" and config.weight == "Freq"
    assert config.sampler_settings().draws == 50
    again = AnalysisConfig.from_dict(config.as_dict(), source=config.source)
    assert again == config
    with pytest.raises(ConfigError, match="option --link, key 'link'"):
        load_config(HOUSING_CONFIG, {"link": "cauchit"}, {"link": "--link"})


def test_scale_defaults_to_the_labels_and_accepts_a_number():
    config = AnalysisConfig.from_dict({"items": ["q"], "labels": ["no", "maybe", "yes"]})
    assert config.survey_spec().scale == (1, 3)
    assert AnalysisConfig.from_dict({"items": ["q"], "scale": 7}).scale == (1, 7)


@pytest.mark.parametrize("fmt", ["xlsx", "sav"])
def test_excel_and_spss_give_the_same_survey_as_csv(fmt, tmp_path):
    frame = pd.read_csv(HOUSING)
    path = tmp_path / f"housing.{fmt}"
    if fmt == "xlsx":
        frame.to_excel(path, index=False)
    else:
        import pyreadstat

        pyreadstat.write_sav(frame, str(path))
    from_csv = prepare(HOUSING, HOUSING_CONFIG)
    other = prepare(path, HOUSING_CONFIG)
    assert other.regression.counts.tolist() == from_csv.regression.counts.tolist()
    assert other.survey.n_respondents == 1681


def test_srp_config_is_checked_against_the_design_before_sampling(tmp_path):
    data = tmp_path / "srp.csv"
    data.write_text("id,experiment,cell,q\n1,severity,no_failure,3\n2,price,recovery_favourable,4\n")
    config = {"respondent": "id", "items": ["q"], "scale": [1, 7], "factors": {"experiment": None, "cell": None},
              "srp": True}
    with pytest.raises(analysis.InputError, match="has no experiment 'price'"):
        prepare(data, config)


def test_fit_survey_python_api_on_a_data_frame(settings_quick):
    frame = pd.read_csv(HOUSING)
    frame.index = pd.RangeIndex(2, 2 + len(frame), name="row")
    result = fit_survey(frame, load_config(HOUSING_CONFIG), settings_quick)
    assert list(result.summary["parameter"]) == list(POLR)
    assert result.survey.n_respondents == 1681 and result.verdicts is None
    assert set(result.figures()) == {"effects", "answer_check"}
    assert load_survey(HOUSING, load_config(HOUSING_CONFIG).survey_spec()).n_respondents == 1681


@pytest.fixture
def settings_quick(fast_settings):
    return fast_settings.with_(draws=100, tune=100, chains=2)


def test_readme_documents_every_config_key():
    """The README section on `paradox fit`."""
    text = (ROOT / "README.md").read_text()
    missing = [key for key in analysis.CONFIG_KEYS if f"`{key}`" not in text]
    assert missing == []


def test_interactions_from_the_config_or_a_flag_enter_the_regression():
    """`interactions: [Infl:Type]` is R's Sat ~ Infl * Type + Cont (the model tests/test_r_reference.py checks
    against ordinal::clm): one effect per pair of non-baseline levels, as the flag --interactions gives it."""
    prepared = prepare(HOUSING, load_config(HOUSING_CONFIG, {"interactions": ["Infl:Type"]}))
    flagged = prepare(HOUSING, load_config(HOUSING_CONFIG, {"interactions": "Infl:Type"}))
    terms = {t.name: t for t in prepared.regression.terms}
    assert terms["Infl:Type"].components == ("Infl", "Type") and len(terms["Infl:Type"].levels) == 1 + 2 * 3
    assert "Infl:Type" in prepared.regression.model.named_vars
    assert [t.name for t in flagged.regression.terms] == list(terms)
    assert load_config(HOUSING_CONFIG, {"interactions": [["Infl", "Type"]]}).as_dict()["interactions"] == ["Infl:Type"]
    for bad, message in ((["Infl:Size"], "Size is not among the config's factors"),
                         (["Infl:Infl"], "cannot interact with itself"),
                         (["Infl:Type", "Type:Infl"], "listed twice"), (["Infl"], "two factors")):
        with pytest.raises(ConfigError, match=f"key 'interactions': .*{message}"):
            load_config(HOUSING_CONFIG, {"interactions": bad})


def _before_after(n: int = 60, effect: float = 1.0, seed: int = 5) -> pd.DataFrame:
    """Each respondent rates two items before and after a recovery (one row per respondent and time): a
    respondent's own level (sd 2 logits) is shared by both rows, the recovery raises the latent value by `effect`."""
    import numpy as np

    rng = np.random.default_rng(seed)
    cuts = np.array([-3.0, -1.5, -0.5, 0.5, 1.5, 3.0])
    level = rng.normal(0, 2.0, n)
    rows = []
    for i in range(n):
        for time, shift in (("before", 0.0), ("after", effect)):
            latent = level[i] + shift + rng.logistic(size=2)
            rows.append({"id": f"p{i}", "time": time, "q1": 1 + int((latent[0] > cuts).sum()),
                         "q2": 1 + int((latent[1] > cuts).sum())})
    return pd.DataFrame(rows)


WITHIN = {"respondent": "id", "items": ["q1", "q2"], "scale": [1, 7], "factors": {"time": ["before", "after"]},
          "within_respondent": ["time"]}


def test_a_within_respondent_factor_gets_a_respondent_intercept():
    """A factor that changes between a respondent's rows is allowed when named in `within_respondent`; the model
    then has one intercept per respondent across their rows; without the key the repeated id is refused."""
    frame = _before_after()
    prepared = prepare(frame, WITHIN)
    regression = prepared.regression
    assert regression.spec.respondent_intercept and prepared.survey.spec.within_respondent == ("time",)
    assert len(regression.model.coords["respondent_level"]) == 60 and "time" in regression.model.named_vars
    assert any("Respondent intercept: on" in note for note in prepared.notes)
    with pytest.raises(analysis.InputError, match="duplicated id .*name it in `within_respondent`"):
        prepare(frame, {k: v for k, v in WITHIN.items() if k != "within_respondent"})
    for change, message in (({"within_respondent": ["wave"]}, "wave is not among the config's factors"),
                            ({"respondent_intercept": False}, "needs a respondent intercept"),
                            ({"respondent": None}, "needs the `respondent` column")):
        with pytest.raises(ConfigError, match=f"key 'within_respondent': .*{message}"):
            load_config(None, {**WITHIN, **change})


@pytest.mark.slow
def test_a_within_respondent_effect_is_recovered(fast_settings):
    """200 respondents before and after a recovery that raises the latent value by 1 logit: the posterior of the
    effect lies within 3 posterior SDs of it (a deterministic seed; no luck beyond that criterion's 0.3%)."""
    result = fit_survey(_before_after(200, effect=1.0), load_config(None, WITHIN), fast_settings)
    row = result.summary.set_index("parameter").loc["time[after]"]
    assert abs(row["mean"] - 1.0) < 3 * row["sd"], row


def test_a_pooled_block_from_the_config_enters_the_regression_and_its_prior_table():
    """`pooled: [cell|experiment]`: the regression's cell effects vary across experiments, partially pooled; the
    prior table holds the block's mean, spread and effects, as the SRP model's; a factor the config lacks is refused
    naming the key."""
    from paradox.fit.priors import regression_priors

    config = {"respondent": "respondent_id", "items": ["sat_1", "sat_2", "sat_3"], "scale": [1, 7],
              "factors": {"experiment": None, "cell": None}, "pooled": ["cell|experiment"]}
    prepared = prepare(DEFAULT_OUTPUT, config)
    assert prepared.regression.spec.pooled == (("cell", "experiment"),)
    assert load_config(None, config).as_dict()["pooled"] == ["cell|experiment"]
    priors = regression_priors(prepared.regression)
    assert {"cell|experiment_mean", "cell|experiment_tau", "cell|experiment"} <= set(priors.variables)
    with pytest.raises(ConfigError, match="key 'pooled': cell\\|shop: shop is not among the config's factors"):
        load_config(None, {**config, "pooled": "cell|shop"})


def test_a_separate_block_from_the_config_enters_the_regression_and_its_prior_table():
    """`separate: [cell|experiment]`: the regression's cell effects are each experiment's own (no mean, no spread);
    the prior table holds them with the effects' prior; a factor the config lacks is refused naming the key."""
    from paradox.fit.priors import regression_priors

    config = {"respondent": "respondent_id", "items": ["sat_1", "sat_2", "sat_3"], "scale": [1, 7],
              "factors": {"experiment": None, "cell": None}, "separate": ["cell|experiment"]}
    prepared = prepare(DEFAULT_OUTPUT, config)
    assert prepared.regression.spec.separate == (("cell", "experiment"),) and not prepared.regression.spec.pooled
    assert load_config(None, config).as_dict()["separate"] == ["cell|experiment"]
    priors = regression_priors(prepared.regression)
    assert "cell|experiment" in priors.variables and "cell|experiment_tau" not in priors.variables
    with pytest.raises(ConfigError, match="key 'separate': cell\\|shop: shop is not among the config's factors"):
        load_config(None, {**config, "separate": "cell|shop"})
