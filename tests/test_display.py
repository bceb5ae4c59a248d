"""paradox.display: one format for the numbers of every notebook table."""

import math

import pandas as pd

from paradox.display import table_number


def test_probabilities_have_four_decimals_and_no_exponent():
    assert [table_number(p) for p in (0.9998, 0.0002, 8.07572e-05, 1.0, 0.0)] == [
        "0.9998", "0.0002", "0.0001", "1.0000", "0.0000"]


def test_effects_and_large_counts():
    assert table_number(-1.43104) == "-1.4310"
    assert table_number(13527.2548) == "13527" and table_number(100.0) == "100"
    assert table_number(math.nan) == "nan"


def test_a_table_with_one_tiny_probability_keeps_every_column_fixed():
    table = pd.DataFrame({"p_claim": [1.0, 0.9994], "p_no_paradox": [0.0002, 0.0004]})
    with pd.option_context("display.float_format", table_number):
        text = table.to_string()
    assert "e-0" not in text and "1.0000" in text and "0.0002" in text
