"""`paradox meta`'s priors: scaled to the data, settable from the command line, and checked in every
report (posterior sd / prior sd). The fits against REML in several units are in tests/test_r_reference.py."""

import json

import pandas as pd
import pytest

from paradox.cli import main
from paradox.meta.model import MEASURE_FLOORS, MetaPriors, data_scale
from paradox.meta.table import load_study_table
from paradox.settings import DATA_DIR, ROOT

RAW_POINTS = ROOT / "tests" / "fixtures" / "r_reference" / "raw_points.csv"  # invented: effects in points, SEs 8-12
BCG = DATA_DIR / "reference" / "bcg.csv"
EXAMPLE = DATA_DIR / "meta" / "srp_meta_example_simulated.csv"


def test_g_and_log_rr_tables_of_the_usual_size_keep_the_measure_floors():
    """The committed results (the simulated example in g, BCG in log RR) were made with the measure's fixed
    priors; the data-scaled rule gives the same priors for them, so their numbers do not move."""
    for path, kwargs in [(EXAMPLE, {}), (BCG, {"measure": "log_rr", "moderators": [], "ignore": ["latitude"]})]:
        table = load_study_table(path, **kwargs)
        scaled, floors = MetaPriors.for_table(table), MEASURE_FLOORS[table.measure]
        assert {k: getattr(scaled, k) for k in floors} == floors


def test_raw_points_get_priors_in_points():
    table = load_study_table(RAW_POINTS, measure="md")
    priors = MetaPriors.for_table(table)
    scale = data_scale(table)
    assert 9 < scale < 11  # SEs of 8-12 points
    assert priors.mu_sd == pytest.approx(2 * scale) and priors.tau_scale == pytest.approx(scale)
    with pytest.raises(ValueError, match="no default scale"):
        MetaPriors.for_measure("md")


def test_user_priors_override_and_are_checked():
    table = load_study_table(RAW_POINTS, measure="md")
    priors = MetaPriors.for_table(table, mu_sd=50.0, tau_prior="halfcauchy", tau_scale=None)
    assert priors.mu_sd == 50.0 and priors.tau_prior == "halfcauchy"
    assert priors.tau_scale == pytest.approx(data_scale(table))
    assert "set by the user: mu_sd, tau_prior" in priors.basis
    with pytest.raises(ValueError, match="positive"):
        MetaPriors(mu_sd=0.0)
    with pytest.raises(ValueError, match="unknown prior"):
        MetaPriors.for_table(table, mu_scale=3.0)


@pytest.mark.parametrize("value", ["0", "-2", "nan", "inf", "wide"])
def test_a_bad_prior_on_the_command_line_exits_2(tmp_path, value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["meta", str(RAW_POINTS), "--measure", "md", "--prior-mu-sd", value, "--out", str(tmp_path / "out")])
    assert exit_info.value.code == 2
    assert "--prior-mu-sd" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_command_reports_the_prior_check_and_warns_when_a_prior_decides(tmp_path, capsys):
    """The issue's run: effects in points under mu ~ Normal(0, 1), now given on purpose. The report says
    that the prior decides mu (stderr, conclusions.txt, prior_check.csv) and records the priors as used."""
    out = tmp_path / "out"
    status = main(["meta", str(RAW_POINTS), "--measure", "md", "--prior-mu-sd", "1", "--prior-tau-scale", "0.5",
                   "--no-prior-sensitivity", "--out", str(out)])
    assert status == 0
    err = capsys.readouterr().err
    assert "the prior decides mu[all]" in err
    assert "the prior decides mu[all]" in (out / "conclusions.txt").read_text()
    check = pd.read_csv(out / "prior_check.csv").set_index("parameter")
    assert check.loc["mu[all]", "prior_decides"] and check.loc["mu[all]", "ratio"] > 0.5
    assert check.loc["mu[all]", "prior"] == "Normal(0, 1)"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["priors"].startswith("mu ~ Normal(0, 1);")
    assert "set by the user: mu_sd, tau_scale" in summary["priors_basis"]
    assert [row["parameter"] for row in summary["prior_check"]] == list(check.index)


def test_md_takes_means_and_ready_effects_only():
    from paradox.errors import InputError
    from paradox.meta.table import check_study_table

    frame = pd.DataFrame({"study_id": ["a", "b"], "t": [2.1, None], "n_treated": [20, None], "n_control": [20, None],
                          "yi": [None, 4.0], "vi": [None, 90.0]}, index=[2, 3])
    with pytest.raises(InputError, match="no usable effect-size inputs") as error:
        check_study_table(frame, measure="md")  # a t gives no raw difference: only means and effect are offered
    assert "row 2" in str(error.value) and "means:" in str(error.value) and " t:" not in str(error.value)
    with pytest.raises(InputError, match="cannot give a md effect"):
        check_study_table(frame.assign(input=["t", "effect"]), measure="md")
    big = check_study_table(frame.iloc[[1]].assign(yi=400.0), measure="md")  # no bound on raw units
    assert big.effects["yi"].tolist() == [400.0]
