"""Cronbach's alpha: a value computed by hand, the Spearman-Brown case, and refused input; the respondent spread
the items' agreement implies."""

import numpy as np
import pandas as pd
import pytest

from paradox.reliability import LOGISTIC_VARIANCE, cronbach_alpha, implied_respondent_sd
from paradox.simulate import ordered_answers


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


def _ordinal_items(spread, n=20000, cell_effects=(0.0,), seed=0):
    """Three 7-point items of the stand-in's generator, respondents spread by `spread`, one cell per effect."""
    rng = np.random.default_rng(seed)
    cells = np.repeat(np.arange(len(cell_effects)), n // len(cell_effects))
    latent = np.asarray(cell_effects)[cells] + spread * rng.standard_normal(len(cells))
    answers = ordered_answers(latent, rng.logistic(size=(len(cells), 3)), np.array([-4.5, -3.5, -2.5, -1.4, -0.2, 1.3]),
                              np.zeros(3))
    return pd.DataFrame(answers, columns=["a", "b", "c"]), pd.Series(cells)


def test_the_implied_spread_is_the_latent_one_from_continuous_answers():
    """Answers that are the latent value plus logistic error (no categories): r = s^2 / (s^2 + pi^2/3) exactly in
    expectation, so the spread comes back within sampling error."""
    rng = np.random.default_rng(1)
    latent = 2.0 * rng.standard_normal(100_000)
    answers = pd.DataFrame(latent[:, None] + rng.logistic(size=(100_000, 3)))
    spread, r = implied_respondent_sd(answers)
    assert r == pytest.approx(4 / (4 + LOGISTIC_VARIANCE), abs=0.005)
    assert spread == pytest.approx(2.0, rel=0.02)


def test_seven_point_answers_give_a_low_but_ordered_spread():
    """Categories lower the correlation: the stand-in's spread of 3.2 reads about 2.85 (a scale for priors); a wider
    spread still reads wider. One item implies nothing."""
    readings = [implied_respondent_sd(_ordinal_items(s)[0])[0] for s in (1.0, 3.2, 5.0)]
    assert readings == sorted(readings)
    assert 2.6 < readings[1] < 3.2
    assert implied_respondent_sd(_ordinal_items(3.2)[0][["a"]]) is None


def test_cell_effects_do_not_add_to_the_spread_and_weights_count_as_copies():
    answers, cells = _ordinal_items(1.0, n=6000, cell_effects=(-2.0, 0.0, 2.0))
    within, _ = implied_respondent_sd(answers, cells)
    pooled, _ = implied_respondent_sd(answers)
    alone, _ = implied_respondent_sd(_ordinal_items(1.0, n=6000)[0])
    assert pooled > 1.5 * within and within == pytest.approx(alone, rel=0.15)
    weights = pd.Series(np.where(np.arange(len(answers)) % 2 == 0, 2.0, 1.0))
    copies = pd.concat([answers, answers[weights.to_numpy() == 2]], ignore_index=True)
    copy_cells = pd.concat([cells, cells[weights.to_numpy() == 2]], ignore_index=True)
    assert implied_respondent_sd(answers, cells, weights)[0] == pytest.approx(
        implied_respondent_sd(copies, copy_cells)[0], rel=1e-10)
