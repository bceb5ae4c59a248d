"""The region of practical equivalence in scale points: what a latent shift does to the mean answer.

The verdicts' region is set on the latent (logit) scale (`paradox.verdict.ROPE_LOGIT`); the Gaussian model
and Welch's test judge effects in scale points, so they need its counterpart there (`ROPE_POINTS`). It is
derived here from the generator's own assumptions (the design file's `simulation` section), by simulating
many no-failure respondents with and without the shift. Its own module because `paradox.design` reads its
defaults from `paradox.verdict` and this needs the design: `paradox.verdict` cannot import it.
"""

from __future__ import annotations

import numpy as np

from paradox.design import Design
from paradox.simulate import ordered_answers

#: Simulated respondents: enough that the Monte Carlo error (about 0.003 points) is far below the rounding.
RESPONDENTS = 200_000


def points_for_logits(design: Design, logits: float, respondents: int = RESPONDENTS, seed: int | None = None) -> float:
    """How many scale points a latent shift of `logits` moves a no-failure respondent's mean answer (over the
    design's items), under the design's generator. `seed` defaults to the design's simulation seed; the same
    respondents and noise are used with and without the shift, so only the shift differs."""
    sim = design.simulation
    rng = np.random.default_rng(sim.seed if seed is None else seed)
    latent = sim.respondent_sd * rng.standard_normal(respondents)
    noise = rng.logistic(size=(respondents, len(design.items)))
    cutpoints = np.asarray(sim.cutpoints)
    shifts = np.array([sim.item_shift[item] for item in design.items])

    def mean_answer(shift: float) -> float:
        return float(ordered_answers(latent + shift, noise, cutpoints, shifts).mean())

    return mean_answer(logits) - mean_answer(0.0)
