"""`paradox fit`: the package's analyses on your own survey file.

An analysis is described by a small YAML file (see `CONFIG_KEYS` and `EXAMPLE_CONFIG`);
command-line flags override its keys. The same runs from Python:

    from paradox.analysis import fit_survey
    result = fit_survey("my_survey.csv", "analysis.yaml")
    result.summary                 # tidy table, one row per parameter
    result.write("results/my_fit") # everything `paradox fit --out` writes

Order of work: read the config, read and validate the data, build the model (each may
raise an InputError, so bad input never reaches the sampler), sample, summarise, and
only then write DIR, all at once (`paradox.outputs.output_dir`): a run that fails leaves nothing,
and a folder holding anything but an earlier paradox fit output is never written to.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import difflib
import hashlib
import json
import logging
import os
import textwrap
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import arviz as az
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
import yaml

from paradox import interrupt
from paradox.data import (SUPPORTED_SUFFIXES, Survey, SurveySpec, check_levels_have_respondents, describe, load_survey,
                          validate)
from paradox.design import CELLS, DEFAULT_DESIGN, Design, decision_from, load_design
from paradox.errors import InputError
from paradox.hypotheses import SRPResult, analyse_srp
from paradox.models.regression import FAMILIES, LINKS, Priors, RegressionModel, RegressionSpec, build_regression
from paradox.models.sampling import convergence_report, sample, sample_posterior_predictive, tidy_summary
from paradox.outputs import output_dir
from paradox.settings import SamplerSettings
from paradox.yamlfile import load_yaml

#: Exit status of `paradox fit --strict` when sampling did not converge (bad input is 2).
EXIT_NOT_CONVERGED = 3
#: At most this many posterior-predictive draws are kept (enough for the checks; keeps the NetCDF small).
MAX_PREDICTIVE_DRAWS = 400
#: Factors the SRP verdicts need (the layout of data/synthetic/magnini2007_synthetic_survey.csv).
SRP_FACTORS = ("experiment", "cell")
#: Every file `paradox fit` can write into DIR (an earlier output is recognised by them).
OUTPUT_FILES = ("summary.csv", "summary.json", "posterior.nc", "report.md", "run.json", "config.yaml",
                "figures/effects.png", "figures/answer_check.png", "verdicts.csv", "srp_tests.csv")


#: Where a config comes from when there is no --config file.
COMMAND_LINE = "the command line (no --config)"


class ConfigError(InputError):
    """A bad analysis config: names the config file (or the flag) and the key."""

    def __init__(self, message: str, *, source: str, key: str):
        super().__init__(message, file=source)
        self.key = key

    def __str__(self) -> str:
        where = self.file if self.file.startswith(("option ", COMMAND_LINE)) else f"config {self.file}"
        key = f", key '{self.key}'" if self.key else ""
        return f"{where}{key}: {self.message}"


# ---------------------------------------------------------------------------------------
# The config: each key, how it is read, and what it means (the text --help and README show).


def _text(value) -> str:
    if isinstance(value, (dict, list)) or value is None or isinstance(value, bool):
        raise ValueError(f"expected a column name, got {value!r}")
    return str(value)


def _optional_text(value):
    return None if value is None else _text(value)


def _texts(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"expected a list, got {value!r}")
    values = tuple(_level(v) for v in value)
    twice = [v for i, v in enumerate(values) if v in values[:i]]
    if twice:  # e.g. a level listed twice: which position would be its place in the order?
        raise ValueError(f"{twice[0]!r} is listed twice")
    return values


def _level(value) -> str:
    if isinstance(value, bool):
        raise ValueError(f"YAML read {value!r} as true/false; put the level in quotes, e.g. 'yes'")
    if value is None or isinstance(value, (dict, list)):
        raise ValueError(f"expected a name, got {value!r}")
    return str(value)


def _factors(value) -> dict[str, tuple[str, ...] | None]:
    if value is None:
        return {}
    if isinstance(value, (list, tuple, str)):  # names only: levels from the data
        value = {name: None for name in _texts(value)}
    if not isinstance(value, dict):
        raise ValueError("expected a mapping of column: [levels] (baseline first), or a list of columns")
    if any(not str(k).strip() for k in value):
        raise ValueError("a factor needs its column name, e.g. condition=no_failure,recovery")
    return {str(k): (None if v is None else _texts(v)) for k, v in value.items()}


def _scale(value) -> tuple[int, int] | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = [1, value]
    if isinstance(value, str):
        value = [v for v in value.replace("..", ",").split(",") if v.strip()]
        if len(value) == 1:  # --scale 7, as `scale: 7` in YAML: 1..7
            value = ["1", value[0]]
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(f"expected [lowest, highest] (e.g. [1, 7]) or the number of points, got {value!r}")
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"expected two whole numbers, got {value!r}") from None
    if not (lo.is_integer() and hi.is_integer() and hi > lo):
        raise ValueError(f"expected two whole numbers, lowest < highest, got {value!r}")
    return int(lo), int(hi)


def _whole(minimum: int):
    def parse(value):
        if value is None:
            return None
        if isinstance(value, bool) or not float(value).is_integer() or int(value) < minimum:
            raise ValueError(f"expected a whole number of at least {minimum}, got {value!r}")
        return int(value)

    return parse


def _probability(value):
    if value is None:
        return None
    value = float(value)
    if not 0 < value < 1:
        raise ValueError(f"expected a number between 0 and 1, got {value!r}")
    return value


def _flag(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "yes", "1", "false", "no", "0"}:
        return value.lower() in {"true", "yes", "1"}
    raise ValueError(f"expected true or false, got {value!r}")


def _choice(options):
    def parse(value):
        if str(value) not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {value!r}")
        return str(value)

    return parse


def _priors(value) -> Priors:
    if value is None:
        return Priors()
    if not isinstance(value, dict):
        raise ValueError("expected a mapping such as {effect_sd: 2.5}")
    known = [f.name for f in dataclasses.fields(Priors)]
    values = {}
    for key, v in value.items():
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            raise ValueError(f"unknown prior {key!r}{f' (did you mean {close[0]!r}?)' if close else ''}; "
                             f"known: {', '.join(known)}")
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0):
            raise ValueError(f"prior {key} must be a positive number, got {v!r}")
        values[key] = None if v is None else float(v)
    return Priors(**values)


def _decision(value) -> dict:
    if value is None:
        return {}
    decision_from(value)  # ValueError naming the key; applied over the design's rule in srp_design
    return dict(value)


def _sheet(value):
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)  # --sheet 1 means the second sheet, as `sheet: 1` does
    return value if value is None or isinstance(value, int) else str(value)


@dataclass(frozen=True)
class ConfigKey:
    parse: object
    help: str
    section: str


_FULL, _FAST = (SamplerSettings.from_env({"PARADOX_MODE": mode}) for mode in ("full", "fast"))

#: Every config key: its parser, its meaning, and its section (in the order --help lists them).
CONFIG_KEYS: dict[str, ConfigKey] = {
    "respondent": ConfigKey(_optional_text, "column with the respondent id (must be unique in the wide layout); "
                            "omit when each row is one respondent", "data"),
    "items": ConfigKey(_texts, "wide layout: the columns holding the answers, one per item", "data"),
    "item_column": ConfigKey(_optional_text, "long layout: the column naming the item of each answer", "data"),
    "answer_column": ConfigKey(_optional_text, "long layout: the column holding the answer", "data"),
    "scale": ConfigKey(_scale, "lowest and highest answer code, e.g. [1, 7] (or 7 for 1..7); "
                       "default 1..number of labels", "data"),
    "labels": ConfigKey(_texts, "names of the scale points, lowest first; answers may then be given "
                        "as these labels (case ignored) or as codes", "data"),
    "missing_values": ConfigKey(_texts, "answers that mean 'no answer', e.g. [-99, \"Don't know\"]; "
                                "blank cells always do", "data"),
    "factors": ConfigKey(_factors, "categorical predictors: {column: [levels, baseline first]}; "
                         "null levels (or a plain list of columns) take the levels from the data, sorted", "data"),
    "covariates": ConfigKey(_texts, "numeric predictors (one slope each, per unit of the column)", "data"),
    "group": ConfigKey(_optional_text, "column of a grouping (e.g. store, class): adds a random intercept per group",
                       "data"),
    "weight": ConfigKey(_optional_text, "frequency-weight column: each row stands for that many respondents "
                        "(whole numbers)", "data"),
    "min_cell_size": ConfigKey(_whole(1), "fewest respondents allowed in a combination of factor levels "
                               "(default 1)", "data"),
    "sheet": ConfigKey(_sheet, "Excel: the sheet to read, by name or 0-based position (default the first)", "data"),
    "model": ConfigKey(_choice(FAMILIES), "ordinal (cumulative model of each answer; default) or gaussian "
                       "(normal model of each respondent's mean answer)", "model"),
    "link": ConfigKey(_choice(LINKS), "ordinal link: logit (default; effects are log odds ratios) or probit", "model"),
    "respondent_intercept": ConfigKey(_flag, "ordinal: a random intercept per respondent (for several items per "
                                      "respondent); default false", "model"),
    "item_effects": ConfigKey(_flag, "ordinal with several items: an effect per item against the first "
                              "(default true)", "model"),
    "priors": ConfigKey(_priors, "prior scales: effect_sd, cutpoint_sd, group_sd, intercept_sd, sigma_sd "
                        "(see README; the defaults are weakly informative)", "model"),
    "srp": ConfigKey(_flag, "also test the service recovery paradox (needs factors experiment and cell, "
                     "as in data/synthetic/); default false", "model"),
    "srp_design": ConfigKey(_optional_text, "with srp: the design YAML that names each experiment's hypothesis and "
                            "favourable level (default data/design/magnini2007_design.yaml; relative to the config)",
                            "model"),
    "decision": ConfigKey(_decision, "with srp: the decision rule of the verdicts, any of {probability: 0.95, "
                          "rope_logit: 0.18, rope_points: 0.10} (default: the design file's decision section)", "model"),
    "draws": ConfigKey(_whole(1), f"posterior draws per chain (default by PARADOX_MODE: full {_FULL.draws}, "
                       f"fast {_FAST.draws})", "sampling"),
    "tune": ConfigKey(_whole(0), f"tuning steps per chain (default: full {_FULL.tune}, fast {_FAST.tune})", "sampling"),
    "chains": ConfigKey(_whole(1), f"number of chains (default {_FULL.chains})", "sampling"),
    "seed": ConfigKey(_whole(0), f"random seed; the same seed gives the same numbers (default PARADOX_SEED "
                      f"or {_FULL.seed})", "sampling"),
    "target_accept": ConfigKey(_probability, f"NUTS target acceptance (default {_FULL.target_accept}; raise "
                               "towards 0.99 if there are divergences)", "sampling"),
    "ci_prob": ConfigKey(_probability, "probability of the reported equal-tailed intervals (default 0.95)", "sampling"),
}

EXAMPLE_CONFIG = """\
# analysis.yaml: an SRP-style replication, wide layout (one row per respondent)
respondent: respondent_id
items: [sat_1, sat_2, sat_3]
scale: [1, 7]
factors:
  condition: [no_failure, recovery]     # first level = baseline
  severity: [low, high]
