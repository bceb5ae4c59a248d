"""Truth scenarios of a simulation study: the recovery effects a simulated survey is drawn from.

A scenario replaces the design file's effects (`simulation.effects`, on the logit scale) with its own,
so that every other assumption of the design (cell sizes, items, cutpoints, respondent spread) stays
as it is. `simulated_survey` draws one survey from it and checks it exactly as a file would be checked.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from paradox.data import Survey, validate
from paradox.design import RECOVERY_LEVELS, Design
from paradox.simulate import simulate_survey

#: Scenario names become file names in the result store.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Scenario:
    """A named truth: delta_fav and delta_unfav (logits) of each moderator; a moderator left out keeps
    the design file's effects. `n_per_cell`, if given, replaces every experiment's cell size (the axis
    of an assurance curve)."""

    name: str
    effects: tuple[tuple[str, float, float], ...]  # (moderator, delta_fav, delta_unfav)
    n_per_cell: int | None = None

    @classmethod
    def uniform(cls, name: str, design: Design, favourable: float, unfavourable: float,
                n_per_cell: int | None = None) -> "Scenario":
        """The same two effects in every experiment of the design."""
        return cls(name, tuple((m, float(favourable), float(unfavourable)) for m in design.moderators), n_per_cell)

    def __post_init__(self):
        if not _NAME.match(self.name):
            raise ValueError(f"scenario name {self.name!r}: use letters, digits, '_', '-' and '.' only "
                             "(it names the files of the result store)")
        moderators = [m for m, _, _ in self.effects]
        if len(set(moderators)) != len(moderators):
            raise ValueError(f"scenario {self.name!r} gives a moderator twice: {moderators}")
        for moderator, fav, unfav in self.effects:
            if not (np.isfinite(fav) and np.isfinite(unfav)):
                raise ValueError(f"scenario {self.name!r}, {moderator}: effects must be finite numbers")
        if self.n_per_cell is not None and not (isinstance(self.n_per_cell, int) and self.n_per_cell >= 2):
            raise ValueError(f"scenario {self.name!r}: n_per_cell must be a whole number of at least 2")


def design_for(design: Design, scenario: Scenario) -> Design:
    """The design with the scenario's effects in place of the design file's."""
    unknown = [m for m, _, _ in scenario.effects if m not in design.moderators]
    if unknown:
        raise ValueError(f"scenario {scenario.name!r} names moderators the design does not have: {unknown}; "
                         f"the design has {design.moderators}")
    effects = {m: dict(cells) for m, cells in design.simulation.effects.items()}
    for moderator, fav, unfav in scenario.effects:
        effects[moderator] = dict(zip(RECOVERY_LEVELS, (fav, unfav)))
    experiments = design.experiments
    if scenario.n_per_cell is not None:
        experiments = tuple(dataclasses.replace(e, n_per_cell=scenario.n_per_cell) for e in experiments)
    return dataclasses.replace(design, experiments=experiments,
                               simulation=dataclasses.replace(design.simulation, effects=effects))


def simulated_survey(design: Design, seed: int) -> Survey:
    """One survey drawn from the design, in memory, passed through the same checks as a survey file."""
    return validate(simulate_survey(design, seed=seed), design.survey_spec(), source=f"<simulated survey, seed {seed}>")


def true_deltas(design: Design, scale: str) -> dict[str, tuple[float, float]]:
    """The true (delta_fav, delta_unfav) of each moderator: on the latent scale (`logit`) the effects
    themselves; in scale `points`, the change in the expected mean answer they cause, exactly (a
    Gauss-Hermite average over the respondent intercept of sum_k P(answer > k))."""
    sim = design.simulation
    if scale == "logit":
        return {m: tuple(sim.effects[m][c] for c in RECOVERY_LEVELS) for m in design.moderators}
    if scale != "points":
        raise ValueError(f"scale must be 'logit' or 'points', not {scale!r}")
    nodes, weights = np.polynomial.hermite.hermgauss(64)
    u, w = np.sqrt(2.0) * nodes, weights / np.sqrt(np.pi)
    thresholds = np.add.outer(np.array(list(sim.item_shift.values())), np.asarray(sim.cutpoints))  # (item, cut)

    def mean_answer(effect: float) -> float:
        above = expit(effect + sim.respondent_sd * u[:, None, None] - thresholds[None])  # (node, item, cut)
        return float(1 + (w[:, None, None] * above).sum(axis=0).sum(axis=1).mean())

    base = mean_answer(0.0)
    return {m: tuple(mean_answer(sim.effects[m][c]) - base for c in RECOVERY_LEVELS) for m in design.moderators}
