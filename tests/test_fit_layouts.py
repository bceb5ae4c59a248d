"""`paradox fit` with `srp: true` on every layout of the design file (README, "Layouts"; issue 12).

End to end through the command line: a small survey simulated from a worked example (data/design/examples/,
labelled synthetic; its cells shrunk to N_PER_CELL in a copy beside the config, which names it by a relative
`srp_design`), fitted in fast mode; the verdict table has the columns of results/verdicts.csv, one row per
hypothesis and method, and the report names the layout. Conclusions are tests/test_layouts.py's (full-size
examples); here the plumbing. Refusals (exit 2, nothing written) need no sampling.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import yaml

from paradox.cli import main
from paradox.design import load_design
from paradox.errors import EXIT_BAD_INPUT
from paradox.fit import run as fit_run
from paradox.settings import DATA_DIR, RESULTS_DIR
from paradox.simulate import simulate_survey

EXAMPLES = DATA_DIR / "design" / "examples"
#: Respondents per cell: small, yet every model still converges at the fast-mode sizes (measured).
N_PER_CELL = 30
#: A short run: plumbing, not posterior numbers.
QUICK = ["--draws", "300", "--tune", "300", "--chains", "2"]
#: The methods each layout's verdict table holds (within subject, Welch's independent-groups test does not apply).
METHODS = {"shared_control": {"ordinal", "gaussian", "welch"}, "factorial": {"ordinal", "gaussian", "welch"},
           "within_subject": {"ordinal"}}


def example(tmp_path, layout: str, n: int = N_PER_CELL) -> tuple[pd.DataFrame, dict]:
    """The worked example's design copied into tmp_path with n per cell, a survey simulated from it, and a
    config naming the copy by a path relative to the config."""
    text = re.sub(r"n_per_cell: \d+", f"n_per_cell: {n}", (EXAMPLES / f"{layout}.yaml").read_text())
    (tmp_path / "design.yaml").write_text(text)
    design = load_design(tmp_path / "design.yaml")
    config = {"respondent": "respondent_id", "items": list(design.items), "scale": [1, design.scale_points],
              "factors": {"cell": list(design.cells)}, "srp": True, "srp_design": "design.yaml", "seed": 1}
    return simulate_survey(design), config


def run_fit(tmp_path, frame: pd.DataFrame, config: dict, *extra) -> tuple[int, str]:
    data, config_file = tmp_path / "survey.csv", tmp_path / "analysis.yaml"
    frame.to_csv(data, index=False)
    config_file.write_text(yaml.safe_dump(config))
    status = main(["fit", str(data), "--config", str(config_file), "--out", str(tmp_path / "out"), *QUICK, *extra])
    return status, str(data)


def fitted(tmp_path, capsys, layout, covariate: bool = False):
    frame, config = example(tmp_path, layout)
    if covariate:  # the SRP ordinal model adjusts for it (srp_other_predictors: adjust, the default)
        frame = frame.assign(age=np.random.default_rng(5).normal(40, 12, len(frame)).round())
        config = {**config, "covariates": ["age"]}
    status, _ = run_fit(tmp_path, frame, config)
    err = capsys.readouterr().err
    assert status == 0, err
    out = tmp_path / "out"
    verdicts = pd.read_csv(out / "verdicts.csv")
    committed = pd.read_csv(RESULTS_DIR / "verdicts.csv")
    assert list(verdicts.columns) == list(committed.columns) + (["adjusted_for"] if covariate else [])
    design = load_design(tmp_path / "design.yaml")
    assert set(verdicts["method"]) == METHODS[layout]
    assert len(verdicts) == len(design.experiments) * len(METHODS[layout])
    assert sorted(set(verdicts["hypothesis"])) == sorted(e.hypothesis for e in design.experiments)
    assert verdicts["verdict"].notna().all()
    report = (out / "report.md").read_text()
    assert f"layout: {layout}" in report and "design.yaml" in report
    if covariate:
        assert set(zip(verdicts["method"], verdicts["adjusted_for"])) == {("ordinal", "age"), ("gaussian", "none"),
                                                                          ("welch", "none")}
        assert "the ordinal model adjusts for age" in report and "| SRP ordinal | age | Normal(0, " in report
    return verdicts


@pytest.mark.slow
def test_shared_control_layout_is_fitted_end_to_end_adjusting_for_a_covariate(tmp_path, capsys):
    fitted(tmp_path, capsys, "shared_control", covariate=True)


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["factorial", "within_subject"])
def test_other_layouts_are_fitted_end_to_end(tmp_path, capsys, layout):
    fitted(tmp_path, capsys, layout)


# --- refusals: exit 2, the message names file/key/column/row, nothing written ---------------------------

@pytest.fixture
def no_sampling(monkeypatch):
    monkeypatch.setattr(fit_run, "sample", lambda *a, **k: pytest.fail("sampled although the run was refused"))


def refused(tmp_path, capsys, frame, config) -> str:
    status, _ = run_fit(tmp_path, frame, config)
    err = capsys.readouterr().err
    assert status == EXIT_BAD_INPUT, err
    assert err.startswith("paradox fit: error: ") and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
    return err


def test_an_unknown_design_file_is_refused(tmp_path, capsys, no_sampling):
    frame, config = example(tmp_path, "shared_control", n=4)
    err = refused(tmp_path, capsys, frame, {**config, "srp_design": "no_such_design.yaml"})
    assert "analysis.yaml, key 'srp_design'" in err and "no_such_design.yaml" in err


def test_pooling_is_refused_where_there_are_no_experiments_to_pool(tmp_path, capsys, no_sampling):
    frame, config = example(tmp_path, "shared_control", n=4)
    err = refused(tmp_path, capsys, frame, {**config, "srp_pooled": True})
    assert "key 'srp_pooled'" in err and "shared_control layout" in err


def test_a_cell_the_design_does_not_know_is_refused_naming_column_and_row(tmp_path, capsys, no_sampling):
    frame, config = example(tmp_path, "shared_control", n=4)
    frame.loc[5, "cell"] = "severity_medium"
    config["factors"] = {"cell": None}  # levels from the data, so the design's check is the one that fires
    err = refused(tmp_path, capsys, frame, config)
    assert "survey.csv" in err and "column 'cell'" in err and "severity_medium" in err and "row 7" in err


def test_a_missing_control_is_refused_naming_the_experiment(tmp_path, capsys, no_sampling):
    frame, config = example(tmp_path, "shared_control", n=4)
    frame = frame[frame["cell"] != "no_failure"]
    config["factors"] = {"cell": None}
    err = refused(tmp_path, capsys, frame, config)
    assert "survey.csv" in err and "experiment severity" in err and "control cell 'no_failure'" in err


def test_an_experiment_factor_with_a_named_cell_design_is_refused(tmp_path, capsys, no_sampling):
    frame, config = example(tmp_path, "shared_control", n=4)
    frame["experiment"] = "x"
    err = refused(tmp_path, capsys, frame, {**config, "factors": {**config["factors"], "experiment": None}})
    assert "key 'factors'" in err and "shared_control layout" in err


def test_srp_priors_not_given_are_scaled_to_the_spread_the_items_imply(tmp_path):
    """No sampling: `prepare` resolves the SRP priors. The example's respondents spread by 2 logits, less than the
    3.2 the defaults are set for, so the scales shrink (by the ratio the report states); an entry the config
    gives is kept, even at its default value, and stays given through as_dict."""
    from paradox.fit.config import AnalysisConfig
    from paradox.models.srp import OrdinalPriors

    frame, config = example(tmp_path, "shared_control", n=200)
    config["srp_design"] = str(tmp_path / "design.yaml")
    scaled = fit_run.prepare(frame, config)
    note = next(n for n in scaled.notes if n.startswith("SRP priors scaled to the data"))
    ratio = float(re.search(r"the default times ([0-9.]+)", note).group(1))
    assert 0.6 < ratio < 0.85
    defaults = OrdinalPriors()
    assert scaled.srp_priors.effect_sd == pytest.approx(defaults.effect_sd * ratio, rel=0.03)
    assert scaled.srp_priors.cutpoint_location_sd == defaults.cutpoint_location_sd
    given = fit_run.prepare(frame, {**config, "srp_priors": {"effect_sd": 2.0, "respondent_sd": 4}})
    assert (given.srp_priors.effect_sd, given.srp_priors.respondent_sd) == (2.0, 4.0)
    assert given.srp_priors.cutpoint_sd == scaled.srp_priors.cutpoint_sd
    assert "the entries `srp_priors` gives are kept" in " ".join(given.notes)
    kept = AnalysisConfig.from_dict(config | {"srp_priors": {"effect_sd": 2.0}}).as_dict()
    assert kept["srp_priors"] == {"effect_sd": 2.0}


def test_the_regression_priors_are_scaled_as_the_srp_priors(tmp_path):
    """No sampling: an ordinal regression's priors not given in `priors` get the SRP priors' factor (one spread,
    one note each); the respondents' sd has a prior of its own (HalfNormal(3) at 3.2 logits, not group_sd's 1);
    a scale `priors` gives is kept; the model, the prior table and run.json's entry see the same scales."""
    from paradox.fit.priors import regression_priors
    from paradox.models.regression import Priors

    frame, config = example(tmp_path, "shared_control", n=200)
    config["srp_design"] = str(tmp_path / "design.yaml")
    prepared = fit_run.prepare(frame, {**config, "respondent_intercept": True})
    factor = float(re.search(r"Regression priors scaled to the data.* the default times ([0-9.]+)",
                             " ".join(prepared.notes)).group(1))
    srp_note = next(n for n in prepared.notes if n.startswith("SRP priors scaled"))
    assert f"times {factor:.2f}" in srp_note
    priors = prepared.regression.spec.priors
    defaults = Priors().resolved("ordinal", (1, 7))
    assert (defaults.respondent_sd, defaults.group_sd) == (3.0, 1.0)
    for name in ("effect_sd", "cutpoint_sd", "respondent_sd"):
        assert getattr(priors, name) == pytest.approx(getattr(defaults, name) * factor, rel=0.03), name
    assert prepared.regression.model["respondent_sd"].owner.inputs[-1].eval() == pytest.approx(priors.respondent_sd)
    table = regression_priors(prepared.regression)
    assert table.prior("respondent_sd")[0] == f"HalfNormal({priors.respondent_sd:.4g})"
    given = fit_run.prepare(frame, {**config, "priors": {"effect_sd": 2.5}}).regression.spec.priors
    assert given.effect_sd == 2.5 and given.cutpoint_sd == priors.cutpoint_sd
