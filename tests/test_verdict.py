"""The decision rule: probabilities from joint draws, the verdict vocabulary, and Welch's counterpart (TOST)."""

import numpy as np
import pytest

from paradox import verdict
from paradox.verdict import DecisionRule

RULE = DecisionRule(rope=0.18)


def draws(mean, sd=0.05, n=4000, seed=0):
    return np.random.default_rng(seed).normal(mean, sd, n)


@pytest.mark.parametrize("fav, unfav, expected", [
    (0.8, -0.9, verdict.CLAIM),                   # the paper's pattern
    (0.8, 0.5, verdict.CLAIM),                    # a paradox at both levels, larger at the favourable one
    (0.8, 0.8, verdict.BOTH),                     # both, equal: no moderation
    (-0.30, -1.50, verdict.MODERATION_ONLY),      # recovery below no failure everywhere, yet fav > unfav
    (0.0, 0.05, verdict.NO_PARADOX),              # both inside the region, in the wrong order
    (0.05, 0.05, verdict.NO_PARADOX),             # a "paradox" smaller than the region is no paradox
    (0.8, 1.2, verdict.BOTH),                     # both, reversed order: not the claim
])
def test_clear_posteriors_get_their_verdict(fav, unfav, expected):
    assert verdict.judge(draws(fav), draws(unfav, seed=1), RULE)["verdict"] == expected


def test_wide_posteriors_are_inconclusive_not_no_paradox():
    result = verdict.judge(draws(0.3, sd=1.0), draws(-0.3, sd=1.0, seed=1), RULE)
    assert result["verdict"] == verdict.INCONCLUSIVE
    assert result["p_no_paradox"] < 0.95


def test_probabilities_are_joint_on_the_same_draws():
    fav = np.array([1.0, 1.0, 0.0, 0.0])
    unfav = np.array([2.0, 0.0, -1.0, 1.0])
    p = verdict.claim_probabilities(fav, unfav, rope=0.18)
    # Marginals alone would give P(paradox fav) * P(moderation) = 0.5 * 0.5; the joint is 0.25 here too, but
    # draw 1 has a paradox without moderation and draw 3 moderation without a paradox:
    assert p["p_paradox_favourable"] == 0.5 and p["p_moderation"] == 0.5
    assert p["p_claim"] == 0.25                 # only draw 2
    assert p["p_moderation_no_paradox"] == 0.25  # only draw 3
    assert p["p_paradox_both"] == 0.25 and p["p_no_paradox"] == 0.25


def test_region_boundary_counts_as_no_paradox():
    p = verdict.claim_probabilities([0.18], [0.18], rope=0.18)
    assert p["p_no_paradox"] == 1.0 and p["p_paradox_favourable"] == 0.0


@pytest.mark.parametrize("rope, probability", [(-0.1, 0.95), (0.18, 0.5), (0.18, 1.0)])
def test_a_rule_outside_its_range_is_refused(rope, probability):
    with pytest.raises(ValueError):
        DecisionRule(rope=rope, probability=probability)


def test_welch_tost_concludes_no_paradox_only_with_precise_estimates():
    precise = verdict.welch_judgement((0.0, 0.03, 150), (0.02, 0.03, 150), (-0.02, 0.03, 150), DecisionRule(rope=0.15))
    vague = verdict.welch_judgement((0.0, 0.5, 150), (0.02, 0.5, 150), (-0.02, 0.5, 150), DecisionRule(rope=0.15))
    assert precise["verdict"] == verdict.NO_PARADOX
    assert vague["verdict"] == verdict.INCONCLUSIVE


def test_welch_claim_is_an_intersection_union_test():
    # The paradox at the favourable level is clear (t = 10), moderation is not (t = 1): the claim's p is the larger.
    result = verdict.welch_judgement((1.15, 0.1, 150), (1.05, 0.1, 150), (0.1, 0.1, 150), DecisionRule(rope=0.15))
    assert result["p_claim"] == pytest.approx(result["p_moderation"])
    assert result["verdict"] == verdict.BOTH
