"""Cronbach's alpha: a value computed by hand, the Spearman-Brown case, and refused input."""

import numpy as np
import pandas as pd
import pytest

from paradox.reliability import cronbach_alpha


def test_alpha_of_a_small_table_computed_by_hand():
    answers = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 4, 4], "c": [2, 3, 3, 4]})
    # item variances 5/3, 4/3, 2/3 (sum 11/3); sums 5, 7, 10, 12 have variance 29/3;
    # alpha = 3/2 x (1 - (11/3) / (29/3)) = 27/29
    assert cronbach_alpha(answers) == pytest.approx(27 / 29, rel=1e-12)


@pytest.mark.parametrize("k, r", [(2, 0.3), (3, 0.6), (5, 0.45)])
def test_equal_variances_and_correlations_give_the_spearman_brown_value(k, r):
    """Items with one variance and one correlation r between every pair: alpha = k r / (1 + (k - 1) r)."""
    rng = np.random.default_rng(0)
    centred = rng.standard_normal((50, k + 1))
    centred -= centred.mean(axis=0)
    basis, _ = np.linalg.qr(centred)  # orthonormal columns with mean 0: exact variances and covariances
    items = np.sqrt(r) * basis[:, [0]] + np.sqrt(1 - r) * basis[:, 1:]
    assert cronbach_alpha(pd.DataFrame(items)) == pytest.approx(k * r / (1 + (k - 1) * r), rel=1e-10)


def test_identical_items_are_perfectly_reliable():
    answers = pd.DataFrame({"a": [1, 5, 3, 7], "b": [1, 5, 3, 7], "c": [1, 5, 3, 7]})
    assert cronbach_alpha(answers) == pytest.approx(1.0)


@pytest.mark.parametrize("answers, message", [
    (pd.DataFrame({"a": [1, 2, 3]}), "at least two items"),
    (pd.DataFrame({"a": [1], "b": [2]}), "at least two respondents"),
    (pd.DataFrame({"a": [1, 2, 3], "b": [2, np.nan, 3]}), "column 'b' is missing at row 1"),
    (pd.DataFrame({"a": [1, 2, 3], "b": [3, 2, 1]}), "same sum"),
])
def test_bad_input_is_refused_with_a_reason(answers, message):
    with pytest.raises(ValueError, match=message):
        cronbach_alpha(answers)
