"""`paradox replicate` from the command line: the README's example runs; bad input writes nothing (status 2)."""

import shutil

import pandas as pd
import pytest

from paradox.cli import main
from paradox.settings import ROOT
from paradox.verdict import VERDICTS

EXAMPLE = ROOT / "data" / "examples" / "replication_summary.csv"


@pytest.fixture(scope="module")
def example_output(tmp_path_factory):
    out = tmp_path_factory.mktemp("replicate") / "out"
    assert main(["replicate", str(EXAMPLE), "--out", str(out)]) == 0
    return out


def test_readme_example_writes_every_output(example_output):
    names = sorted(p.name for p in example_output.iterdir())
    assert names == sorted([".paradox-output.json", "criteria.csv", "verdicts.csv", "summary.md",
                            "replication.png", "replication.csv", "run.json"])
    criteria = pd.read_csv(example_output / "criteria.csv")
    assert list(criteria["contrast"]) == ["severity: low", "severity: high", "prior failure: none"]
    # Two t-tests give the exact Bayes factor; a ready effect the normal approximation.
    assert list(criteria["bf_method"]) == ["exact t", "exact t", "normal approximation"]
    verdicts = pd.read_csv(example_output / "verdicts.csv")
    assert list(verdicts["moderator"]) == ["severity"]
    assert set(verdicts["verdict"]) <= set(VERDICTS)


def test_summary_reports_each_criterion_separately(example_output):
    text = (example_output / "summary.md").read_text()
    for phrase in ("Significance", "confidence interval", "prediction interval", "Small telescopes",
                   "fixed effect", "Sceptical p-value", "Bayes factor", "original as prior"):
        assert text.count(phrase) == 3, phrase  # once per contrast, never merged into one yes/no


