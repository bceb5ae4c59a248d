"""Reading and checking a study table; bad input refused with its row, status 2 and nothing written."""

from pathlib import Path

import pandas as pd
import pytest

from paradox.cli import main
from paradox.errors import InputError
from paradox.meta import effect_sizes as es
from paradox.meta.example import EXAMPLE_PATH, TEMPLATE_COLUMNS, TEMPLATE_PATH, simulate_example_table
from paradox.meta.table import COLUMNS, Moderator, check_study_table, load_study_table

GOOD_ROWS = [
    # one row per input; satisfaction for S1, other outcomes for S2 (nested in one study)
    {"study_id": "S1", "outcome": "satisfaction", "input": "means", "mean_treated": 103, "sd_treated": 5.5,
     "n_treated": 50, "mean_control": 100, "sd_control": 4.5, "n_control": 50, "design": "cross_sectional"},
    {"study_id": "S2", "outcome": "satisfaction", "t": 2.985112, "df": 98, "design": "longitudinal"},
    {"study_id": "S2", "outcome": "repurchase", "f": 8.910897, "direction": -1, "n_treated": 50, "n_control": 50,
     "design": "longitudinal"},
    {"study_id": "S3", "outcome": "word_of_mouth", "r": 0.5, "n_total": 100, "design": "cross_sectional"},
    {"study_id": "S4", "outcome": "image", "events_treated": 60, "n_treated": 100, "events_control": 40,
     "n_control": 100, "design": "cross_sectional"},
    {"study_id": "S5", "outcome": "satisfaction", "p_treated": 0.6, "n_treated": 100, "p_control": 0.4,
     "n_control": 100, "design": "cross_sectional"},
    {"study_id": "S6", "outcome": "satisfaction", "yi": 0.25, "vi": 0.04, "design": "longitudinal"},
]


def frame(rows):
    table = pd.DataFrame(rows)
    table.index = pd.RangeIndex(2, 2 + len(table))  # spreadsheet rows
    return table


def test_each_input_gives_its_hedges_g():
    effects = check_study_table(frame(GOOD_ROWS)).effects
    g = lambda d, v, n: es.hedges_g(d, v, n - 2)  # noqa: E731
    expected = [
        g(*es.d_from_means(103, 5.5, 50, 100, 4.5, 50), 100),
        g(*es.d_from_t(2.985112, 50, 50), 100),
        g(*es.d_from_f(8.910897, 50, 50, -1), 100),
        g(*es.d_from_r(0.5, 100), 100),
        g(*es.d_from_counts(60, 100, 40, 100), 200),
        g(*es.d_from_proportions(0.6, 100, 0.4, 100), 200),
        (0.25, 0.04),
    ]
    assert list(effects["input"]) == ["means", "t", "f", "r", "counts", "proportions", "effect"]  # blanks inferred
    for (yi, vi), row in zip(expected, effects.itertuples()):
        assert (row.yi, row.vi) == pytest.approx((float(yi), float(vi)), rel=1e-12)
    assert effects.loc[0, "yi"] == pytest.approx(0.5924, abs=5e-5)  # the Borenstein worked value again


def test_table_structure():
    table = check_study_table(frame(GOOD_ROWS))
    assert table.outcomes == ["satisfaction", "repurchase", "word_of_mouth", "image"]
    assert table.studies == ["S1", "S2", "S3", "S4", "S5", "S6"]
    assert table.nested  # S2 gives two effects
    assert [m.name for m in table.moderators] == ["design"]  # SRP moderators the table has
    assert list(table.effects["row"]) == list(range(2, 9))
    assert list(table.effects["design"].cat.categories) == ["cross_sectional", "longitudinal"]


def test_moderator_specs():
    assert Moderator.parse("latitude") == Moderator("latitude")
    assert Moderator.parse("alloc=random, alternate") == Moderator("alloc", ("random", "alternate"))
    assert Moderator.parse("service").levels == ("hotel", "restaurant", "other")


def test_log_rr_from_counts_and_without_an_outcome_column():
    rows = [{"study_id": 1, "events_treated": 4, "n_treated": 123, "events_control": 11, "n_control": 139},
            {"study_id": 2, "events_treated": 6, "n_treated": 306, "events_control": 29, "n_control": 303}]
    table = check_study_table(frame(rows), measure="log_rr")
    assert table.outcomes == ["all"] and not table.nested
    assert table.effects.loc[0, "yi"] == pytest.approx(-0.8893113, abs=1e-6)


