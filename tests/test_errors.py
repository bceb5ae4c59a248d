"""Error messages name the file, column and rows (outputs: tests/test_out_safety.py)."""

from paradox.errors import InputError


def test_message_names_file_column_and_rows():
    error = InputError("answers must lie on the scale 1..7", file="survey.csv", column="sat_2", rows=[7, 3, 9, 11, 12, 40, 41])
    text = str(error)
    assert text.startswith("file survey.csv, column 'sat_2', rows 7, 3, 9, 11, 12 (and 2 more)")
    assert text.endswith("answers must lie on the scale 1..7")
