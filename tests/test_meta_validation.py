"""`paradox meta`: rows and options that used to become a result, or a traceback, are refused with
the row and column, exit status 2, before any sampling, and nothing is written."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from paradox.cli import main
from paradox.errors import EXIT_BAD_INPUT
from paradox.meta import classical
from paradox.meta import model as meta_model
from paradox.meta.table import check_study_table

MEANS = {"study_id": "S1", "outcome": "satisfaction", "mean_treated": 103, "sd_treated": 5.5, "n_treated": 50,
         "mean_control": 100, "sd_control": 4.5, "n_control": 50}
T_ROW = {"study_id": "S2", "outcome": "satisfaction", "t": 2.1, "df": 98}


def rows(*extra):
    return [MEANS, T_ROW, *extra]


# name: (rows or raw bytes, extra argv, words the message must have)
BAD = {
    "df below 1": (rows({**T_ROW, "study_id": "S3", "df": 0.5}), [],
                   ["column 'df'", "row 4", "df must be at least 2"]),
    "one respondent per group": (rows({"study_id": "S3", "outcome": "satisfaction", "t": 2.0, "n_treated": 1,
                                       "n_control": 1}), [], ["column 'n_treated'", "row 4", "at least 2 people"]),
    "effect of 1e6": (rows({"study_id": "S3", "outcome": "satisfaction", "yi": 1e6, "vi": 0.04}), [],
                      ["column 'yi'", "row 4", "implausible effect size(s) 1e+06"]),
    "variance below 1e-8": (rows({"study_id": "S3", "outcome": "satisfaction", "yi": 0.3, "vi": 1e-12}), [],
                            ["column 'vi'", "row 4", "implausibly small sampling variance"]),
    "huge g from means": (rows({**MEANS, "study_id": "S3", "mean_treated": 160}), [],
                          ["row 4", "implausible effect size"]),
    "random bytes as the table": (bytes(range(256)) * 4, [], ["not a CSV text file"]),
    "same column twice": ("study_id,yi,vi,yi\nS1,0.2,0.04,0.3\n".encode(), [], ["column 'yi'", "twice"]),
    "moderator without a name": (rows(), ["--moderator", "=a,b"], ["option --moderator", "give a column name"]),
    "moderator level twice": (rows(), ["--moderator", "design=a,a"], ["option --moderator design", "listed twice"]),
    "moderator that is an effect column": (rows(), ["--moderator", "t"], ["option --moderator t", "effect size"]),
    "moderator given twice": (rows(), ["--moderator", "design", "--moderator", "design"], ["given more than once"]),
    "ignore of a column the table lacks": ([{**MEANS, "coder": "AB"}], ["--ignore", "codr"],
                                           ["option --ignore codr", "did you mean 'coder'?"]),
    "ignore of a codebook column": (rows(), ["--ignore", "sd_treated"], ["option --ignore sd_treated", "codebook"]),
    "no moderators yet one": (rows(), ["--no-moderators", "--moderator", "design"], ["contradict"]),
    "moderated without moderators": (rows(), ["--moderated", "satisfaction"], ["no moderators"]),
    "outcome capitalised": ([{**MEANS, "outcome": "Satisfaction"}], [],
                            ["column 'outcome'", "row 2", "did you mean 'satisfaction' for 'Satisfaction'?"]),
    "decimal comma": ("study_id;yi;vi\nS1;0,2;0,04\n".encode(), [], ["column 'yi'", "row 2", "decimal commas"]),
    "table too large for the model": ([{"study_id": f"S{i}", "yi": 0.1, "vi": 0.04} for i in range(2001)], [],
                                      ["2,001 effects is more than this model takes", "one outcome"]),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_row_or_option_is_refused_before_the_work(case, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(meta_model, "sample", lambda *a, **k: pytest.fail("sampled bad input"))
    content, args, words = BAD[case]
    data = tmp_path / "studies.csv"
    if isinstance(content, bytes):
        data.write_bytes(content)
    else:
        pd.DataFrame(content).to_csv(data, index=False)
    status = main(["meta", str(data), "--out", str(tmp_path / "out"), *args])
    err = capsys.readouterr().err
    assert status == EXIT_BAD_INPUT, err
    assert err.startswith("paradox meta: error: ") and len(err.strip().splitlines()) == 1, err
    for word in words:
        assert word in err, (word, err)
    assert [p.name for p in tmp_path.iterdir()] == ["studies.csv"]


@pytest.mark.parametrize("option, value", [("--draws", "0"), ("--chains", "0"), ("--tune", "-1"), ("--seed", "-1"),
                                           ("--draws", "many")])
def test_run_settings_are_checked_like_paradox_fit(option, value, tmp_path, capsys):
    data = tmp_path / "studies.csv"
    pd.DataFrame(rows()).to_csv(data, index=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["meta", str(data), "--out", str(tmp_path / "out"), option, value])
    assert exit_info.value.code == EXIT_BAD_INPUT
    assert f"argument {option}: expected a whole number" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["studies.csv"]


def test_effects_with_df_just_at_the_limit_keep_their_sign():
    """df = 2 is the smallest accepted: J = 1 - 3/7 > 0, so g has the sign of t."""
    table = pd.DataFrame([{**T_ROW, "df": 2}, MEANS], index=[2, 3])
    assert check_study_table(table).effects.loc[0, "yi"] > 0


def test_identical_effects_give_a_note_not_a_singular_matrix():
    table = check_study_table(pd.DataFrame([{"study_id": f"S{i}", "yi": 0.3, "vi": 0.04} for i in range(6)],
                                           index=range(2, 8)))
    bias = classical.publication_bias(table)
    assert "same standard error" in bias.loc[0, "note"]
    assert np.isfinite(classical.by_outcome(table).loc[0, "mu"])