covariates: [age]
missing_values: [-99]
model: ordinal                          # or gaussian
link: logit
respondent_intercept: true
priors: {effect_sd: 2.5, cutpoint_sd: 5}
seed: 1
"""


@dataclass(frozen=True)
class AnalysisConfig:
    """One analysis: which columns mean what, the model, and how to sample. See CONFIG_KEYS."""

    respondent: str | None = None
    items: tuple[str, ...] = ()
    item_column: str | None = None
    answer_column: str | None = None
    scale: tuple[int, int] | None = None
    labels: tuple[str, ...] = ()
    missing_values: tuple[str, ...] = ()
    factors: dict[str, tuple[str, ...] | None] = field(default_factory=dict)
    covariates: tuple[str, ...] = ()
    group: str | None = None
    weight: str | None = None
    min_cell_size: int | None = None
    sheet: str | int | None = None
    model: str = "ordinal"
    link: str = "logit"
    respondent_intercept: bool = False
    item_effects: bool = True
    priors: Priors = field(default_factory=Priors)
    srp: bool = False
    srp_design: str | None = None
    decision: dict = field(default_factory=dict)
    draws: int | None = None
    tune: int | None = None
    chains: int | None = None
    seed: int | None = None
    target_accept: float | None = None
    ci_prob: float | None = None
    source: str = field(default="<config>", compare=False)

    @classmethod
    def from_dict(cls, raw: dict, source: str = "<config>", origins: dict[str, str] | None = None) -> "AnalysisConfig":
        """Parse and check a config mapping; `origins` names where a key came from (e.g. a flag)."""
        origins = origins or {}
        if not isinstance(raw, dict):
            raise ConfigError("the config must be a mapping of key: value", source=source, key="")
        values = {}
        for key, value in raw.items():
            where = origins.get(key, source)
            if key not in CONFIG_KEYS:
                close = difflib.get_close_matches(str(key), list(CONFIG_KEYS), n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                raise ConfigError(f"unknown key; {hint}known keys: {', '.join(CONFIG_KEYS)}", source=where, key=str(key))
            try:
                values[key] = CONFIG_KEYS[key].parse(value)
            except (TypeError, ValueError) as exc:
                raise ConfigError(str(exc), source=where, key=key) from None
        config = cls(source=source, **values)
        config._check(origins)
        return config

    def _check(self, origins: dict[str, str]) -> None:
        def fail(key, message):
            raise ConfigError(message, source=origins.get(key, self.source), key=key)

        if bool(self.items) == bool(self.item_column or self.answer_column):
            fail("items", "give either `items` (wide layout: one column per item) or `item_column` and "
                          "`answer_column` (long layout: one row per answer)")
        if (self.item_column or self.answer_column) and not (self.item_column and self.answer_column):
            fail("answer_column" if self.item_column else "item_column", "the long layout needs both "
                 "`item_column` and `answer_column`")
        if self.scale is None and not self.labels:
            fail("scale", "give the scale, e.g. scale: [1, 7], or the labels of its points")
        if self.labels and self.scale and len(self.labels) != self.scale[1] - self.scale[0] + 1:
            fail("labels", f"{len(self.labels)} labels for the {self.scale[1] - self.scale[0] + 1} points of "
                           f"the scale {self.scale[0]}..{self.scale[1]}")
        if self.srp:
            missing = [f for f in SRP_FACTORS if f not in self.factors]
            if missing:
                fail("srp", f"the SRP verdicts need the factors {', '.join(SRP_FACTORS)}; missing: {', '.join(missing)}")
        roles: dict[str, list[str]] = {}
        for key in ("respondent", "items", "item_column", "answer_column", "factors", "covariates", "group", "weight"):
            value = getattr(self, key)
            for column in ([value] if isinstance(value, str) else list(value or ())):
                roles.setdefault(column, []).append(key)
        for column, keys in roles.items():
            if len(keys) > 1:
                fail(keys[-1], f"column {column!r} is already used as {keys[0]}; a column has one role")
        try:
            self.survey_spec()
        except ValueError as exc:
            fail("factors", str(exc))
        try:
            self.regression_spec()
        except ValueError as exc:
            fail("respondent_intercept", str(exc))
        if self.respondent_intercept and self.weight:
            fail("weight", "frequency weights cannot be combined with respondent_intercept: a weighted row "
                           "stands for several respondents, each with their own intercept")
        if self.respondent_intercept and not self.respondent:
            fail("respondent_intercept", "needs the `respondent` column")

    def with_(self, **changes) -> "AnalysisConfig":
        """A copy with some keys changed, checked again."""
        return AnalysisConfig.from_dict({**self.as_dict(), **changes}, source=self.source)

    def as_dict(self) -> dict:
        """The config as plain YAML-ready values (keys left at their default are omitted)."""
        defaults, out = AnalysisConfig(), {}
        for key in CONFIG_KEYS:
            value = getattr(self, key)
            if value == getattr(defaults, key):
                continue
            if isinstance(value, Priors):
                value = {k: v for k, v in dataclasses.asdict(value).items() if v is not None}
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, dict):
                value = {k: (list(v) if v is not None else None) for k, v in value.items()}
            out[key] = value
        return out

    def survey_spec(self) -> SurveySpec:
        scale = self.scale or (1, len(self.labels))
        return SurveySpec(
            respondent=self.respondent, scale=scale, items=self.items, item_column=self.item_column,
            answer_column=self.answer_column, factors=dict(self.factors), covariates=self.covariates,
            group=self.group, weight=self.weight, min_cell_size=self.min_cell_size or 1,
            labels=self.labels, missing_values=self.missing_values,
        )

    def regression_spec(self) -> RegressionSpec:
        return RegressionSpec(family=self.model, link=self.link, respondent_intercept=self.respondent_intercept,
                              item_effects=self.item_effects, priors=self.priors)

    def sampler_settings(self, base: SamplerSettings | None = None) -> SamplerSettings:
        """The run settings: `base` (default: the PARADOX_* environment), overridden by this config."""
        base = base or SamplerSettings.from_env()
        keys = ("draws", "tune", "chains", "seed", "target_accept")
        return base.with_(**{k: getattr(self, k) for k in keys if getattr(self, k) is not None})


def load_config(path: str | Path | None = None, overrides: dict | None = None,
                flag_names: dict[str, str] | None = None) -> AnalysisConfig:
    """Read a YAML config (or start empty), apply `overrides` (e.g. from flags), and check it."""
    raw, source = {}, COMMAND_LINE
    if path is not None:
        path, source = Path(path), str(path)
        try:
            raw = load_yaml(path, "config file") or {}
        except InputError as exc:
            raise ConfigError(exc.message, source=source, key="") from None
        if not isinstance(raw, dict):
            swapped = path.suffix.lower() in SUPPORTED_SUFFIXES and path.suffix.lower() not in {".txt"}
            hint = "; this looks like the data file: give the data first, the config after --config" if swapped else ""
            raise ConfigError(f"the config must be a mapping of key: value{hint}", source=source, key="")
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    origins = {k: f"option {flag_names[k]}" for k in overrides if flag_names and k in flag_names}
    return AnalysisConfig.from_dict({**raw, **overrides}, source=source, origins=origins)


def as_config(config: AnalysisConfig | dict | str | Path) -> AnalysisConfig:
    if isinstance(config, AnalysisConfig):
        return config
    if isinstance(config, dict):
        return AnalysisConfig.from_dict(config)
    return load_config(config)


# ---------------------------------------------------------------------------------------
# Fitting


@dataclass
class FitResult:
    """Everything one analysis produced. `write(out)` saves it; the attributes are for notebooks."""

    config: AnalysisConfig
    settings: SamplerSettings
    survey: Survey
    regression: RegressionModel
    idata: xr.DataTree
    summary: pd.DataFrame
    convergence: pd.DataFrame
    seconds: float
    srp: SRPResult | None = None
    srp_design: Design | None = None

    @property
    def verdicts(self) -> pd.DataFrame | None:
        """The SRP verdict table (one row per hypothesis and method), when the config asked for it."""
        return None if self.srp is None else self.srp.verdicts

    @property
    def converged(self) -> bool:
        """Whether every convergence check passed (of the SRP model too, when there is one)."""
        return bool(self.convergence["passed"].all()) and (self.srp is None or (
            bool(self.srp.convergence["passed"].all()) and bool(self.srp.gaussian_convergence["passed"].all())))

    def figures(self) -> dict:
        from paradox.figures import regression as figures

        return figures.fit_figures(self)

    def write(self, out: str | Path, overwrite: bool = True) -> Path:
        """Write every output into `out` at once; on any failure `out` is left as it was.

        An earlier output of `paradox fit` in `out` is replaced (unless `overwrite` is false);
        a folder holding other files is refused (see paradox.outputs)."""
        with output_dir(out, command="fit", inputs=[self.survey.source], may_write=OUTPUT_FILES,
                        overwrite=overwrite) as tmp:
            write_outputs(self, tmp)
        return Path(out)


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


# ---------------------------------------------------------------------------------------
# Writing


def write_outputs(result: FitResult, directory: Path) -> None:
    """summary.csv/.json, posterior.nc, report.md, run.json, config.yaml, figures/*.png (+ verdicts.csv)."""
    from paradox.figures import save

    directory = Path(directory)
    result.summary.to_csv(directory / "summary.csv", index=False, float_format="%.6g")
    records = json.loads(result.summary.to_json(orient="records", double_precision=6))
    (directory / "summary.json").write_text(json.dumps(records, indent=1) + "\n")
    _posterior_to_save(result).to_netcdf(directory / "posterior.nc", engine="h5netcdf")
    if result.srp is not None:
        result.verdicts.to_csv(directory / "verdicts.csv", index=False, float_format="%.6g")
        result.srp.tests.to_csv(directory / "srp_tests.csv", index=False, float_format="%.6g")
    (directory / "config.yaml").write_text(yaml.safe_dump(result.config.as_dict(), sort_keys=False, allow_unicode=True))
    (directory / "run.json").write_text(json.dumps(run_record(result), indent=1, default=_json_default) + "\n")
    (directory / "report.md").write_text(report(result))
    for name, fig in result.figures().items():
        save(fig, directory / "figures", name)
        plt.close(fig)


def _posterior_to_save(result: FitResult) -> xr.DataTree:
    """The DataTree without the raw non-centred variables (`*_z`), which only repeat the intercepts."""
    tree = result.idata.copy()
    posterior = tree["posterior"].to_dataset()
    raw = [v for v in posterior.data_vars if str(v).endswith("_z")]
    tree["posterior"] = xr.DataTree(posterior.drop_vars(raw))
    return tree


def _json_default(value):
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    return str(value)


def run_record(result: FitResult) -> dict:
    """What was fitted, to what, how, and whether it converged (run.json)."""
    s = result.settings
    data = describe(result.survey)
    source = Path(str(data["file"]))
    if source.is_file():
        # No machine's absolute path in a results file: relative to where the command ran, and a checksum.
        data["file"] = os.path.relpath(source.resolve(), Path.cwd())
        data["sha256"] = hashlib.sha256(source.read_bytes()).hexdigest()
    return {
        "data": data,
        "model": {"family": result.config.model, "link": result.config.link if result.config.model == "ordinal" else None,
                  "parameters": result.regression.parameters, "likelihood_rows": result.regression.n_likelihood_rows,
                  "collapsed": result.regression.collapsed,
                  "priors": dataclasses.asdict(result.config.priors.resolved(result.config.model, result.survey.spec.scale))},
        "sampling": {"draws": s.draws, "tune": s.tune, "chains": s.chains, "seed": s.seed,
                     "nuts_sampler": s.nuts_sampler, "target_accept": s.target_accept, "seconds": round(result.seconds, 1)},
        "ci_prob": result.config.ci_prob or 0.95,
        "converged": result.converged,
        "convergence": _records(result.convergence),
        **({} if result.srp is None else {"srp_convergence": _records(result.srp.convergence)}),
    }


def _records(table: pd.DataFrame) -> list[dict]:
    return json.loads(table.reset_index().to_json(orient="records"))


def report(result: FitResult) -> str:
    """A short human-readable report: data, model, sampling, convergence diagnostics."""
    d, s, r = describe(result.survey), result.settings, result.regression
    per_item = ", ".join(f"{k}: {v}" for k, v in d["missing_by_item"].items() if v) or "none"
    lines = [
        f"# paradox fit: {Path(d['file']).name}",
        "",
        f"- Data: {d['respondents']:g} respondents ({d['rows']} rows{', a Qualtrics export' if d['export'] else ''}), "
        f"{d['answers']:g} answers on the scale {d['scale'][0]}..{d['scale'][1]}.",
        f"- Missing answers (blank, or listed in missing_values): {d['missing_answers']}, dropped (per item: {per_item}).",
        f"- Model: {result.config.model}" + (f" ({result.config.link})" if result.config.model == "ordinal" else "")
        + f"; the likelihood sees {r.n_likelihood_rows} {'distinct predictor patterns' if r.collapsed else 'answers'}.",
        f"- Sampling: {s.chains} chains x {s.draws} draws ({s.tune} tuning), seed {s.seed}, "
        f"NUTS ({s.nuts_sampler}), {result.seconds:.1f} s.",
        "",
        "## Convergence",
        "",
        "| check | value | threshold | passed | worst variable |",
        "| --- | --- | --- | --- | --- |",
    ]
    for check, row in result.convergence.iterrows():
        lines.append(f"| {check} | {row['value']:.4g} | {row['threshold']} | {'yes' if row['passed'] else 'NO'} "
                     f"| {row['worst_variable'] or '-'} |")
    verdict = "all checks passed" if result.converged else "FAILED: do not trust these numbers yet (see README: convergence)"
    lines += ["", f"Convergence: {verdict}.", "", "## Parameters", "", _markdown_table(result.summary), ""]
    if result.srp is not None:
        srp_ok = bool(result.srp.convergence["passed"].all() and result.srp.gaussian_convergence["passed"].all())
        decision = result.srp_design.decision
        lines += ["## Service recovery paradox", "",
                  "The hierarchical SRP models (paradox.models.srp: ordinal, and Gaussian on scale means) and Welch's "
                  f"tests, on the same data; convergence {'passed' if srp_ok else 'FAILED'}. "
                  f"Decision rule (paradox.verdict): probability {decision.probability:g}, region of practical "
                  f"equivalence +/-{decision.rope_logit:g} logits (ordinal) and +/-{decision.rope_points:g} points "
                  "(Gaussian, Welch; Welch's columns hold 1 - p).", "",
                  _markdown_table(result.verdicts), ""]
    return "\n".join(lines)


def _markdown_table(table: pd.DataFrame) -> str:
    def cell(column, v):
        if column.startswith("ess") and isinstance(v, (float, np.floating)):
            return f"{v:.0f}"
        text = f"{v:.3f}" if isinstance(v, (float, np.floating)) else str(v)
        return text.replace("|", "\\|")  # a cutpoint name such as Low|Medium would split the cell

    header = "| " + " | ".join(map(str, table.columns)) + " |"
    rule = "| " + " | ".join("---" for _ in table.columns) + " |"
    rows = ["| " + " | ".join(cell(c, v) for c, v in zip(table.columns, row)) + " |"
            for row in table.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


# ---------------------------------------------------------------------------------------
# The command line


#: Flags that override config keys: flag -> (config key, argparse options).
FLAGS = {
    "--respondent": ("respondent", {"metavar": "COLUMN"}),
    "--items": ("items", {"metavar": "A,B,C"}),
    "--item-column": ("item_column", {"metavar": "COLUMN"}),
    "--answer-column": ("answer_column", {"metavar": "COLUMN"}),
    "--scale": ("scale", {"metavar": "LO,HI"}),
    "--labels": ("labels", {"metavar": "L1,L2,..."}),
    "--missing-values": ("missing_values", {"metavar": "V1,V2"}),
    "--factor": ("factors", {"metavar": "COLUMN[=L1,L2]", "action": "append",
                             "help": "a factor and its levels (baseline first; none: from the data); repeat "
                                     "for more; replaces the config's `factors`"}),
    "--covariates": ("covariates", {"metavar": "A,B"}),
    "--group": ("group", {"metavar": "COLUMN"}),
    "--weight": ("weight", {"metavar": "COLUMN"}),
    "--min-cell-size": ("min_cell_size", {"type": int, "metavar": "N"}),
    "--sheet": ("sheet", {"metavar": "NAME"}),
    "--model": ("model", {"choices": FAMILIES}),
    "--link": ("link", {"choices": LINKS}),
    "--respondent-intercept": ("respondent_intercept", {"action": "store_const", "const": True}),
    "--srp": ("srp", {"action": "store_const", "const": True}),
    "--draws": ("draws", {"type": int, "metavar": "N"}),
    "--tune": ("tune", {"type": int, "metavar": "N"}),
    "--chains": ("chains", {"type": int, "metavar": "N"}),
    "--seed": ("seed", {"type": int, "metavar": "N"}),
    "--target-accept": ("target_accept", {"type": float, "metavar": "P"}),
    "--ci-prob": ("ci_prob", {"type": float, "metavar": "P"}),
}


def _config_help() -> str:
    lines = []
    for section in ("data", "model", "sampling"):
        lines.append(f"  {section}:")
        for key, spec in CONFIG_KEYS.items():
            if spec.section == section:
                wrapped = textwrap.wrap(spec.help, width=58)
                lines.append(f"    {key:<21}{wrapped[0]}")
                lines += [f"    {'':<21}{w}" for w in wrapped[1:]]
    return "\n".join(lines)


HELP_EPILOG = f"""\
config keys (YAML; a flag of the same name overrides its key):
{_config_help()}

example config:
{textwrap.indent(EXAMPLE_CONFIG, '  ')}
example runs:
  paradox fit survey.csv --config analysis.yaml --out results/my_fit
  paradox fit data/reference/housing.csv --config data/examples/housing.yaml --out build/housing
  paradox fit export.csv --respondent ResponseId --items Q2_1,Q2_2 --scale 1,5 \\
      --factor condition=failure,recovery --out build/quick

inputs: .csv .txt .tsv (delimiter detected; a Qualtrics export's extra header rows are
  dropped), .xlsx/.xlsm (--sheet), SPSS .sav/.zsav and Stata .dta (answers as codes;
  factor codes shown with their value labels). Blank cells and missing_values in an item
  are missing answers: dropped and counted in report.md; a respondent with no answer,
  or any blank id, factor, covariate or weight, is an error.

outputs in DIR: summary.csv and summary.json (parameter, mean, sd, ci_lower, ci_upper,
  r_hat, ess_bulk, ess_tail), posterior.nc (NetCDF), report.md (data, convergence),
  run.json, config.yaml (the config as run), figures/effects.png and
  figures/answer_check.png, verdicts.csv (with srp: true).

DIR must be new or empty; an earlier paradox fit output there is replaced only with
  --overwrite (only the files it wrote). --out "", the current folder, the data's folder
  and folders above them are refused. Nothing is written unless the whole run succeeds.

exit status: 0 done; 2 bad input (nothing written to DIR); 3 with --strict when R-hat,
  ESS or divergences fail their thresholds (outputs are written, report.md says FAILED);
  130 interrupted (Ctrl-C; nothing written); 1 unexpected error (a bug; PARADOX_DEBUG=1).
  PARADOX_MODE=fast (fewer draws) or full (default) sets the sampling defaults.
"""


def register(subparsers) -> None:
    """Add `paradox fit` to the command line."""
    parser = subparsers.add_parser(
        "fit",
        help="fit a Bayesian ordinal (or Gaussian) regression to your own survey file",
        description=textwrap.fill(
            "Fit a Bayesian ordinal (or Gaussian) regression to a survey file and write a summary table, "
            "the posterior, figures and a convergence report to DIR. The data are checked before any "
            "sampling. Describe the analysis in a YAML config (keys below), with flags, or both.", width=78),
        epilog=HELP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("data", metavar="DATA", help="the survey file (.csv, .xlsx, .sav, .dta, Qualtrics CSV)")
    parser.add_argument("--config", metavar="ANALYSIS.yaml", help="the analysis config (keys below)")
    parser.add_argument("--out", metavar="DIR", required=True, help="directory for the outputs (created)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an earlier paradox fit output in DIR (only the files it wrote; other files are "
                             "kept). Without it, DIR must be new or empty")
    parser.add_argument("--strict", action="store_true", help="exit with status 3 unless every convergence check passes")
    overrides = parser.add_argument_group("config overrides (each sets the config key of its name; lists comma-separated)")
    for flag, (key, options) in FLAGS.items():
        options = {"help": f"sets `{key}`", **options}
        overrides.add_argument(flag, dest=f"config_{key}", default=None, **options)
    parser.set_defaults(run=run_fit)


def _overrides(args: argparse.Namespace) -> dict:
    values = {key: getattr(args, f"config_{key}", None) for key, _ in FLAGS.values()}
    if values["factors"] is not None:
        factors = {}
        for item in values["factors"]:
            name, _, levels = item.partition("=")
            factors[name.strip()] = [lv.strip() for lv in levels.split(",") if lv.strip()] or None
        values["factors"] = factors
    return values


def run_fit(args: argparse.Namespace) -> int:
    """`paradox fit`: check everything, sample, write DIR; returns the exit status."""
    out = Path(args.out)
    flag_names = {key: flag for flag, (key, _) in FLAGS.items()}
    inputs = [args.data] + ([args.config] if args.config else [])
    # DIR is checked, locked and its temporary folder made before anything else: a bad DIR costs no work.
    with output_dir(args.out, command="fit", inputs=inputs, may_write=OUTPUT_FILES, overwrite=args.overwrite) as tmp:
        config = load_config(args.config, _overrides(args), flag_names)
        result = fit_survey(Path(args.data), config)
        write_outputs(result, tmp)
    print(format_result(result, out))
    if args.strict and not result.converged:
        return EXIT_NOT_CONVERGED
    return 0


def format_result(result: FitResult, out: Path) -> str:
    """What the command prints: the parameter table, the convergence verdict and where the files are."""
    d = describe(result.survey)
    table = result.summary.set_index("parameter")
    shown = table.to_string(float_format=lambda v: f"{v:.4f}", formatters={
        "ess_bulk": "{:.0f}".format, "ess_tail": "{:.0f}".format, "r_hat": "{:.3f}".format})
    failed = result.convergence[~result.convergence["passed"]].index.tolist()
    if result.srp is not None:
        for name, report in (("SRP ordinal model", result.srp.convergence), ("SRP Gaussian model", result.srp.gaussian_convergence)):
            failed += [f"{name} {c}" for c in report[~report["passed"]].index]
    conv = "all checks passed" if not failed else f"FAILED ({', '.join(failed)})"
    s = result.settings
    return "\n".join([
        f"{d['file']}: {d['respondents']:g} respondents, {d['answers']:g} answers, "
        f"{d['missing_answers']} missing answers dropped",
        f"{result.config.model} model, {s.chains} chains x {s.draws} draws, seed {s.seed}, {result.seconds:.1f} s",
        "", shown, "",
        f"convergence (R-hat, ESS, divergences): {conv}",
        *([] if result.srp is None else ["", result.verdicts.to_string()]),
        f"outputs: {out}/",
    ])
