"""Frequency weights in the SRP models (paradox.models.srp): a respondent of weight w counts as w identical
respondents, weight 0 as none, in both forms of the ordinal model and in the cell statistics (Gaussian model,
Welch). Log densities are compared at random points in pytensor's Python mode: nothing is compiled, no
sampling, a few seconds."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from paradox.data import validate
from paradox.design import load_design
from paradox.models import srp
from paradox.models.sampling import FORWARD_MODE
from paradox.simulate import DEFAULT_OUTPUT

DOUBLED = 5  # the row given weight 2 (or written twice)


@pytest.fixture(scope="module")
def frames():
    """A small SRP survey (10 per cell, two experiments, one answer missing) with a weight column of ones."""
    frame = pd.read_csv(DEFAULT_OUTPUT)
    frame = frame[frame["experiment"].isin(["severity", "stability"])]
    frame = frame.groupby(["experiment", "cell"], sort=False).head(10).reset_index(drop=True)
    frame.loc[3, "sat_2"] = np.nan
    return frame.assign(w=1)


def load(frame: pd.DataFrame):
    spec = dataclasses.replace(load_design().survey_spec(min_cell_size=1), weight="w")
    return validate(frame.reset_index(drop=True), spec)


def with_weight(frame, row, weight):
    frame = frame.copy()
    frame.loc[row, "w"] = weight
    return frame


def doubled(frame):
    twin = frame.loc[[DOUBLED]].assign(respondent_id="twin")
    return pd.concat([frame, twin], ignore_index=True)


def logps(model, points=3, seed=7):
    rng = np.random.default_rng(seed)
    logp = model.compile_logp(mode=FORWARD_MODE)
    start = model.initial_point()
    return np.array([logp({k: v + rng.normal(0, 0.3, np.shape(v)) for k, v in start.items()}) for _ in range(points)])


def test_integrated_form_weight_two_is_a_doubled_row(frames, pooled=True):
    weighted = srp.ordinal_model(load(with_weight(frames, DOUBLED, 2)), pooled=pooled, integrate_respondents=True)
    twice = srp.ordinal_model(load(doubled(frames)), pooled=pooled, integrate_respondents=True)
    once = srp.ordinal_model(load(frames), pooled=pooled, integrate_respondents=True)
    np.testing.assert_allclose(logps(weighted), logps(twice), rtol=1e-12)
    assert not np.allclose(logps(weighted), logps(once))  # the weight counts


def test_integrated_form_with_a_grid_counts_weights(frames):
    survey = load(with_weight(frames, DOUBLED, 2))
    grid = srp.pattern_grid(survey, unanswered=True)
    counts, plain = srp.pattern_counts(survey, grid), srp.pattern_counts(load(frames), grid)
    assert counts.sum() == plain.sum() + 1 and (counts - plain).max() == 1


def test_zero_weight_is_nobody_in_both_forms(frames):
    zero = load(pd.concat([frames, frames.loc[[DOUBLED]].assign(respondent_id="ghost", w=0)], ignore_index=True))
    for integrate in (False, True):
        with_ghost = srp.ordinal_model(zero, integrate_respondents=integrate)
        without = srp.ordinal_model(load(frames), integrate_respondents=integrate)
        assert "ghost" not in with_ghost.coords.get("respondent", [])
        np.testing.assert_allclose(logps(with_ghost), logps(without), rtol=1e-12)


def test_per_respondent_form_weights_each_answer_of_the_respondent(frames):
    """A weighted log-likelihood: weight 2 adds the respondent's answers' log-probabilities once more."""
    weighted = srp.ordinal_model(load(with_weight(frames, DOUBLED, 2)))
    plain_survey = load(frames)
    plain = srp.ordinal_model(plain_survey)
    rng = np.random.default_rng(3)
    point = {k: v + rng.normal(0, 0.3, np.shape(v)) for k, v in plain.initial_point().items()}
    per_answer = plain.compile_fn(plain.logp(vars=[plain["satisfaction"]], sum=False)[0], mode=FORWARD_MODE)(point)
    mine = (plain_survey.answers["respondent"] == frames.loc[DOUBLED, "respondent_id"]).to_numpy()
    assert mine.sum() == 3
    difference = weighted.compile_logp(mode=FORWARD_MODE)(point) - plain.compile_logp(mode=FORWARD_MODE)(point)
    assert difference == pytest.approx(per_answer[mine].sum(), rel=1e-10)


def test_cell_statistics_weight_two_is_a_doubled_row(frames):
    weighted = srp.cell_statistics(load(with_weight(frames, DOUBLED, 2)))
    twice = srp.cell_statistics(load(doubled(frames)))
    pd.testing.assert_frame_equal(weighted, twice, check_dtype=False)
    assert srp.cell_statistics(load(with_weight(frames, DOUBLED, 0)))["n"].sum() == len(frames) - 1
