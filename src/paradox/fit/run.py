"""Running `paradox fit`: read and check the config, the data and the model, then sample.

Order of work: read the config, read and validate the data, build the model (each may
raise an InputError, so bad input never reaches the sampler), sample, summarise. Writing
is paradox.fit.writer's job, and happens only after all of this succeeded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import xarray as xr

from paradox import interrupt
from paradox.data import Survey, check_levels_have_respondents, load_survey, validate
from paradox.design import CELLS, DEFAULT_DESIGN, Design, decision_from, load_design
from paradox.errors import InputError
from paradox.fit.config import SRP_FACTORS, AnalysisConfig, ConfigError, as_config
from paradox.fit.result import FitResult
from paradox.hypotheses import analyse_srp
from paradox.models.regression import RegressionModel, build_regression
from paradox.models.sampling import convergence_report, sample, sample_posterior_predictive, tidy_summary
from paradox.settings import SamplerSettings

#: At most this many posterior-predictive draws are kept (enough for the checks; keeps the NetCDF small).
MAX_PREDICTIVE_DRAWS = 400


def read_survey(data: str | Path | pd.DataFrame | Survey, config: AnalysisConfig) -> Survey:
    """The survey the config describes, checked (see paradox.data.validate)."""
    if isinstance(data, Survey):
        survey = data
    elif isinstance(data, pd.DataFrame):
        survey = validate(data, config.survey_spec())
    else:
        survey = load_survey(data, config.survey_spec(), sheet=config.sheet)
    check_levels_have_respondents(survey)
    return survey


@dataclass
class Prepared:
    """Everything checked before sampling: the config, the survey, the model (and the SRP design)."""

    config: AnalysisConfig
    survey: Survey
    regression: RegressionModel
    design: Design | None = None


def prepare(data, config) -> Prepared:
    """Read and check the config, the data and the model. Raises InputError; never samples."""
    config = as_config(config)
    survey = read_survey(data, config)
    try:
        regression = build_regression(survey, config.regression_spec())
    except ValueError as exc:
        raise ConfigError(str(exc), source=config.source, key="") from None
    design = srp_design(config, survey) if config.srp else None
    return Prepared(config, survey, regression, design)


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
    return dataclasses.replace(design, decision=decision_from(config.decision, design.decision))


def fit_survey(data, config, settings: SamplerSettings | None = None) -> FitResult:
    """Fit the analysis `config` (a path, dict or AnalysisConfig) to `data` (a path, DataFrame or Survey).

    `settings` defaults to SamplerSettings.from_env() without the result cache (a fit of your
    own file writes nothing outside the directory you give `write`); the config's draws, chains,
    seed ... override it.
    """
    prepared = prepare(data, config)
    config, regression = prepared.config, prepared.regression
    settings = settings or SamplerSettings.from_env().with_(cache="off")
    if regression.has_random_intercepts:  # unless the config sets draws itself
        settings = settings.for_slow_mixing()
    settings = config.sampler_settings(settings)
    start = time.perf_counter()
    idata = sample(regression.model, settings)
    interrupt.check()  # nutpie returns the draws so far on Ctrl-C: never take them for a result
    _add_posterior_predictive(regression, idata, settings)
    srp_result = None
    if prepared.design is not None:
        srp_result = analyse_srp(prepared.survey, settings, prepared.design, check=False)
        interrupt.check()
    seconds = time.perf_counter() - start
    return FitResult(
        config=config, settings=settings, survey=prepared.survey, regression=regression, idata=idata,
        summary=tidy_summary(idata, regression.parameters, config.ci_prob or 0.95),
        convergence=convergence_report(idata), seconds=seconds, srp=srp_result, srp_design=prepared.design,
    )


def _add_posterior_predictive(regression: RegressionModel, idata: xr.DataTree, settings: SamplerSettings) -> None:
    """Posterior predictive draws of the answers (the model's one observed variable), from at most
    MAX_PREDICTIVE_DRAWS posterior draws."""
    with _quiet("pymc"), warnings.catch_warnings():
        # The Gaussian model's Potential involves sigma alone, which the draws already carry.
        warnings.filterwarnings("ignore", message="The effect of Potentials", category=UserWarning)
        predictive = sample_posterior_predictive(regression.model, idata, settings, max_draws=MAX_PREDICTIVE_DRAWS)
    idata["posterior_predictive"] = predictive["posterior_predictive"]


@contextlib.contextmanager
def _quiet(logger_name: str):
    """Silence a library's progress messages ("Sampling: [answers]") for the duration."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)
