"""The verdict on the paradox: one decision rule, from the joint posterior of two recovery effects.

For one moderator, delta_L = satisfaction(failure + recovery at level L) - satisfaction(no failure).
The paradox at level L is delta_L above a region of practical equivalence (ROPE) around zero: a recovery
that leaves customers a negligible amount above the control is no paradox. Magnini et al.'s claim (H1-H4)
is that the paradox occurs at the favourable level of the moderator and is less likely at the other:

    claim        delta_fav > rope  and  delta_fav > delta_unfav

The no-failure control enters through both deltas; the contrast delta_fav - delta_unfav alone cancels it and
tests moderation, not a paradox. Every probability below is computed on the same joint draws.

Verdicts, the first whose probability reaches the decision probability (DECISION_PROBABILITY):
    "claim holds"                   P(delta_fav > rope and delta_fav > delta_unfav)
    "paradox at both levels"        P(delta_fav > rope and delta_unfav > rope)
    "moderation without a paradox"  P(delta_fav <= rope and delta_fav > delta_unfav)
    "no paradox"                    P(delta_fav <= rope and delta_unfav <= rope)
    "inconclusive"                  none of them: the data cannot tell these apart
"No paradox" is a conclusion (both deltas at or below the region, with high probability); "inconclusive" is
the absence of one. A paradox at the favourable level only, with the order of the two levels unclear, is
"inconclusive" about the claim: its component probabilities say which part is missing.

Welch's t-test gives the same verdicts from one-sided tests at level 1 - DECISION_PROBABILITY, with the
equivalence test (TOST, Schuirmann 1987) against the upper bound of the region for "no paradox"; each
conjunction is an intersection-union test, so its p-value is the largest of its parts (Berger 1982).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

#: One decision probability for every verdict in the package: a verdict needs posterior probability of at
#: least this (for Welch: p <= 1 - this). Not the conventional 0.95, which called the claim in 5.4% +/- 0.75% of
#: simulated surveys whose truth lies just inside the region of practical equivalence (over the goal of at most
#: 5%); 0.975 called it in 2.5% +/- 0.5%, at a cost in power (results/calibration/, `make calibrate`; README,
#: "Operating characteristics"). The design file's `decision` section sets it for the SRP verdicts.
DECISION_PROBABILITY = 0.975

#: Whether the verdicts' models pool the experiments' effects (analyse_srp, fit_gaussian, `paradox fit`'s
#: `srp_pooled`, `paradox replicate`): no. Each experiment's verdict comes from its own effects, with thresholds and
#: respondent spread shared. Measured (`make calibrate`, notebook 10): when one experiment has no paradox and three
#: have it (truth "mixed"), the pooled model called the claim in that one in 14.3% +/- 4.7% of simulated surveys (56
#: surveys when this was decided, 2026-11-29; the current rate is in results/calibration/), pulled up by its three
#: neighbours; the unpooled model in 0.5% +/- 0.5% (200), and at most 2.5% +/- 0.5% under every truth where the
#: claim is false. The moderators are different manipulations; a verdict on one should not borrow a paradox from
#: the others. The pooled model stays for the question it answers (the common mean and spread of the effects) and
#: as a sensitivity check (notebook 06).
VERDICTS_POOLED = False

#: Default half-width of the region of practical equivalence on the latent (logit) scale: Kruschke's (2018,
#: Advances in Methods and Practices in Psychological Science 1(2), 270-280) default of a tenth of the outcome's
#: SD, taken for a logistic latent scale as 0.1 x pi / sqrt(3) = 0.18 (as bayestestR does).
ROPE_LOGIT = 0.18
#: Its counterpart in scale points, for the Gaussian model and Welch's test: the change in the mean answer
#: of a 7-point item that a latent shift of 0.18 logits produces in the stand-in's no-failure cell (0.09;
#: `paradox.rope.points_for_logits`, shown in notebook 01), rounded up.
ROPE_POINTS = 0.10

CLAIM = "claim holds"
BOTH = "paradox at both levels"
MODERATION_ONLY = "moderation without a paradox"
NO_PARADOX = "no paradox"
INCONCLUSIVE = "inconclusive"
#: Every verdict, in the order they are tried.
VERDICTS = (CLAIM, BOTH, MODERATION_ONLY, NO_PARADOX, INCONCLUSIVE)
#: The joint probability behind each verdict (columns of every verdict table).
_VERDICT_PROBABILITY = {CLAIM: "p_claim", BOTH: "p_paradox_both", MODERATION_ONLY: "p_moderation_no_paradox",
                        NO_PARADOX: "p_no_paradox"}
#: The probabilities that decide a verdict (`classify`), in the order they are tried.
DECIDING_COLUMNS = tuple(_VERDICT_PROBABILITY.values())
#: Columns of a verdict table, after hypothesis and method.
PROBABILITY_COLUMNS = ("p_claim", "p_paradox_favourable", "p_no_paradox_unfavourable", "p_moderation",
                       "p_paradox_both", "p_moderation_no_paradox", "p_no_paradox")


@dataclass(frozen=True)
class DecisionRule:
    """The region of practical equivalence (on the scale of the effects judged) and the decision probability."""

    rope: float
    probability: float = DECISION_PROBABILITY

    def __post_init__(self):
        if not self.rope >= 0:
            raise ValueError(f"the region of practical equivalence must be >= 0, not {self.rope!r}")
        if not 0.5 < self.probability < 1:
            raise ValueError(f"the decision probability must lie in (0.5, 1), not {self.probability!r}")


def claim_indicators(favourable, unfavourable, rope: float) -> dict[str, np.ndarray]:
    """Per joint draw, whether each event of the verdict holds (same shape as the draws); their means are
    `claim_probabilities`, and their Monte Carlo errors follow from the draws' chains."""
    fav = np.asarray(favourable, dtype=float)
    unfav = np.asarray(unfavourable, dtype=float)
    if fav.shape != unfav.shape or fav.size == 0:
        raise ValueError("favourable and unfavourable draws must be non-empty and of the same shape")
    paradox_fav, paradox_unfav, moderation = fav > rope, unfav > rope, fav > unfav
    return {
        "p_claim": paradox_fav & moderation,
        "p_paradox_favourable": paradox_fav,
        "p_no_paradox_unfavourable": ~paradox_unfav,
        "p_moderation": moderation,
        "p_paradox_both": paradox_fav & paradox_unfav,
        "p_moderation_no_paradox": ~paradox_fav & moderation,
        "p_no_paradox": ~paradox_fav & ~paradox_unfav,
    }


