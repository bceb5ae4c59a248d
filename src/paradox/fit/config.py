"""The analysis config of `paradox fit`: each key, how it is read and checked, and what it means."""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from pathlib import Path

from paradox.data import SUPPORTED_SUFFIXES, SurveySpec
from paradox.design import decision_from
from paradox.errors import InputError
from paradox.models.regression import CUTPOINTS, FAMILIES, LINKS, Priors, RegressionSpec
from paradox.models.srp import GaussianPriors, OrdinalPriors
from paradox.settings import SamplerSettings
from paradox.yamlfile import load_yaml

#: Factors the SRP verdicts need (the layout of data/synthetic/magnini2007_synthetic_survey.csv).
SRP_FACTORS = ("experiment", "cell")

#: What `srp_other_predictors` may say: the SRP ordinal model adjusts for them (the default), leaves them out, or
#: the run is refused.
SRP_OTHER_PREDICTORS = ("adjust", "leave_out", "refuse")

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


def _entries(value, what: str = "a list") -> list:
    """A YAML list, or comma-separated text (as a flag gives it)."""
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"expected {what}, got {value!r}")
    return list(value)


def _texts(value) -> tuple[str, ...]:
    if value is None:
        return ()
    values = tuple(_level(v) for v in _entries(value))
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


def _factor_pairs(separator: str, what: str, example: str):
    """A parser of pairs of factors, as "a<separator>b" (a list of them, or comma-separated on the command line)
    or [a, b]; `what` names one pair in messages."""

    def parse(value) -> tuple[tuple[str, str], ...]:
        if value is None:
            return ()
        pairs = []
        for entry in _entries(value, f"a list of factor pairs such as [{example}]"):
            pair = entry.split(separator) if isinstance(entry, str) else entry
            if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not all(str(f).strip() for f in pair):
                raise ValueError(f"{what} is two factors, as a{separator}b or [a, b], not {entry!r}")
            pair = tuple(str(f).strip() for f in pair)
            if pair in pairs or pair[::-1] in pairs:
                raise ValueError(f"{what} {pair[0]}{separator}{pair[1]} is listed twice")
            pairs.append(pair)
        return tuple(pairs)

    return parse


#: The config keys that hold pairs of factors, and how a pair is written ("a:b", "a|b").
PAIR_SEPARATORS = {"interactions": ":", "pooled": "|", "separate": "|"}
_interactions = _factor_pairs(PAIR_SEPARATORS["interactions"], "an interaction", "severity:recovery")
_pooled = _factor_pairs(PAIR_SEPARATORS["pooled"], "a pooled block", "cell|experiment")
_separate = _factor_pairs(PAIR_SEPARATORS["separate"], "a separate block", "cell|experiment")


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


def _optional_flag(value) -> bool | None:
    return None if value is None else _flag(value)


def _choice(options):
    def parse(value):
        if str(value) not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {value!r}")
        return str(value)

    return parse


def _priors(value) -> Priors:
    return _prior_scales(Priors, value)


def _srp_priors(value) -> OrdinalPriors:
    return _prior_scales(OrdinalPriors, value)


def _srp_gaussian_priors(value) -> GaussianPriors:
    return _prior_scales(GaussianPriors, value)


