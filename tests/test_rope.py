"""The region of practical equivalence in scale points, derived from the generator (paradox.rope)."""

import math

import pytest

from paradox.design import load_design
from paradox.rope import points_for_logits
from paradox.verdict import ROPE_LOGIT, ROPE_POINTS


@pytest.fixture(scope="module")
def design():
    return load_design()


def test_rope_in_points_is_the_value_rope_points_is_rounded_up_from(design):
    points = points_for_logits(design, ROPE_LOGIT)
    assert points == points_for_logits(design, ROPE_LOGIT)  # same seed, same respondents: the same number
    assert round(points, 2) == 0.09                  # the value verdict.ROPE_POINTS and notebook 01 state
    assert math.ceil(points * 10) / 10 == ROPE_POINTS  # rounded up to a tenth of a point
    assert design.decision.rope_points == ROPE_POINTS


def test_shift_moves_the_mean_answer_in_its_direction_and_zero_moves_nothing(design):
    assert points_for_logits(design, 0.0) == 0.0
    assert points_for_logits(design, -ROPE_LOGIT, respondents=20_000) < 0 < points_for_logits(design, 1.0, respondents=20_000)
    assert points_for_logits(design, ROPE_LOGIT, respondents=20_000, seed=1) != points_for_logits(design, ROPE_LOGIT, respondents=20_000)
