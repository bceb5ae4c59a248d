"""The SRP part of `paradox fit` (`srp: true`): its design (any layout), and the surveys it refuses rather than misread.

The config's `srp_design` names the design file (default the package's, the separate layout); the survey's
columns are checked against that design: the separate layout needs factors `experiment` (one per moderator)
and `cell` (CELLS); a named-cell layout (shared_control, factorial, within_subject) needs `cell` alone, its
values the design's cells, and within subject a respondent appears once per cell. Whatever the SRP models cannot
use is refused before any sampling (exit 2, the message names file, column and row), never dropped in silence:
a cell the design does not know, an experiment without its no-failure control (its effects would rest on the
priors alone) or a recovery cell (paradox.design.check_controls). Covariates, a group and other factors go into
the SRP ordinal model as adjustments (`srp_other_predictors: adjust`, the default; paradox.models.srp.
adjustment_terms), or are left out of the SRP verdicts (`leave_out`; the regression of the same run keeps them),
or refuse the run (`refuse`). Frequency weights are honoured (paradox.models.srp: a row of weight w counts as w
respondents, weight 0 as none).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from paradox.data import Survey, SurveySpec
from paradox.design import (CELL, CELLS, DEFAULT_DESIGN, EXPERIMENT, Design, check_controls,
                            decision_from, load_design)
from paradox.errors import InputError
from paradox.fit.config import AnalysisConfig, ConfigError


def design_path(config: AnalysisConfig) -> Path:
    """The design file `srp_design` names, relative to the config file (default the package's design)."""
    if not config.srp_design:
        return DEFAULT_DESIGN
    path = Path(config.srp_design)
    if not path.is_absolute() and Path(config.source).is_file():
        path = Path(config.source).parent / path
    return path


def load_srp_design(config: AnalysisConfig) -> Design | None:
    """The SRP design of the config (None without `srp`), its decision rule overridden by the config's;
    a missing file is a ConfigError naming the key, a malformed one an InputError naming the design file."""
    if not config.srp:
        return None
    path = design_path(config)
    if not path.is_file():
        raise ConfigError(f"no design file {str(path)!r} (a path relative to the config file)",
                          source=config.source, key="srp_design")
    design = load_design(path)
    if not design.named_cells and EXPERIMENT not in config.factors:
        raise ConfigError(f"the SRP design {path.name} has the separate layout (one experiment per moderator), so "
                          f"the survey needs the factors {EXPERIMENT} and {CELL}; {EXPERIMENT} is missing",
                          source=config.source, key="factors")
    if design.named_cells and EXPERIMENT in config.factors:
        raise ConfigError(f"the SRP design {path.name} ({design.layout} layout) names its cells, so column "
                          f"{CELL} says which experiment each respondent is in; a factor {EXPERIMENT} would be "
                          "left out of the verdicts: drop it from `factors`", source=config.source, key="factors")
    return dataclasses.replace(design, decision=decision_from(config.decision, design.decision))


def srp_survey_spec(config: AnalysisConfig, design: Design | None) -> SurveySpec:
    """The config's survey spec; a within-subject design lets `cell` change between a respondent's rows."""
    spec = config.survey_spec()
    if design is not None and design.layout == "within_subject":
        spec = dataclasses.replace(spec, within_respondent=tuple(dict.fromkeys((*spec.within_respondent, CELL))))
    return spec


def srp_design(config: AnalysisConfig, survey: Survey, design: Design | None = None) -> Design:
    """The SRP design for `srp: true` (load_srp_design unless given), checked against the survey's columns."""
    design = design or load_srp_design(config)
    name = design.path.name
    checks = [(CELL, list(design.cells))] if design.named_cells else [(EXPERIMENT, design.moderators), (CELL, list(CELLS))]
    answers = survey.answers
    for column, known in checks:
        values = answers[column].astype(str)
        unknown = sorted(set(values) - set(known))
        if unknown:
            rows = answers.loc[values.isin(unknown), "row"].drop_duplicates().head(5).tolist()
            raise InputError(f"the SRP design ({name}, {design.layout} layout) has no {column} "
                             f"{', '.join(map(repr, unknown))}; it knows: {', '.join(known)}",
                             file=survey.source, column=column, rows=rows)
    check_controls(survey, design)
    return design