def _prior_scales(kind, value):
    """A prior dataclass (every field a positive scale, or any finite location if named *_mean) from a mapping;
    unknown names and bad values refused."""
    if value is None:
        return kind()
    if not isinstance(value, dict):
        raise ValueError("expected a mapping such as {effect_sd: 2.5}")
    known = [f.name for f in dataclasses.fields(kind)]
    values = {}
    for key, v in value.items():
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            raise ValueError(f"unknown prior {key!r}{f' (did you mean {close[0]!r}?)' if close else ''}; "
                             f"known: {', '.join(known)}")
        lowest = -float("inf") if key.endswith("_mean") else 0  # a location may be any finite number
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not lowest < v < float("inf")):
            kind_of = "finite" if lowest < 0 else "positive, finite"
            raise ValueError(f"prior {key} must be a {kind_of} number, got {v!r}")
        values[key] = None if v is None else float(v)
    defaults = kind()
    return kind(**{k: (getattr(defaults, k) if v is None else v) for k, v in values.items()})


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
    "respondent": ConfigKey(_optional_text, "column with the respondent id (unique in the wide layout, or once per "
                            "level of the within_respondent factors); "
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
    "within_respondent": ConfigKey(_texts, "factors that change between a respondent's rows (a within-subject "
                                   "design: e.g. ratings before and after a recovery, one row per respondent and "
                                   "level); needs `respondent` and a respondent intercept (the default)", "data"),
    "interactions": ConfigKey(_interactions, "pairs of factors whose interaction enters the regression beside their "
                              "main effects (R's a:b), e.g. [severity:recovery]: one effect per pair of non-baseline "
                              "levels. The SRP verdicts' models are not changed by it", "model"),
    "pooled": ConfigKey(_pooled, "pairs of factors a|b whose first factor's effects vary across the second's levels, "
                        "partially pooled (a mean per level and one spread, as the SRP model's recovery effects across "
                        "experiments), e.g. [cell|experiment]; in place of a's main effect. The SRP verdicts' models "
                        "are not changed by it", "model"),
    "separate": ConfigKey(_separate, "pairs of factors a|b whose first factor has its own effects in each of the "
                          "second's levels, not pooled (as the SRP verdicts' recovery effects in each experiment), "
                          "e.g. [cell|experiment]; in place of a's main effect, each effect with the effects' prior "
                          "(a:b beside a instead makes a's effects in b's first level the reference of the others)",
                          "model"),
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
    "respondent_intercept": ConfigKey(_optional_flag, "ordinal: a random intercept per respondent. Default: on when "
                                      "a respondent gave several answers (else their answers would count as "
                                      "independent respondents); false switches it off, with a warning", "model"),
    "integrate_respondents": ConfigKey(_optional_flag, "ordinal with a respondent intercept: integrate each "
                                       "respondent's intercept out of the likelihood, which then sums over the counts "
                                       "of identical answer patterns (the same posterior; its cost stops growing with "
                                       "respondents), instead of sampling one per respondent. Predictors "
                                       "constant within a respondent. Default: on with frequency weights (which need "
                                       "it), off otherwise", "model"),
    "item_effects": ConfigKey(_flag, "ordinal with several items and shared cutpoints: an effect per item against "
                              "the first (default true)", "model"),
    "cutpoints": ConfigKey(_choice(CUTPOINTS), "ordinal with several items: shared (default; one set of cutpoints, "
                           "each item shifted by its item effect) or per_item (each item its own free cutpoints, as "
                           "ordinal::clm(..., nominal = ~ item): for items whose answers spread differently). The "
                           "SRP verdicts' models are not changed by it", "model"),
    "priors": ConfigKey(_priors, "prior scales of the regression: effect_sd, cutpoint_sd, group_sd (a grouping "
                        "column's intercepts), respondent_sd, intercept_sd, sigma_sd, effect_spread (a pooled "
                        "block's spread); an ordinal model's not given are scaled to the respondents' spread the "
                        "items imply, as srp_priors (README, Priors)", "model"),
    "srp_priors": ConfigKey(_srp_priors, "with srp: prior scales of the SRP ordinal model, on the logit scale; "
                            "those not given are scaled to the respondents' spread the items imply (README, SRP "
                            "priors); defaults for a spread of 3.2 logits: "
                            "effect_sd (recovery effects, default 2), effect_spread (their spread across experiments, "
                            "1), cutpoint_sd (4), cutpoint_location_sd (each item's mean threshold, 10), respondent_sd "
                            "(3), baseline_sd (2), group_sd (a grouping column's intercepts, 1); see README", "model"),
    "srp_gaussian_priors": ConfigKey(_srp_gaussian_priors, "with srp: priors of the SRP Gaussian model of "
                                     "scale means, in scale points: effect_sd (recovery effects, default 1), "
                                     "effect_spread (their spread across experiments, 0.5), baseline_mean (default "
                                     "the scale's midpoint), baseline_sd (1.5), sigma_scale (respondents' spread, "
                                     "2.5); see README", "model"),
    "srp": ConfigKey(_flag, "also test the service recovery paradox (needs factor cell, and experiment in the "
                     "separate layout, as in data/synthetic/; see srp_design); default false", "model"),
    "srp_other_predictors": ConfigKey(_choice(SRP_OTHER_PREDICTORS), "with srp: covariates, group and factors "
                                      "other than experiment and cell. adjust (default): the SRP ordinal model "
                                      "adjusts for them (fixed effects; the group a random intercept), its verdict "
                                      "rows name them in `adjusted_for`, the Gaussian and Welch verdicts from cell "
                                      "statistics cannot and say 'none'; leave_out: every SRP verdict uses "
                                      "experiment and cell alone; refuse: exit 2 naming them. The report says "
                                      "which", "model"),
    "srp_pooled": ConfigKey(_flag, "with srp, separate layout: partially pool the experiments' recovery effects "
                            "in the SRP ordinal and Gaussian models (default false: each experiment's verdict from its "
                            "own effects; pooling borrows a paradox from the other experiments, README, Operating "
                            "characteristics)", "model"),
    "srp_design": ConfigKey(_optional_text, "with srp: the design YAML that names each experiment's hypothesis, "
                            "favourable level and layout (separate, shared_control, factorial, within_subject; "
                            "e.g. data/design/examples/shared_control.yaml); the survey's cells must be its cells "
                            "(default data/design/magnini2007_design.yaml; relative to the config)", "model"),
    "decision": ConfigKey(_decision, "with srp: the decision rule of the verdicts, any of {probability: 0.975, "
                          "rope_logit: 0.18, rope_points: 0.10} (default: the design file's decision section)",
                          "model"),
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
    interactions: tuple[tuple[str, str], ...] = ()
    pooled: tuple[tuple[str, str], ...] = ()
    separate: tuple[tuple[str, str], ...] = ()
    within_respondent: tuple[str, ...] = ()
    group: str | None = None
    weight: str | None = None
    min_cell_size: int | None = None
    sheet: str | int | None = None
    model: str = "ordinal"
    link: str = "logit"
    respondent_intercept: bool | None = None  # None: decided from the data (paradox.fit.run.respondent_intercept)
    integrate_respondents: bool | None = None  # None: only where weights need it (paradox.fit.run.integrated_intercepts)
    item_effects: bool = True
    cutpoints: str = "shared"
    priors: Priors = field(default_factory=Priors)
    srp: bool = False
    srp_other_predictors: str = "adjust"
    srp_pooled: bool = False
    srp_priors: OrdinalPriors = field(default_factory=OrdinalPriors)
    # The srp_priors entries the config gives; the others are scaled to the data (paradox.fit.run.resolved_srp_priors).
    srp_priors_given: tuple[str, ...] = ()
    srp_gaussian_priors: GaussianPriors = field(default_factory=GaussianPriors)
    # The srp_gaussian_priors entries the config gives; the others are scaled to the answer scale
    # (paradox.fit.run.resolved_srp_gaussian_priors).
    srp_gaussian_priors_given: tuple[str, ...] = ()
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
        given = {key: tuple(raw[key]) if isinstance(raw.get(key), dict) else () for key in GIVEN_PRIOR_KEYS}
        config = cls(source=source, **{f"{key}_given": names for key, names in given.items()}, **values)
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
        if self.model == "gaussian" and self.cutpoints != "shared":
            fail("cutpoints", "the gaussian model (of each respondent's mean answer) has no cutpoints; "
                              "`cutpoints: per_item` is for the ordinal model")
        if self.srp:
            if "cell" not in self.factors:  # `experiment` too in the separate layout: checked with the design
                fail("srp", "the SRP verdicts need the factors experiment, cell (the separate layout) or cell alone "
                            "(a named-cell layout, see srp_design); missing: cell")
            others = self.srp_other_columns()
            if others and self.srp_other_predictors == "refuse":
                fail("srp_other_predictors", f"`srp_other_predictors: refuse`, and the config has {', '.join(others)} "
                     "besides experiment and cell. Set `adjust` (the SRP ordinal model adjusts for them) or "
                     "`leave_out` (the SRP verdicts use experiment and cell alone; in a randomised experiment the "
                     "contrasts stay unbiased, if less precise), or drop them from the config")
        roles: dict[str, list[str]] = {}
        for key in ("respondent", "items", "item_column", "answer_column", "factors", "covariates", "group", "weight"):
            value = getattr(self, key)
            for column in ([value] if isinstance(value, str) else list(value or ())):
                roles.setdefault(column, []).append(key)
        for column, keys in roles.items():
            if len(keys) > 1:
                fail(keys[-1], f"column {column!r} is already used as {keys[0]}; a column has one role")
        outside = [f for f in self.within_respondent if f not in self.factors]
        if outside:
            fail("within_respondent", f"{', '.join(outside)} is not among the config's factors")
        if self.within_respondent and not self.respondent:
            fail("within_respondent", "needs the `respondent` column: the rows of one respondent are what the factor "
                                      "changes between")
        if self.within_respondent and self.respondent_intercept is False:
            fail("within_respondent", "a factor that changes within respondents needs a respondent intercept, or "
                                      "each respondent's rows would count as independent respondents; drop "
                                      "`respondent_intercept: false`")
        if self.srp and self.within_respondent and self.srp_other_predictors == "adjust":
            others = [f for f in self.within_respondent if f not in SRP_FACTORS]
            if others:
                fail("within_respondent", f"the SRP ordinal model cannot adjust for {', '.join(others)}, which "
                                          "changes within respondents; set `srp_other_predictors: leave_out` (the "
                                          "regression keeps it) or use an SRP design of layout within_subject for "
                                          "`cell`")
        for a, b in self.interactions:
            missing = [f for f in (a, b) if f not in self.factors]
            if missing or a == b:
                fail("interactions", f"{a}:{b}: " + (f"{', '.join(missing)} is not among the config's factors"
                                                     if missing else "a factor cannot interact with itself"))
        for key in ("pooled", "separate"):
            for a, b in getattr(self, key):
                missing = [f for f in (a, b) if f not in self.factors]
                if missing:
                    fail(key, f"{a}|{b}: {', '.join(missing)} is not among the config's factors")
        try:
            self.survey_spec()
        except ValueError as exc:
            fail("factors", str(exc))
        try:
            self.regression_spec()
        except ValueError as exc:
            fail("respondent_intercept", str(exc))
        if self.integrate_respondents and (self.model != "ordinal" or self.respondent_intercept is False):
            fail("integrate_respondents", "integrating the respondents' intercepts out needs the ordinal model with "
                                          "its respondent intercept")
        if self.respondent_intercept and not self.respondent and not self.items:  # wide layout: a row is a respondent
            fail("respondent_intercept", "needs the `respondent` column")

    def srp_other_columns(self) -> list[str]:
        """Predictors of this config besides the SRP design's (covariates, group, other factors)."""
        factors = [f for f in self.factors if f not in SRP_FACTORS]
        return [*factors, *self.covariates, *([self.group] if self.group else [])]

    def with_(self, **changes) -> "AnalysisConfig":
        """A copy with some keys changed, checked again."""
        return AnalysisConfig.from_dict({**self.as_dict(), **changes}, source=self.source)

    def as_dict(self) -> dict:
        """The config as plain YAML-ready values (keys left at their default are omitted)."""
        defaults, out = AnalysisConfig(), {}
        for key in CONFIG_KEYS:
            value = getattr(self, key)
            given = getattr(self, f"{key}_given", ())
            if given:  # given entries stay given, even at their default
                out[key] = {k: getattr(value, k) for k in given}
                continue
            if value == getattr(defaults, key):
                continue
            if key in PAIR_SEPARATORS:
                value = [f"{a}{PAIR_SEPARATORS[key]}{b}" for a, b in value]
            elif isinstance(value, (Priors, OrdinalPriors, GaussianPriors)):
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
            labels=self.labels, missing_values=self.missing_values, within_respondent=self.within_respondent,
        )

    def regression_spec(self, respondent_intercept: bool | None = None, priors: Priors | None = None,
                        integrate_respondents: bool = False) -> RegressionSpec:
        """The regression; `respondent_intercept` as decided from the data (default: the config's, None as false),
        `priors` as resolved for the data (default: the config's), the intercepts integrated out or sampled."""
        if respondent_intercept is None:
            respondent_intercept = bool(self.respondent_intercept)
        return RegressionSpec(family=self.model, link=self.link, respondent_intercept=respondent_intercept,
                              item_effects=self.item_effects, cutpoints=self.cutpoints, priors=priors or self.priors,
                              interactions=self.interactions, integrate_respondents=integrate_respondents,
                              pooled=self.pooled, separate=self.separate)

    def sampler_settings(self, base: SamplerSettings | None = None) -> SamplerSettings:
        """The run settings: `base` (default: the PARADOX_* environment), overridden by this config."""
        base = base or SamplerSettings.from_env()
        keys = ("draws", "tune", "chains", "seed", "target_accept")
        return base.with_(**{k: getattr(self, k) for k in keys if getattr(self, k) is not None})


#: Config keys holding prior scales: a flag sets some of their entries (`--prior`), keeping the rest.
PRIOR_KEYS = ("priors", "srp_priors", "srp_gaussian_priors")
#: The prior keys whose defaults are scaled to the data, except where the config gives an entry (the config
#: records which entries it gives, as `<key>_given`).
GIVEN_PRIOR_KEYS = ("srp_priors", "srp_gaussian_priors")


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
    merged = {**raw, **overrides}
    for key in PRIOR_KEYS:  # a prior flag changes the entries it names, the config's others stay
        if isinstance(overrides.get(key), dict) and isinstance(raw.get(key), dict):
            merged[key] = {**raw[key], **overrides[key]}
    return AnalysisConfig.from_dict(merged, source=source, origins=origins)


def as_config(config: AnalysisConfig | dict | str | Path) -> AnalysisConfig:
    if isinstance(config, AnalysisConfig):
        return config
    if isinstance(config, dict):
        return AnalysisConfig.from_dict(config)
    return load_config(config)
