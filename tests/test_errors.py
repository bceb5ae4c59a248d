"""Error messages name the file, column and rows; outputs are all-or-nothing."""

import pytest

from paradox.errors import InputError, atomic_output_dir


def test_message_names_file_column_and_rows():
    error = InputError("answers must lie on the scale 1..7", file="survey.csv", column="sat_2", rows=[7, 3, 9, 11, 12, 40, 41])
    text = str(error)
    assert text.startswith("file survey.csv, column 'sat_2', rows 7, 3, 9, 11, 12 (and 2 more)")
    assert text.endswith("answers must lie on the scale 1..7")


def test_output_appears_only_when_the_block_succeeds(tmp_path):
    out = tmp_path / "out"
    with atomic_output_dir(out) as tmp:
        (tmp / "table.csv").write_text("a\n1\n")
    assert (out / "table.csv").read_text() == "a\n1\n"


def test_failure_half_way_leaves_nothing(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        with atomic_output_dir(out) as tmp:
            (tmp / "table.csv").write_text("partial")
            raise RuntimeError("sampling failed")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