def test_example_and_template_files():
    """The example is the seeded simulation, byte for byte, and says it is simulated; the template
    has every column of the codebook, and the codebook documents each one."""
    expected = simulate_example_table().to_csv(index=False, lineterminator="\n")
    assert EXAMPLE_PATH.read_text() == expected
    assert "simulated" in EXAMPLE_PATH.name
    assert (simulate_example_table()["notes"] == "SIMULATED, not a real study").all()
    assert TEMPLATE_PATH.read_text().strip().split(",") == TEMPLATE_COLUMNS == list(COLUMNS)
    codebook = (EXAMPLE_PATH.parent / "README.md").read_text()
    assert "SIMULATED" in codebook
    for column in COLUMNS:
        assert f"`{column}`" in codebook, column
    loaded = load_study_table(EXAMPLE_PATH)
    assert len(loaded.effects) == len(simulate_example_table())


# Each bad table: (rows or raw text, extra CLI args, words the message must contain)
BAD = {
    "misspelt column": ([{**GOOD_ROWS[0], "sd_treatd": 1.0}], [], ["sd_treatd", "did you mean 'sd_treated'"]),
    "negative SD": ([GOOD_ROWS[0], {**GOOD_ROWS[0], "study_id": "S9", "sd_control": -4.5}], [],
                    ["sd_control", "row 3", "above zero"]),
    "zero N": ([GOOD_ROWS[0], GOOD_ROWS[1], {**GOOD_ROWS[0], "n_treated": 0}], [], ["n_treated", "row 4"]),
    "unknown moderator level": ([GOOD_ROWS[0], {**GOOD_ROWS[0], "design": "panel"}], [],
                                ["design", "row 3", "'panel'", "cross_sectional, longitudinal"]),
    "unknown declared level": ([{**GOOD_ROWS[0], "alloc": "random"}, {**GOOD_ROWS[0], "alloc": "coin"}],
                               ["--moderator", "alloc=random,alternate"], ["alloc", "row 3", "'coin'"]),
    "non-numeric value": ([GOOD_ROWS[0], {**GOOD_ROWS[0], "mean_treated": "n/a"}], [],
                          ["mean_treated", "row 3", "numbers"]),
    "no usable inputs": ([GOOD_ROWS[0], {"study_id": "S7", "outcome": "image", "mean_treated": 5.0}], [],
                         ["row 3", "no usable effect-size inputs"]),
    "input missing a value": ([{**GOOD_ROWS[0], "sd_control": None}], [], ["row 2", "needs sd_control"]),
    "unknown outcome": ([{**GOOD_ROWS[0], "outcome": "loyalty"}], [], ["outcome", "row 2", "'loyalty'"]),
    "missing study id": ([GOOD_ROWS[0], {**GOOD_ROWS[0], "study_id": None}], [], ["study_id", "row 3"]),
    "more events than people": ([{**GOOD_ROWS[4], "events_control": 120}], [], ["events_control", "row 2"]),
    "correlation of one": ([{**GOOD_ROWS[3], "r": 1.0}], [], ["r", "row 2", "between -1 and 1"]),
    "means under log_rr": ([GOOD_ROWS[4], GOOD_ROWS[0]], ["--measure", "log_rr"], ["input", "row 3", "log_rr"]),
    "undeclared numeric moderator": ([{**GOOD_ROWS[0], "latitude": 40}], [],
                                     ["latitude", "--moderator NAME", "--ignore NAME"]),
    "two unknown columns": ([{**GOOD_ROWS[0], "Outcom": "image", "coder": "AB"}], [],
                            ["'Outcom, coder'", "did you mean 'outcome'"]),
    "unknown moderated outcome": ([GOOD_ROWS[0]], ["--moderated", "image"], ["outcome", "image"]),
    "empty file": ("", [], ["empty"]),
    "header only": (",".join(COLUMNS) + "\n", [], ["header", "no"]),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_table_is_refused_with_status_2_and_nothing_written(case, tmp_path, capsys):
    content, args, words = BAD[case]
    data = tmp_path / "studies.csv"
    if isinstance(content, str):
        data.write_text(content)
    else:
        pd.DataFrame(content).to_csv(data, index=False)
    out = tmp_path / "out"
    status = main(["meta", str(data), "--out", str(out), *args])
    message = capsys.readouterr().err
    assert status == 2, message
    assert message.startswith("paradox meta: error: file ") and str(data) in message
    for word in words:
        assert word in message, (word, message)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["studies.csv"]  # no partial output directory either


def test_ignored_columns_are_left_out():
    table = check_study_table(frame([{**GOOD_ROWS[0], "coder": "AB"}]), ignore=["coder"])
    assert "coder" not in table.effects


def test_row_numbers_are_spreadsheet_rows(tmp_path):
    rows = [GOOD_ROWS[0]] * 3 + [{**GOOD_ROWS[0], "sd_treated": -1}, {**GOOD_ROWS[0], "sd_treated": 0}]
    path = tmp_path / "t.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    with pytest.raises(InputError) as error:
        load_study_table(path)
    assert error.value.rows == [5, 6] and error.value.column == "sd_treated"


def test_missing_file_is_an_input_error(tmp_path, capsys):
    assert main(["meta", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert not Path(tmp_path / "o").exists()