def _table(tmp_path, edit):
    frame = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    frame = edit(frame)
    path = tmp_path / "table.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("edit, message", [
    (lambda f: f.rename(columns={"sd_treated": "sd_treatd"}), "did you mean 'sd_treated'"),
    (lambda f: f.assign(study=f["study"].replace({"replication": "replica"})), "column 'study'"),
    (lambda f: f.drop(index=1), "needs exactly one replication row"),
    (lambda f: f.assign(sd_treated=f["sd_treated"].replace({"1.0": "-1.0"})), "column 'sd_treated'"),
    (lambda f: f.assign(level=f["level"].replace({"unfavourable": "unfavorable"})), "column 'level'"),
    (lambda f: f.assign(t=f["t"].replace({"2.4": "2,4"})), "decimal commas"),
    (lambda f: f.assign(moderator=["", *f["moderator"][1:]]), "moderator and level are given together"),
])
def test_bad_table_is_refused_with_file_column_and_row(tmp_path, capsys, edit, message):
    table = _table(tmp_path, edit)
    status = main(["replicate", str(table), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2
    assert message in err and str(table) in err
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]  # nothing written


def test_an_earlier_output_is_replaced_only_with_overwrite(example_output, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(example_output, out)
    assert main(["replicate", str(EXAMPLE), "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["replicate", str(EXAMPLE), "--out", str(out), "--overwrite"]) == 0


SURVEY = ROOT / "data" / "examples" / "srp_replication_qualtrics.csv"
SURVEY_CONFIG = ROOT / "data" / "examples" / "srp_replication.yaml"
ORIGINALS = ROOT / "data" / "examples" / "replication_originals.csv"


@pytest.mark.slow
def test_readme_example_with_a_raw_survey_fits_the_srp_model(tmp_path):
    # The one sampling test of paradox replicate (fast mode): the SRP model on the Qualtrics example.
    out = tmp_path / "out"
    status = main(["replicate", str(ORIGINALS), "--survey", str(SURVEY), "--config", str(SURVEY_CONFIG),
                   "--out", str(out)])
    assert status == 0
    criteria = pd.read_csv(out / "criteria.csv").set_index("contrast")
    assert list(criteria.index) == ["severity: low", "severity: high"]
    assert set(criteria["bf_method"]) == {"normal approximation"}
    # The original, weighted in, pulls the posterior from the replication towards itself.
    for row in criteria.itertuples():
        low, high = sorted([row.original, row.replication])
        assert low < row.posterior_mean < high
        assert row.effective_draws > 400
    assert pd.read_csv(out / "convergence.csv")["passed"].all()
    assert list(pd.read_csv(out / "verdicts.csv")["moderator"]) == ["severity"]


@pytest.mark.parametrize("args, message", [
    (["--survey", str(SURVEY)], "--survey and --config go together"),
    (["--strict"], "--strict is for --survey"),
    (["--survey", str(SURVEY), "--config", str(ROOT / "data" / "examples" / "housing.yaml")], "srp: true"),
])
def test_survey_options_are_checked_before_any_work(tmp_path, capsys, args, message):
    status = main(["replicate", str(ORIGINALS), "--out", str(tmp_path / "out"), *args])
    assert status == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_survey_without_the_tables_experiment_is_refused_before_sampling(tmp_path, capsys):
    table = tmp_path / "originals.csv"
    table.write_text(ORIGINALS.read_text().replace("severity", "stability"))
    status = main(["replicate", str(table), "--survey", str(SURVEY), "--config", str(SURVEY_CONFIG),
                   "--out", str(tmp_path / "out")])
    assert status == 2
    assert "the survey has no experiment 'stability'" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["originals.csv"]


def test_a_survey_needs_each_contrasts_experiment_and_level(tmp_path, capsys):
    table = tmp_path / "originals.csv"
    pd.read_csv(ORIGINALS).drop(columns=["moderator", "level"]).to_csv(table, index=False)
    status = main(["replicate", str(table), "--survey", str(SURVEY), "--config", str(SURVEY_CONFIG),
                   "--out", str(tmp_path / "out")])
    assert status == 2
    assert "every contrast needs `moderator`" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["originals.csv"]


def test_a_table_with_replication_rows_is_refused_with_a_survey(tmp_path, capsys):
    status = main(["replicate", str(EXAMPLE), "--survey", str(SURVEY), "--config", str(SURVEY_CONFIG),
                   "--out", str(tmp_path / "out")])
    assert status == 2
    assert "the replication comes from the survey you gave" in capsys.readouterr().err


@pytest.mark.parametrize("out, message", [("", "is empty"), ("{folder}", "is the folder of the input"),
                                          ("{table}", "is the input file")])
def test_destructive_out_is_refused_as_for_paradox_fit(tmp_path, capsys, out, message):
    table = tmp_path / "table.csv"
    table.write_text(EXAMPLE.read_text())
    status = main(["replicate", str(table), "--out", out.format(folder=tmp_path, table=table)])
    assert status == 2
    assert message in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


@pytest.mark.parametrize("pooled", [False, True])
def test_a_raw_survey_is_fitted_with_the_configs_pooling(tmp_path, monkeypatch, pooled):
    """As `paradox fit` fits it: unpooled unless the config says `srp_pooled: true` (verdict.VERDICTS_POOLED)."""
    import yaml

    from paradox.replication import survey as replication_survey
    from paradox.replication.inputs import load_replication_table

    config = yaml.safe_load(SURVEY_CONFIG.read_text())
    config_file = tmp_path / "analysis.yaml"
    config_file.write_text(yaml.safe_dump({**config, "srp_pooled": pooled}))
    shutil.copy(SURVEY, tmp_path / SURVEY.name)
    told = []

    def ordinal_model(survey, **kwargs):
        told.append(kwargs["pooled"])
        raise RuntimeError("stop before sampling")

    monkeypatch.setattr(replication_survey.srp, "ordinal_model", ordinal_model)
    with pytest.raises(RuntimeError, match="stop before sampling"):
        replication_survey.fit_replication_survey(tmp_path / SURVEY.name, config_file,
                                                  load_replication_table(ORIGINALS, replication_given=False),
                                                  str(ORIGINALS))
    assert told == [pooled]
