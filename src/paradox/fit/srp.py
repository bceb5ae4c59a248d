"""The SRP part of `paradox fit` (`srp: true`): its design, and the surveys it refuses rather than misread.

The SRP models (paradox.models.srp) take experiment and cell alone, without frequency weights. Whatever
they cannot use is refused before any sampling (exit 2, the message says what to do), never dropped in
silence: a frequency weight (a weighted row would count once, a zero-weight row as a respondent), an
experiment without its no-failure control or one of its recovery cells (its effects would rest on the
priors alone), and covariates, a group or other factors unless `srp_other_predictors: leave_out` says
the verdicts may do without them (the regression of the same run keeps them).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from paradox.data import Survey
from paradox.design import CELL, CELLS, DEFAULT_DESIGN, EXPERIMENT, NO_FAILURE, Design, decision_from, load_design
from paradox.errors import InputError
from paradox.fit.config import SRP_FACTORS, AnalysisConfig

#: Whether paradox.models.srp fits frequency weights. False on this branch: a weighted survey is refused.
#: Hook: once the SRP builders take the weights (issue 12, item 5), set True and pass the survey's weights there.
SRP_TAKES_WEIGHTS = False


def srp_design(config: AnalysisConfig, survey: Survey) -> Design:
    """The SRP design for `srp: true`, checked against the survey's experiments and cells."""
    path = Path(config.srp_design) if config.srp_design else DEFAULT_DESIGN
    if config.srp_design and not path.is_absolute() and Path(config.source).is_file():
        path = Path(config.source).parent / path
    design = load_design(path)
    experiment, cell = SRP_FACTORS
    for column, known in ((experiment, design.moderators), (cell, list(CELLS))):
        unknown = sorted(set(survey.respondents[column].astype(str)) - set(known))
        if unknown:
            raise InputError(f"the SRP design ({path.name}) has no {column} {', '.join(map(repr, unknown))}; "
                             f"it knows: {', '.join(known)}", file=survey.source, column=column)
    check_srp_survey(survey)
    return dataclasses.replace(design, decision=decision_from(config.decision, design.decision))


def check_srp_survey(survey: Survey) -> None:
    """Refuse (InputError) what the SRP models would misread: frequency weights, and an experiment without
    respondents in its no-failure control or in a recovery cell."""
    weight = survey.spec.weight
    if weight and not SRP_TAKES_WEIGHTS:
        raise InputError("the SRP analysis (srp: true) cannot use frequency weights yet: its models "
                         "(paradox.models.srp) would count a weighted row as one respondent and a zero-weight row "
                         "as one, so its verdicts would be wrong; refused rather than ignored. Give one row per "
                         "respondent, or fit without `srp`", file=survey.source, column=weight)
    respondents = survey.respondents
    for name in respondents[EXPERIMENT].astype(str).unique():
        present = set(respondents.loc[respondents[EXPERIMENT].astype(str) == name, CELL].astype(str))
        missing = [c for c in CELLS if c not in present]
        if NO_FAILURE in missing:
            raise InputError(f"experiment {name!r} has no respondents in its no-failure control (cell "
                             f"{NO_FAILURE!r}): its recovery effects would be decided by the priors alone, so it "
                             "gets no verdict; add its control group, or leave the experiment out",
                             file=survey.source, column=CELL)
        if missing:
            raise InputError(f"experiment {name!r} has no respondents in cell(s) {', '.join(map(repr, missing))}: "
                             "its hypothesis compares both recovery levels with the control, so it gets no verdict; "
                             "add those groups, or leave the experiment out", file=survey.source, column=CELL)
