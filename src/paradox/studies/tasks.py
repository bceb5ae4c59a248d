"""A study and its tasks: which surveys are simulated, with which seeds, and how each is fitted.

A task is (scenario, replicate). Its seeds come from the study's master seed and the task's key alone
(never from the order tasks run in or the worker they run on), so a study gives the same rows with 1
worker or 20, in one go or resumed. The seed does not depend on the fit method either: two studies
with the same master seed, scenarios and design fit the same simulated surveys.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from paradox import __version__
from paradox.design import Design
from paradox.settings import SEED, SamplerSettings
from paradox.studies.fits import FitMethod
from paradox.studies.scenarios import Scenario
from paradox.verdict import PROBABILITY_COLUMNS, VERDICTS, DecisionRule, classify

#: A fit that fails its convergence checks is refitted once with this many times the chains (fit_task).
REFIT_CHAIN_FACTOR = 2
#: The verdict of a fit that failed its convergence checks twice (refitted): no conclusion.
NOT_CONVERGED = "not converged"
#: Every outcome of a task's judgement: a verdict of the rule, or a fit that did not converge.
OUTCOMES = (*VERDICTS, NOT_CONVERGED)


def judged_at(rows: pd.DataFrame, probability: float) -> pd.Series:
    """Each row's verdict at the decision probability `probability`, from the probabilities the row stores
    (`paradox.verdict.classify`): exact without refitting, since a fit's verdict depends on the probability only
    there. A fit that did not converge stays without a verdict. (The region of practical equivalence is another
    matter: the stored probabilities are against the study's region, so a new region needs the fits again.)"""
    verdicts = [classify(p, probability) for p in rows[list(PROBABILITY_COLUMNS)].to_dict("records")]
    return rows["verdict"].where(rows["verdict"] == NOT_CONVERGED, verdicts)


@dataclass(frozen=True, order=True)
class Task:
    replicate: int
    scenario: str
    data_seed: int = field(compare=False)
    sampler_seed: int = field(compare=False)

    @property
    def key(self) -> str:
        """The task's name in the result store."""
        return f"{self.scenario}__r{self.replicate:05d}"

    @property
    def refit_seed(self) -> int:
        """The sampler seed of the task's second fit, when the first fails its convergence checks (fit_task)."""
        return int(np.random.SeedSequence([self.sampler_seed, 1]).generate_state(1, dtype=np.uint32)[0])


def task_seeds(master_seed: int, scenario: str, replicate: int) -> tuple[int, int]:
    """(data seed, sampler seed) of one task, from the master seed and the task key only."""
    name = int.from_bytes(hashlib.sha256(scenario.encode()).digest()[:8], "little")
    data, sampler = np.random.SeedSequence([master_seed, name, replicate]).generate_state(2, dtype=np.uint32)
    return int(data), int(sampler)


@dataclass(frozen=True)
class Study:
    """Simulate `replicates` surveys from the design under each scenario and fit each with `method`.

    settings: draws, tune, chains, target_accept and the master seed (`settings.seed`, which is
    paradox.settings.SEED unless PARADOX_SEED says otherwise); `name` labels the rows; `rule` is the
    decision rule of `paradox.verdict` (default: the design file's, `design.rule(method.scale)`);
    `refit_target_accept`: the target acceptance of the refit of a fit that failed its checks (default: the
    first fit's), for a study whose first fits sample at a cheaper setting than the one that makes divergences rare.
    """

    name: str
    design: Design
    scenarios: tuple[Scenario, ...]
    replicates: int
    method: FitMethod
    settings: SamplerSettings = field(default_factory=lambda: SamplerSettings(seed=SEED))
    rule: DecisionRule | None = None  # default: the design's rule on the method's scale
    refit_target_accept: float | None = None  # default: settings.target_accept

    @property
    def decision_rule(self) -> DecisionRule:
        return self.rule if self.rule is not None else self.design.rule(self.method.scale)

    def __post_init__(self):
        names = [s.name for s in self.scenarios]
        if not names:
            raise ValueError("a study needs at least one scenario")
        if len(set(names)) != len(names):
            raise ValueError(f"scenario names must be unique: {names}")
        if self.replicates < 1:
            raise ValueError(f"replicates must be at least 1, not {self.replicates}")
        if self.settings.nuts_sampler != "nutpie":
            raise ValueError("studies sample with nutpie (one compiled model reused per worker); "
                             f"settings.nuts_sampler is {self.settings.nuts_sampler!r}")

    @property
    def refit_settings(self) -> SamplerSettings:
        """How a fit that failed its convergence checks is fitted again (paradox.studies.fit_task)."""
        more = self.settings.with_(chains=REFIT_CHAIN_FACTOR * self.settings.chains)
        if self.refit_target_accept is None:
            return more
        return more.with_(target_accept=self.refit_target_accept)

    def scenario(self, name: str) -> Scenario:
        return next(s for s in self.scenarios if s.name == name)

    def tasks(self) -> list[Task]:
        """Every task, replicate-major: an interrupted study has about as many rows for each scenario."""
        return sorted(Task(r, s.name, *task_seeds(self.settings.seed, s.name, r))
                      for s in self.scenarios for r in range(self.replicates))

    def fingerprint(self) -> dict:
        """Everything a row depends on, except the number of replicates (a study can be extended) and the decision
        probability (a row's verdict is judged again at the study's whenever it is read: `judged_at`)."""
        sim = self.design.simulation
        return {
            "paradox": __version__,
            "method": self.method.describe(),
            "model": self.model_fingerprint,
            # The region, not the decision probability: a row stores the probabilities against the region, and its
            # verdict is judged again at the study's decision probability whenever it is read (ResultStore.table).
            "rope": self.decision_rule.rope,
            "settings": {k: getattr(self.settings, k)
                         for k in ("draws", "tune", "chains", "seed", "target_accept", "max_tree_depth")},
            "refit_chain_factor": REFIT_CHAIN_FACTOR,
            # Only when set: the fingerprints, and so the stored rows, of the studies that do not set it stay valid.
            **({"refit_target_accept": self.refit_target_accept} if self.refit_target_accept is not None else {}),
            "design": {
                "experiments": [[e.moderator, e.n_per_cell] for e in self.design.experiments],
                "items": list(self.design.items), "scale_points": self.design.scale_points,
                "respondent_sd": sim.respondent_sd, "cutpoints": list(sim.cutpoints),
                "item_shift": sim.item_shift, "effects": sim.effects,
            },
            "scenarios": {s.name: {"effects": [list(e) for e in s.effects], "n_per_cell": s.n_per_cell}
                          for s in self.scenarios},
        }

    @cached_property
    def model_fingerprint(self) -> str:
        """The structure of the model the method fits (`paradox.cache.model_fingerprint` without data values, the
        key of the studies' compiled models), so that a change to the model's code refits the rows."""
        from paradox.cache import model_fingerprint
        from paradox.studies.scenarios import design_for, simulated_survey

        design = design_for(self.design, self.scenarios[0])
        return model_fingerprint(self.method.build(simulated_survey(design, 0), design), data_values=False)

    def fingerprint_json(self) -> str:
        return json.dumps(self.fingerprint(), sort_keys=True, indent=1)
