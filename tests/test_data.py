"""Reading survey files and checking them (paradox.data): formats, layouts, and every message."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from paradox.data import SurveySpec, check_levels_have_respondents, describe, load_survey, read_table, validate
from paradox.errors import InputError

LABELS = ("Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied")


def spec(**changes) -> SurveySpec:
    base = dict(respondent="id", scale=(1, 5), items=("q1", "q2"), factors={"condition": ("failure", "recovery")})
    base.update(changes)
    return SurveySpec(**base)


def write(tmp_path, text: str, name: str = "survey.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD = "id,condition,q1,q2\nA,failure,1,2\nB,recovery,5,4\nC,failure,3,\n"


def error_of(path, survey_spec, **kwargs) -> InputError:
    with pytest.raises(InputError) as info:
        load_survey(path, survey_spec, **kwargs)
    return info.value


# --- reading -------------------------------------------------------------------------------


def test_wide_csv_becomes_one_row_per_answer_with_spreadsheet_rows(tmp_path):
    survey = load_survey(write(tmp_path, GOOD), spec())
    assert list(survey.answers.columns) == ["respondent", "item", "answer", "condition", "row"]
    assert survey.answers["row"].tolist() == [2, 2, 3, 3, 4]
    assert survey.answers["answer"].tolist() == [1, 2, 5, 4, 3]
    assert survey.items == ["q1", "q2"]
    assert list(survey.answers["condition"].cat.categories) == ["failure", "recovery"]
    assert survey.respondents["respondent"].tolist() == ["A", "B", "C"]


def test_blank_answer_is_dropped_and_counted_per_item(tmp_path):
    survey = load_survey(write(tmp_path, GOOD), spec())
    assert survey.missing == 1
    assert survey.missing_by_item == {"q1": 0, "q2": 1}
    assert describe(survey)["missing_answers"] == 1


def test_missing_values_listed_in_the_spec_count_as_missing(tmp_path):
    path = write(tmp_path, "id,condition,q1,q2\nA,failure,-99,2\nB,recovery,5,Don't know\n")
    survey = load_survey(path, spec(missing_values=("-99", "Don't know")))
    assert survey.missing == 2 and len(survey.answers) == 2


def test_blank_lines_do_not_shift_row_numbers(tmp_path):
    path = write(tmp_path, "id,condition,q1,q2\nA,failure,1,2\n\nB,recovery,9,4\n")
    error = error_of(path, spec())
    assert error.rows == [4]


def test_semicolon_delimited_csv_is_detected(tmp_path):
    path = write(tmp_path, GOOD.replace(",", ";"))
    assert len(load_survey(path, spec()).respondents) == 3


def test_answers_given_as_labels_are_coded_case_insensitively(tmp_path):
    path = write(tmp_path, "id,condition,q1,q2\nA,failure,very satisfied,Neutral\nB,recovery,2,Dissatisfied\n")
    survey = load_survey(path, spec(labels=LABELS))
    assert survey.answers["answer"].tolist() == [5, 3, 2, 2]


def test_respondent_none_makes_each_row_a_respondent(tmp_path):
    path = write(tmp_path, "condition,q1,q2\nfailure,1,2\nfailure,1,2\n")
    survey = load_survey(path, spec(respondent=None))
    assert survey.respondents["respondent"].tolist() == [2, 3]


def test_long_layout(tmp_path):
    path = write(tmp_path, "id,condition,item,answer\nA,failure,q1,1\nA,failure,q2,2\nB,recovery,q1,5\n")
    survey = load_survey(path, SurveySpec(respondent="id", scale=(1, 5), item_column="item", answer_column="answer",
                                          factors={"condition": None}))
    assert survey.items == ["q1", "q2"]
    assert len(survey.respondents) == 2 and survey.answers["row"].tolist() == [2, 3, 4]


def test_numeric_factor_codes_match_text_levels(tmp_path):
    path = write(tmp_path, "id,condition,q1,q2\nA,1,1,2\nB,2,5,4\n")
    survey = load_survey(path, spec(factors={"condition": (1, 2)}))
    assert list(survey.respondents["condition"]) == ["1", "2"]


QUALTRICS = (
    'StartDate,Status,ResponseId,condition,Q1_1,Q1_2\n'
    'Start Date,Response Type,Response ID,condition,"How satisfied -\n overall?",How satisfied - staff?\n'
    '"{""ImportId"":""startDate"",""timeZone"":""Europe/Berlin""}","{""ImportId"":""status""}",'
    '"{""ImportId"":""_recordId""}","{""ImportId"":""condition""}","{""ImportId"":""QID1_1""}","{""ImportId"":""QID1_2""}"\n'
    "2024-01-01,IP Address,R_1,recovery,Satisfied,Very satisfied\n"
    "2024-01-01,IP Address,R_2,failure,Dissatisfied,\n"
    "2024-01-01,IP Address,R_3,failure,Neutral,Neutral\n"
)
QUALTRICS_SPEC = dict(respondent="ResponseId", items=("Q1_1", "Q1_2"), labels=LABELS)


def test_qualtrics_export_header_rows_are_dropped_and_rows_still_count_them(tmp_path):
    path = write(tmp_path, "\ufeff" + QUALTRICS)  # Qualtrics writes a byte-order mark
    frame = read_table(path)
    assert frame.index.tolist() == [4, 5, 6]
    survey = load_survey(path, spec(**QUALTRICS_SPEC))
    assert survey.export == "qualtrics"
    assert survey.answers["answer"].tolist() == [4, 5, 2, 3, 3]
    assert survey.missing == 1


def test_qualtrics_error_names_the_spreadsheet_row(tmp_path):
    path = write(tmp_path, QUALTRICS.replace("R_2,failure,Dissatisfied", "R_2,failure,Dissatisfiedd"))
    error = error_of(path, spec(**QUALTRICS_SPEC))
    assert error.rows == [5] and error.column == "Q1_1"
    assert "Dissatisfiedd" in str(error)


def test_legacy_qualtrics_export_with_one_extra_header_row(tmp_path):
    lines = QUALTRICS.splitlines(keepends=True)
    legacy = lines[0] + lines[1] + lines[2] + "".join(lines[4:])  # no ImportId row
    frame = read_table(write(tmp_path, legacy))
    assert frame.index.tolist() == [3, 4, 5]  # the question text spans two lines but is one row


def test_excel_workbook_with_sheet_choice(tmp_path):
    path = tmp_path / "survey.xlsx"
    frame = pd.read_csv(pd.io.common.StringIO(GOOD))
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"note": ["cover sheet"]}).to_excel(writer, sheet_name="about", index=False)
        frame.assign(condition=[1, 2, 1]).to_excel(writer, sheet_name="data", index=False)
    survey = load_survey(path, spec(factors={"condition": ("1", "2")}), sheet="data")
    assert survey.missing == 1 and survey.answers["row"].tolist() == [2, 2, 3, 3, 4]
    error = error_of(path, spec(), sheet="responses")
    assert "about, data" in str(error)


def test_excel_error_rows(tmp_path):
    path = tmp_path / "survey.xlsx"
    pd.DataFrame({"id": ["A", "B"], "condition": ["failure", "recovery"], "q1": [1, 2.5], "q2": [1, 1]}).to_excel(
        path, index=False)
    error = error_of(path, spec())
    assert error.rows == [3] and "whole numbers" in str(error)


def write_sav(path, frame, value_labels, missing_ranges=None):
    pyreadstat = pytest.importorskip("pyreadstat")
    pyreadstat.write_sav(frame, str(path), variable_value_labels=value_labels, missing_ranges=missing_ranges or {})


def test_spss_value_labels_name_the_factor_levels_and_user_missing_is_missing(tmp_path):
    path = tmp_path / "survey.sav"
    frame = pd.DataFrame({"id": [1.0, 2.0, 3.0], "condition": [1.0, 2.0, 1.0],
                          "q1": [1.0, 5.0, 99.0], "q2": [2.0, 4.0, 3.0]})
    write_sav(path, frame, {"condition": {1.0: "failure", 2.0: "recovery"},
                            "q1": {1.0: "Very dissatisfied", 5.0: "Very satisfied", 99.0: "refused"}},
              missing_ranges={"q1": [99.0]})
    survey = load_survey(path, spec())
    assert list(survey.respondents["condition"]) == ["failure", "recovery", "failure"]
    assert survey.answers["answer"].tolist() == [1, 2, 5, 4, 3]  # answers stay codes
    assert survey.missing == 1  # the user-missing 99
    assert survey.respondents["respondent"].tolist() == ["1", "2", "3"]


def test_spss_factor_levels_may_be_given_as_codes(tmp_path):
    path = tmp_path / "survey.sav"
    write_sav(path, pd.DataFrame({"id": [1.0, 2.0], "condition": [1.0, 2.0], "q1": [1.0, 5.0], "q2": [2.0, 4.0]}),
              {"condition": {1.0: "failure", 2.0: "recovery"}})
    survey = load_survey(path, spec(factors={"condition": ("1", "2")}))
    assert list(survey.respondents["condition"]) == ["1", "2"]


# --- checks: each names the file, the column and the rows ------------------------------------


@pytest.mark.parametrize(
    "text, changes, column, rows, words",
    [
        ("id,condition,q1,q2\nA,failure,1,2\nB,recovery,6,0\n", {}, "q1, q2", [3], "scale 1..5"),
        ("id,condition,q1,q2\nA,failure,1,2.5\n", {}, "q2", [2], "whole numbers"),
        ("id,condition,q1,q2\nA,failure,1,two\n", {}, "q2", [2], "must be numbers"),
        ("id,condition,q1,q2\nA,failure,1,2\nA,recovery,1,2\n", {}, "id", [2, 3], "duplicated id"),
        ("id,condition,q1,q2\nA,failure,1,2\n,recovery,1,2\n", {}, "id", [3], "respondent id is blank"),
        ("id,condition,q1,q2\nA,failure,1,2\nB,recovry,1,2\n", {}, "condition", [3], "did you mean 'recovery' for 'recovry'?"),
        ("id,condition,q1,q2\nA,,1,2\n", {}, "condition", [2], "factor level is blank"),
        ("id,condition,q1,q2\nA,failure,1,2\nB,recovery,,\n", {}, "q1, q2", [3], "no answer in any item"),
        ("id,condition,q1,q2,age\nA,failure,1,2,x\n", {"covariates": ("age",)}, "age", [2], "must be numbers"),
        ("id,condition,q1,q2,n\nA,failure,1,2,-1\nB,failure,1,2,1.5\n", {"weight": "n"}, "n", [2, 3], "whole numbers"),
        ("id,condition,q1,q2,n\nA,failure,1,2,0\n", {"weight": "n"}, "n", [], "every frequency weight is 0"),
        ("id,condition,q1,q2,shop\nA,failure,1,2,\n", {"group": "shop"}, "shop", [2], "group is blank"),
        ("id,condition,q1,q2\nA,failure,Happy,2\n", {"labels": LABELS}, "q1", [2], "a label (Very dissatisfied"),
    ],
)
def test_bad_values_are_reported_with_column_and_rows(tmp_path, text, changes, column, rows, words):
    path = write(tmp_path, text)
    error = error_of(path, spec(**changes))
    assert error.file == str(path)
    assert error.column == column
    assert error.rows == rows
    assert words in str(error)
    assert str(path) in str(error) and f"column '{column}'" in str(error)


def test_misspelt_column_suggests_the_right_one(tmp_path):
    error = error_of(write(tmp_path, GOOD), spec(items=("q1", "Q_2")))
    assert error.column == "Q_2" and "did you mean 'q2'?" in str(error)
    assert "the file has: id, condition, q1, q2" in str(error)


def test_column_differing_only_in_case_and_spaces_is_suggested(tmp_path):
    error = error_of(write(tmp_path, GOOD), spec(respondent="I D"))
    assert "did you mean 'id'?" in str(error)


def test_empty_file_and_header_only_file(tmp_path):
    assert "empty" in str(error_of(write(tmp_path, "", "empty.csv"), spec()))
    assert "empty" in str(error_of(write(tmp_path, "\n\n", "blank.csv"), spec()))
    assert "no data rows" in str(error_of(write(tmp_path, "id,condition,q1,q2\n", "header.csv"), spec()))


def test_missing_file_directory_and_unknown_type(tmp_path):
    assert "no such file" in str(error_of(tmp_path / "nope.csv", spec()))
    assert "directory" in str(error_of(tmp_path, spec()))
    assert "unsupported file type '.json'" in str(error_of(write(tmp_path, "{}", "s.json"), spec()))


def test_too_few_respondents_in_a_cell(tmp_path):
    error = error_of(write(tmp_path, GOOD), spec(min_cell_size=2))
    assert "too few respondents in 1 cell(s) (need at least 2): condition=recovery: 1" in str(error)
    assert error.column == "condition"


def test_cell_sizes_count_frequency_weights(tmp_path):
    path = write(tmp_path, "condition,q1,q2,n\nfailure,1,2,3\nrecovery,1,2,2\nrecovery,2,2,1\n")
    survey = load_survey(path, spec(respondent=None, weight="n", min_cell_size=3))
    assert survey.cell_sizes().to_dict() == {"failure": 3, "recovery": 3}
    assert survey.n_respondents == 6


def test_declared_level_without_respondents_is_caught_for_regressions(tmp_path):
    survey = load_survey(write(tmp_path, GOOD), spec(factors={"condition": ("failure", "recovery", "apology")}))
    with pytest.raises(InputError, match="'apology' have no respondents"):
        check_levels_have_respondents(survey)


def test_long_layout_checks(tmp_path):
    long_spec = SurveySpec(respondent="id", scale=(1, 5), item_column="item", answer_column="answer",
                           factors={"condition": None})
    varies = write(tmp_path, "id,condition,item,answer\nA,failure,q1,1\nA,recovery,q2,2\n", "varies.csv")
    error = error_of(varies, long_spec)
    assert error.column == "condition" and error.rows == [2, 3] and "same on every row" in str(error)
    twice = write(tmp_path, "id,condition,item,answer\nA,failure,q1,1\nA,failure,q1,2\n", "twice.csv")
    error = error_of(twice, long_spec)
    assert "duplicated id and item" in str(error) and error.rows == [2, 3]


def test_spec_rejects_inconsistent_definitions():
    with pytest.raises(ValueError, match="either `items`"):
        SurveySpec(respondent="id", scale=(1, 5))
    with pytest.raises(ValueError, match="labels name 3 points"):
        SurveySpec(respondent="id", scale=(1, 5), items=("q",), labels=("a", "b", "c"))
    with pytest.raises(ValueError, match="more than one role"):
        SurveySpec(respondent="id", scale=(1, 5), items=("q", "id"))


def test_validate_works_on_a_data_frame_with_its_own_row_numbers():
    frame = pd.DataFrame({"id": ["A", "B"], "condition": ["failure", "recovery"], "q1": [1, 7], "q2": [1, 1]},
                         index=pd.Index([10, 11], name="row"))
    with pytest.raises(InputError) as info:
        validate(frame, spec())
    assert info.value.rows == [11]


def test_describe_is_json_ready(tmp_path):
    info = describe(load_survey(write(tmp_path, GOOD), spec()))
    assert json.loads(json.dumps(info))["respondents"] == 3
    assert np.isclose(info["answers"], 5)
