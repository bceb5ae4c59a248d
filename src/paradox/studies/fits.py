"""Fit methods a study can use: how a simulated survey becomes a posterior of the recovery effects.

A method builds a PyMC model from a survey; `paradox.studies.compiled` compiles it once per worker when
its data are pm.Data, and afresh for every survey when they are not. Every method's model must have a
`recovery_effect` (experiment, recovery_level) variable: delta at the favourable and unfavourable level.
Add a method by subclassing FitMethod (a frozen dataclass, so it pickles to Dask workers); import
PyMC inside `build`, never at the top of this module (workers must claim a compile directory first).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from paradox.data import Survey
from paradox.design import Design
from paradox.verdict import ROPE_LOGIT, ROPE_POINTS


@dataclass(frozen=True)
class FitMethod:
    """Base of the fit methods. `scale`: 'logit' or 'points', the scale of recovery_effect."""

    pooled: bool = True
    scale = "logit"
    rope = ROPE_LOGIT

    @property
    def name(self) -> str:
        return f"{type(self).__name__}({'pooled' if self.pooled else 'unpooled'})"

    def describe(self) -> dict:
        return {"method": type(self).__name__, "scale": self.scale, "rope": self.rope, **dataclasses.asdict(self)}

    def build(self, survey: Survey, design: Design):
        raise NotImplementedError


@dataclass(frozen=True)
class IntegratedOrdinal(FitMethod):
    """`paradox.models.srp.ordinal_model(survey, integrate_respondents=True, patterns=pattern_grid(design))`:
    the SRP ordinal model with each respondent's intercept integrated out, over the design's full grid of
    answer patterns, whose counts are pm.Data (PATTERN_COUNTS): one compiled model per worker refits every
    simulated survey of the design (and every cell size: the grid does not depend on it)."""

    scale = "logit"
    rope = ROPE_LOGIT

    def build(self, survey: Survey, design: Design):
        from paradox.models.srp import ordinal_model, pattern_grid

        return ordinal_model(survey, pooled=self.pooled, integrate_respondents=True, patterns=pattern_grid(design))


@dataclass(frozen=True)
class GaussianCells(FitMethod):
    """`paradox.models.srp.gaussian_model` from the survey's cell statistics, held in pm.Data
    (`data_containers=True`): one compiled model per worker refits every simulated survey of the design
    (the same experiments and cells, in the design's order)."""

    scale = "points"
    rope = ROPE_POINTS

    def build(self, survey: Survey, design: Design):
        from paradox.models.srp import cell_statistics, gaussian_model

        return gaussian_model(cell_statistics(survey), scale_points=design.scale_points, pooled=self.pooled,
                              data_containers=True)


@dataclass(frozen=True)
class ObservedPatterns(FitMethod):
    """`paradox.models.srp.observed_patterns_model`: the same model and posterior as IntegratedOrdinal, but
    over the survey's observed answer patterns only (answers, cells and counts as pm.Data of no fixed
    length, so a worker compiles it once for surveys of every size), instead of the design's grid of every
    possible pattern. A study of one experiment (the design restricted to it) fits its three cells only:
    the cheap fit of `paradox plan`; of the whole design, the fit of `make calibrate`."""

    scale = "logit"
    rope = ROPE_LOGIT

    def build(self, survey: Survey, design: Design):
        from paradox.models.srp import observed_patterns_model

        return observed_patterns_model(survey, pooled=self.pooled)
