"""`paradox fit`: input that used to become a result, or a traceback, is refused with a message
naming the file, column and row, exit status 2, before any sampling, and nothing is written."""

from __future__ import annotations

import codecs
import importlib.util

import openpyxl
import pandas as pd
import pytest
import yaml

from paradox import analysis
from paradox.fit import run as fit_run
from paradox.analysis import prepare
from paradox.cli import main
from paradox.data import read_table
from paradox.errors import EXIT_BAD_INPUT

HEADER = "id,condition,sat_1,sat_2\n"
ROWS = "A,failure,1,2\nB,recovery,5,4\nC,failure,3,3\nD,recovery,4,5\n"
CONFIG = {"respondent": "id", "items": ["sat_1", "sat_2"], "scale": [1, 7],
          "factors": {"condition": ["failure", "recovery"]}}
CONFIG_TEXT = yaml.safe_dump(CONFIG, sort_keys=False)


def xlsx_with_formulas(path):
    """A workbook written by a program, not Excel: its formula cells have no saved result."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "condition", "sat_1", "sat_2"])
    sheet.append(["A", "failure", 1, 2])
    sheet.append(["B", "recovery", "=2+3", 4])
    sheet.append(["C", "failure", "=C2+2", 3])
    book.save(path)


# name: (data bytes, or a function writing the data file; data file name; config text; extra argv;
#        words the message must have)
BAD = {
    "same item twice, one with a trailing space": (
        ("id,condition,sat_1 ,sat_2,sat_1\n" + "A,failure,1,2,3\nB,recovery,5,4,4\n").encode(), "survey.csv",
        CONFIG_TEXT, [], ["column 'sat_1'", "row 1", "twice ('sat_1 ' and 'sat_1', equal without the spaces)",
                          "columns 3 and 5"]),
    "same item twice, exactly": (
        ("id,condition,sat_1,sat_2,sat_1\n" + "A,failure,1,2,3\nB,recovery,5,4,4\n").encode(), "survey.csv",
        CONFIG_TEXT, [], ["column 'sat_1'", "row 1", "names this column twice, as columns 3 and 5"]),
    "YAML key given twice": (
        (HEADER + ROWS).encode(), "survey.csv", CONFIG_TEXT + "items: [sat_2]\n", [],
        ["analysis.yaml", "the key 'items' is given twice (lines 2 and 12)"]),
    "answer 6.99999": (
        (HEADER + ROWS.replace("C,failure,3,3", "C,failure,6.99999,3")).encode(), "survey.csv", CONFIG_TEXT, [],
        ["column 'sat_1'", "row 4", "whole numbers", "6.99999"]),
    "Excel formulas without saved values": (
        xlsx_with_formulas, "survey.xlsx", CONFIG_TEXT, [],
        ["survey.xlsx", "column 'sat_1'", "rows 3, 4", "formulas whose results were never saved"]),
    "random bytes saved as .csv": (
        bytes(range(256)) * 8, "survey.csv", CONFIG_TEXT, [], ["survey.csv", "not a CSV text file"]),
    "UTF-16 file": (
        codecs.BOM_UTF16_LE + (HEADER + ROWS).encode("utf-16-le"), "survey.csv", CONFIG_TEXT, [],
        ["survey.csv", "UTF-16, not UTF-8"]),
    "zip archive renamed .csv": (
        b"PK\x03\x04" + bytes(200), "survey.csv", CONFIG_TEXT, [], ["survey.csv", "zip archive"]),
    "factor level listed twice": (
        (HEADER + ROWS).encode(), "survey.csv", CONFIG_TEXT.replace("- recovery", "- recovery\n  - failure"), [],
        ["key 'factors'", "'failure' is listed twice"]),
    "frequency weight 1e12": (
        "condition,sat_1,sat_2,n\nfailure,1,2,3\nrecovery,5,4,1e12\n".encode(), "survey.csv",
        yaml.safe_dump({**{k: v for k, v in CONFIG.items() if k != "respondent"}, "weight": "n"}), [],
        ["column 'n'", "row 3", "more than 1,000,000"]),
    "one Windows-1252 row in a UTF-8 file": (
        (HEADER + "A,failure,1,2\n").encode() + "B,recovery,5,4\n".encode() * 200
        + "Z,recovery,5,4\n".replace("Z", "Zoë").encode("cp1252") + "É,failure,3,3\n".encode(), "survey.csv",
        CONFIG_TEXT, [], ["column 'id'", "row 203", "not valid UTF-8, while the rest of the file is"]),
    "unbalanced quote": (
        (HEADER + 'A,failure,1,2\nB,"recovery,5,4\nC,failure,3,3\n').encode(), "survey.csv", CONFIG_TEXT, [],
        ["column 'condition'", "row 3", "never closed"]),
    "config is a folder": (
        (HEADER + ROWS).encode(), "survey.csv", None, [], ["is a folder, not a config file"]),
    "row with more cells than the header": (
        (HEADER + ROWS.replace("C,failure,3,3", "C,failure,3,3,4")).encode(), "survey.csv", CONFIG_TEXT, [],
        ["row 4", "5 cells but the header has 4"]),
    # Careless cases tried after the report (2026-11-26), each of which needed a fix:
    "YAML indented with a tab": (
        (HEADER + ROWS).encode(), "survey.csv", "items:\n\t- sat_1\n", [],
        ["line 2, column 1", "does not allow tabs"]),
    "sheet chosen for a CSV": (
        (HEADER + ROWS).encode(), "survey.csv", CONFIG_TEXT, ["--sheet", "1"], ["not an Excel workbook"]),
    "CSV renamed .xlsx": (
        (HEADER + ROWS).encode(), "survey.xlsx", CONFIG_TEXT, [], ["a text file (a CSV saved with the wrong extension"]),
    "decimal commas": (
        (HEADER.replace("\n", ";age\n") + "A;failure;1;2;30,5\nB;recovery;5;4;41,0\n").replace(",", ";", 3).encode(),
        "survey.csv", yaml.safe_dump({**CONFIG, "covariates": ["age"]}), [], ["column 'age'", "decimal commas"]),
    "factor flag without its column": (
        (HEADER + ROWS).encode(), "survey.csv", CONFIG_TEXT, ["--factor", "=failure,recovery"],
        ["option --factor", "needs its column name"]),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_is_refused_with_file_column_row(name, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(fit_run, "sample", lambda *a, **k: pytest.fail("sampled bad input"))
    content, file_name, config_text, extra, words = BAD[name]
    data = tmp_path / file_name
    content(data) if callable(content) else data.write_bytes(content)
    config = tmp_path / "analysis.yaml"
    config.mkdir() if config_text is None else config.write_text(config_text)
    before = sorted(p.name for p in tmp_path.iterdir())
    status = main(["fit", str(data), "--config", str(config), "--out", str(tmp_path / "results"), *extra])
    err = capsys.readouterr().err
    assert status == EXIT_BAD_INPUT, err
    assert err.startswith("paradox fit: error: ") and len(err.strip().splitlines()) == 1, err
    for word in words:
        assert word in err, (word, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written, no partial folder


def test_trailing_delimiter_on_every_row_is_read_as_the_header_says(tmp_path):
    data = tmp_path / "survey.csv"
    data.write_text("".join(line + ",\n" for line in (HEADER + ROWS).splitlines()))
    survey = prepare(data, CONFIG).survey
    assert survey.respondents["respondent"].tolist() == ["A", "B", "C", "D"]
    assert survey.answers["answer"].tolist() == [1, 2, 5, 4, 3, 3, 4, 5]


def test_quoted_cells_over_several_lines_are_not_unbalanced_quotes(tmp_path):
    data = tmp_path / "survey.csv"
    data.write_text('id,condition,sat_1,sat_2,comment\nA,failure,1,2,"said ""fine"",\nthen left"\nB,recovery,5,4,\n')
    assert read_table(data).loc[2, "comment"] == 'said "fine",\nthen left'


def test_windows_1252_file_is_still_read(tmp_path):
    data = tmp_path / "survey.csv"
    data.write_bytes((HEADER + ROWS.replace("A,", "Zoë,")).encode("cp1252"))
    assert prepare(data, CONFIG).survey.respondents["respondent"].tolist()[0] == "Zoë"


def test_excel_sheet_named_like_a_number_is_chosen_by_name(tmp_path):
    data = tmp_path / "survey.xlsx"
    frame = pd.read_csv(pd.io.common.StringIO(HEADER + ROWS))
    with pd.ExcelWriter(data, engine="openpyxl") as writer:
        frame.head(2).to_excel(writer, sheet_name="2019", index=False)
        frame.to_excel(writer, sheet_name="2020", index=False)
    for sheet in (2020, "2020"):  # YAML `sheet: 2020` is a number; --sheet 2020 is text
        assert len(prepare(data, {**CONFIG, "sheet": sheet}).survey.respondents) == 4
    assert len(prepare(data, {**CONFIG, "sheet": 0}).survey.respondents) == 2  # positions still work


@pytest.mark.parametrize("variable, value", [("PARADOX_DRAWS", "abc"), ("PARADOX_CHAINS", "0"), ("PARADOX_MODE", "quick")])
def test_bad_environment_variable_is_a_message(variable, value, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(variable, value)
    data = tmp_path / "survey.csv"
    data.write_text(HEADER + ROWS)
    status = main(["fit", str(data), "--respondent", "id", "--items", "sat_1", "--scale", "7",
                   "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert status == EXIT_BAD_INPUT and variable in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_scale_flag_with_one_number_means_one_to_that_number(tmp_path):
    data = tmp_path / "survey.csv"
    data.write_text(HEADER + ROWS)
    config = analysis.load_config(None, {"respondent": "id", "items": "sat_1,sat_2", "scale": "7"}, {"scale": "--scale"})
    assert config.scale == (1, 7) and len(prepare(data, config).survey.respondents) == 4


@pytest.mark.parametrize("sampler, words", [("foo", "must be one of"), ("blackjax", "not installed")])
def test_unknown_or_missing_sampler_is_refused_before_compiling(sampler, words, tmp_path, monkeypatch, capsys):
    pytest.importorskip("nutpie")
    if sampler == "blackjax" and importlib.util.find_spec("blackjax"):
        pytest.skip("blackjax is installed here")
    monkeypatch.setenv("PARADOX_SAMPLER", sampler)
    data = tmp_path / "survey.csv"
    data.write_text(HEADER + ROWS)
    status = main(["fit", str(data), "--respondent", "id", "--items", "sat_1", "--scale", "7", "--out", str(tmp_path / "o")])
    assert status == EXIT_BAD_INPUT and words in capsys.readouterr().err


def test_simulate_refuses_a_folder_as_its_output_file(tmp_path, capsys):
    assert main(["simulate", "--out", str(tmp_path)]) == EXIT_BAD_INPUT
    assert "must name the CSV file to write" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_data_and_config_swapped_says_so(tmp_path, capsys):
    data, config = tmp_path / "survey.csv", tmp_path / "analysis.yaml"
    data.write_text(HEADER + ROWS)
    config.write_text(CONFIG_TEXT)
    assert main(["fit", str(config), "--config", str(data), "--out", str(tmp_path / "o")]) == EXIT_BAD_INPUT
    assert "this looks like the data file: give the data first" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["analysis.yaml", "survey.csv"]


@pytest.mark.parametrize("argv, option", [(["--config", "other.yaml"], "--config"), (["--draws", "10", "--draws=20"], "--draws")])
def test_an_option_given_twice_is_refused_not_silently_the_last(argv, option, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "survey.csv").write_text(HEADER + ROWS)
    (tmp_path / "analysis.yaml").write_text(CONFIG_TEXT)
    assert main(["fit", "survey.csv", "--config", "analysis.yaml", *argv, "--out", "o"]) == EXIT_BAD_INPUT
    assert f"{option} given more than once" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_column_without_a_name_is_named_as_pandas_names_it(tmp_path):
    data = tmp_path / "survey.csv"
    data.write_text("id,,sat_1\nA,x,1\n")
    assert list(read_table(data).columns) == ["id", "Unnamed: 1", "sat_1"]
    data.write_text("id,,sat_1,\nA,,1,\n")  # empty and unnamed: a stray delimiter, not a column
    assert list(read_table(data).columns) == ["id", "sat_1"]