def event_mcse(favourable, unfavourable, rope: float, events=DECIDING_COLUMNS) -> dict[str, float]:
    """The Monte Carlo SE of each event's probability from joint draws shaped (chain, draw) (arviz's MCSE of the
    mean of the event's indicator; 0 for an event that never or always happens): how far the probability could move
    with other draws, next to the decision threshold."""
    import arviz as az
    import xarray as xr

    indicators = claim_indicators(favourable, unfavourable, rope)
    data = xr.Dataset({e: (("chain", "draw"), indicators[e].astype(float)) for e in events})
    values = az.mcse(data, method="mean")
    return {e: float(np.nan_to_num(values[e])) for e in events}


def claim_probabilities(favourable, unfavourable, rope: float, weights=None) -> dict[str, float]:
    """Every probability of the verdict, from joint draws of delta_fav and delta_unfav (same shape);
    `weights` (normalised or not, same shape) for importance-weighted draws."""
    events = claim_indicators(favourable, unfavourable, rope)
    return {name: float(np.average(event, weights=weights)) for name, event in events.items()}


def classify(probabilities: dict[str, float], decision_probability: float = DECISION_PROBABILITY) -> str:
    """The first verdict of VERDICTS whose probability reaches the decision probability."""
    for verdict, column in _VERDICT_PROBABILITY.items():
        if probabilities[column] >= decision_probability:
            return verdict
    return INCONCLUSIVE


def judge(favourable, unfavourable, rule: DecisionRule, weights=None) -> dict[str, float | str]:
    """Probabilities and verdict of one moderator, from joint posterior draws (optionally weighted)."""
    probabilities = claim_probabilities(favourable, unfavourable, rule.rope, weights)
    return {**probabilities, "verdict": classify(probabilities, rule.probability)}


def _one_sided_p(difference: float, se: float, df: float, bound: float, above: bool) -> float:
    """p of H0: delta <= bound (above=True) or H0: delta > bound (above=False), Welch's t."""
    t = (difference - bound) / se
    return float(stats.t.sf(t, df) if above else stats.t.cdf(t, df))


def welch_judgement(favourable: tuple[float, float, float], unfavourable: tuple[float, float, float],
                    moderation: tuple[float, float, float], rule: DecisionRule) -> dict[str, float | str]:
    """The verdict from Welch's tests; each argument is (difference, standard error, Welch df).

    The columns hold 1 - p of each one-sided test (its confidence), so that the table reads like the Bayesian
    one and the same threshold applies; they are not probabilities.
    """
    p_paradox_fav = _one_sided_p(*favourable, rule.rope, above=True)
    p_paradox_unfav = _one_sided_p(*unfavourable, rule.rope, above=True)
    # TOST's upper half: the effect is shown to lie at or below the region's upper bound.
    p_equivalent_fav = _one_sided_p(*favourable, rule.rope, above=False)
    p_equivalent_unfav = _one_sided_p(*unfavourable, rule.rope, above=False)
    p_moderation = _one_sided_p(*moderation, 0.0, above=True)
    confidence = {
        "p_claim": 1 - max(p_paradox_fav, p_moderation),
        "p_paradox_favourable": 1 - p_paradox_fav,
        "p_no_paradox_unfavourable": 1 - p_equivalent_unfav,
        "p_moderation": 1 - p_moderation,
        "p_paradox_both": 1 - max(p_paradox_fav, p_paradox_unfav),
        "p_moderation_no_paradox": 1 - max(p_equivalent_fav, p_moderation),
        "p_no_paradox": 1 - max(p_equivalent_fav, p_equivalent_unfav),
    }
    return {**confidence, "verdict": classify(confidence, rule.probability)}
