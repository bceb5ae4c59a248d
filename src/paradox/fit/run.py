"""Running `paradox fit`: read and check the config, the data and the model, then sample.

Order of work: read the config, read and validate the data, build the model (each may
raise an InputError, so bad input never reaches the sampler), sample, summarise. Writing
is paradox.fit.writer's job, and happens only after all of this succeeded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import xarray as xr

from paradox import interrupt
from paradox.data import Survey, check_levels_have_respondents, load_survey, validate
from paradox.design import Design
from paradox.fit.config import AnalysisConfig, ConfigError, as_config
from paradox.fit.priors import prior_check, regression_priors, srp_gaussian_priors, srp_priors
from paradox.fit.result import FitResult
from paradox.fit.srp import load_srp_design, srp_design, srp_survey_spec
from paradox.hypotheses import analyse_srp
from paradox.models.ordinal import DEFAULT_RESPONDENT_SPREAD, scaled_ratio
from paradox.models.regression import Priors, RegressionModel, build_regression, integration_refused
from paradox.models.sampling import convergence_report, sample, sample_posterior_predictive, tidy_summary
from paradox.models.srp import (GAUSSIAN_REFERENCE_POINTS, POOLING_SPREAD, GaussianPriors, OrdinalPriors,
                                gaussian_scale_ratio, is_pooled)
from paradox.models.srp import adjustment_priors as srp_adjustment_priors
from paradox.reliability import implied_respondent_sd
from paradox.settings import SamplerSettings

#: At most this many posterior-predictive draws are kept (enough for the checks; keeps the NetCDF small).
MAX_PREDICTIVE_DRAWS = 400


def read_survey(data: str | Path | pd.DataFrame | Survey, config: AnalysisConfig,
                design: Design | None = None) -> Survey:
    """The survey the config describes, checked (see paradox.data.validate); with an SRP `design`, laid out
    as it says (within subject: a respondent once per cell)."""
    spec = srp_survey_spec(config, design)
    if isinstance(data, Survey):
        survey = data
    elif isinstance(data, pd.DataFrame):
        survey = validate(data, spec)
    else:
        survey = load_survey(data, spec, sheet=config.sheet)
    check_levels_have_respondents(survey)
    return survey


@dataclass
class Prepared:
    """Everything checked before sampling: the config, the survey, the model (and the SRP design)."""

    config: AnalysisConfig
    survey: Survey
    regression: RegressionModel
    design: Design | None = None
    srp_priors: OrdinalPriors | None = None              # the SRP ordinal priors, resolved (resolved_srp_priors)
    srp_gaussian_priors: GaussianPriors | None = None    # the SRP Gaussian priors (resolved_srp_gaussian_priors)
    notes: list[str] = field(default_factory=list)       # model choices the report states
    cautions: list[str] = field(default_factory=list)    # warnings: printed, and in the report


def prepare(data, config) -> Prepared:
    """Read and check the config, the data and the model. Raises InputError; never samples."""
    config = as_config(config)
    design = load_srp_design(config)  # before the data: a within-subject design changes how they are read
    survey = read_survey(data, config, design)
    intercept, notes, cautions = respondent_intercept(config, survey)
    integrate, note = integrated_intercepts(config, survey, intercept)
    notes += note
    implied = implied_spread(survey)
    regression_scales, note = resolved_regression_priors(config, survey, implied)
    notes.append(note)
    try:
        regression = build_regression(survey, config.regression_spec(intercept, regression_scales, integrate))
    except ValueError as exc:
        raise ConfigError(str(exc), source=config.source, key="") from None
    if design is not None:
        design = srp_design(config, survey, design)
        notes.append(f"SRP design: {design.path.name}, {design.layout} layout ({len(design.experiments)} "
                     f"hypotheses: {', '.join(e.hypothesis for e in design.experiments)}).")
        if config.srp_pooled and design.named_cells:
            raise ConfigError(f"`srp_pooled: true` pools the experiments of the separate layout; the {design.layout} "
                              "layout's cell model has no experiments to pool", source=config.source, key="srp_pooled")
        if not design.named_cells:
            notes.append("SRP verdicts: " + ("the experiments' recovery effects partially pooled (srp_pooled: true)."
                                             if config.srp_pooled else "each experiment's recovery effects its own, "
                                             "thresholds and respondent spread shared (srp_pooled: false)."))
        if config.srp_pooled:
            cautions.append("srp_pooled: true: each experiment's verdict borrows from the other experiments' effects. "
                            "Where one experiment has no paradox and the others have it, the pooled model called the "
                            "claim there in more than the 5% of simulated surveys the rule allows, the default "
                            "unpooled one did not (README, Operating characteristics; "
                            "results/calibration/operating_characteristics.csv).")
    priors = gaussian_priors = None
    if design is not None:
        priors, note = resolved_srp_priors(config, implied)
        notes.append(note)
        gaussian_priors, note = resolved_srp_gaussian_priors(config, survey.spec.scale)
        notes.append(note)
        cautions += points_rope_caution(config, survey, design)
    if design is not None and config.interactions:
        notes.append(f"Interactions ({', '.join(f'{a}:{b}' for a, b in config.interactions)}) enter the regression "
                     "only; the SRP verdicts' models compare their cells as the design names them.")
    others = config.srp_other_columns() if design is not None else []
    if others and config.srp_other_predictors == "leave_out":
        notes.append(f"SRP verdicts: {', '.join(others)} left out (srp_other_predictors: leave_out); "
                     "the SRP models use experiment and cell alone, the regression above uses every predictor.")
    elif others:
        try:  # refused now, not after the regression has sampled
            srp_adjustment_priors(survey, priors)
        except ValueError as exc:
            raise ConfigError(str(exc), source=config.source, key="srp_other_predictors") from None
        notes.append(f"SRP verdicts: the ordinal model adjusts for {', '.join(others)} (srp_other_predictors: adjust; "
                     "its verdict rows name them in `adjusted_for`); the Gaussian and Welch verdicts come from cell "
                     "statistics, which cannot carry them (`adjusted_for` none).")
    return Prepared(config, survey, regression, design, priors, gaussian_priors, notes, cautions)


def implied_spread(survey: Survey) -> tuple[float, float] | None:
    """The respondent spread (logits) the items' agreement within the cells implies, and the mean correlation it
    comes from (paradox.reliability.implied_respondent_sd); None with one item."""
    # One row per respondent and cell (within subject, a respondent answers in several cells).
    factors = [f for f in survey.spec.factors if f in survey.answers]
    keys = ["respondent", *factors]
    wide = survey.answers.pivot_table(index=keys, columns="item", values="answer", aggfunc="mean", observed=True)
    cells = (pd.Series([" / ".join(map(str, key[1:])) for key in wide.index], index=wide.index) if factors else None)
    weight = survey.spec.weight
    weights = survey.answers.groupby(keys, observed=True)[weight].first().reindex(wide.index) if weight else None
    return implied_respondent_sd(wide, cells, weights)


def _scaling_note(model: str, implied: tuple[float, float] | None, where: str) -> str:
    """The report's note on how `model`'s priors on the latent scale were set (README, *Priors*)."""
    if implied is None:
        return (f"{model} priors: the defaults (set for respondents spread by {DEFAULT_RESPONDENT_SPREAD} logits): one "
                f"item implies no spread to scale them to{where}.")
    spread, r = implied
    return (f"{model} priors scaled to the data: the items' mean correlation within cells, {r:.2f}, implies "
            f"respondents spread by about {spread:.2g} logits (a low estimate; the defaults are set for "
            f"{DEFAULT_RESPONDENT_SPREAD}), so each prior scale is the default times {scaled_ratio(spread):.2f}{where} "
            f"(README, *{'SRP priors' if model == 'SRP' else 'Priors'}*).")


def resolved_regression_priors(config: AnalysisConfig, survey: Survey,
                               implied: tuple[float, float] | None) -> tuple[Priors, str]:
    """The regression's priors for this survey, every scale set, and the report's note on them: the scales the
    config gives (`priors`), an ordinal model's others the defaults scaled to `implied` (implied_spread; Priors.
    resolved); a Gaussian model's defaults follow the answer scale."""
    scale = survey.spec.scale
    given = config.priors.given()
    where = f"; the scales `priors` gives ({', '.join(given)}) are kept" if given else ""
    if config.model != "ordinal":
        return config.priors.resolved(config.model, scale), (
            f"Regression priors: in scale points, set by the answer scale {scale[0]}..{scale[1]}{where}.")
    spread = None if implied is None else implied[0]
    return config.priors.resolved("ordinal", scale, spread), _scaling_note("Regression", implied, where)


def resolved_srp_priors(config: AnalysisConfig, implied: tuple[float, float] | None) -> tuple[OrdinalPriors, str]:
    """The SRP ordinal model's priors for this survey, and the report's note on them: the entries the config gives
    (`srp_priors`), the others OrdinalPriors' defaults scaled to `implied` (implied_spread; OrdinalPriors.scaled_to).
    One item implies no spread: the defaults as they are."""
    given = {name: getattr(config.srp_priors, name) for name in config.srp_priors_given}
    where = "; the entries `srp_priors` gives are kept" if given else ""
    defaults = OrdinalPriors() if implied is None else OrdinalPriors().scaled_to(implied[0])
    return dataclasses.replace(defaults, **given), _scaling_note("SRP", implied, where)


def resolved_srp_gaussian_priors(config: AnalysisConfig, scale: tuple[float, float]) -> tuple[GaussianPriors, str]:
    """The SRP Gaussian model's priors for the survey's answer scale (lowest, highest code), and the report's note on
    them: the entries the config gives (`srp_gaussian_priors`), the others GaussianPriors' defaults scaled to the
    scale's width (GaussianPriors.for_scale), the baselines centred on its midpoint."""
    given = {name: getattr(config.srp_gaussian_priors, name) for name in config.srp_gaussian_priors_given}
    where = "; the entries `srp_gaussian_priors` gives are kept" if given else ""
    lowest, highest = scale
    points = int(highest - lowest + 1)
    ratio = gaussian_scale_ratio(points)
    defaults = dataclasses.replace(GaussianPriors().for_scale(points), baseline_mean=(lowest + highest) / 2)
    return dataclasses.replace(defaults, **given), (
        f"SRP Gaussian priors: in scale points, the defaults (set for a 1..{GAUSSIAN_REFERENCE_POINTS} scale) times "
        f"{ratio:.3g} for this {lowest:g}..{highest:g} scale, the baselines centred on {(lowest + highest) / 2:g}"
        f"{where} (README, *SRP priors*).")


def points_rope_caution(config: AnalysisConfig, survey: Survey, design: Design) -> list[str]:
    """A warning when the design's region of practical equivalence in scale points, derived for its own answer
    scale (paradox.rope), judges a survey on a scale of another length and the config does not set it."""
    if survey.spec.n_categories == design.scale_points or "rope_points" in config.decision:
        return []
    return [f"the SRP design ({design.path.name}) sets the Gaussian and Welch verdicts' region of practical "
            f"equivalence in scale points ({design.decision.rope_points:g}) for a {design.scale_points}-point scale; "
            f"this survey's has {survey.spec.n_categories} points: set `decision: {{rope_points: ...}}` for it "
            "(README, *How the paradox is judged*)."]


def respondent_intercept(config: AnalysisConfig, survey: Survey) -> tuple[bool, list[str], list[str]]:
    """Whether the ordinal regression gets a respondent intercept, with the report's note and warning on it.

    Several answers per respondent without one would count as that many independent respondents: intervals
    too narrow (about 1.2x at Cronbach's alpha 0.5, 1.6x at 0.9; issue 12). So it is on by default whenever
    a respondent gave more than one answer; `respondent_intercept: false` switches it off, with a warning."""
    per_respondent = int(survey.answers.groupby("respondent", observed=True).size().max())
    if config.model != "ordinal":
        return False, [], []  # the Gaussian model has one row per respondent: the mean of their answers
    if per_respondent < 2:
        if config.respondent_intercept:
            return True, ["Respondent intercept: on (set in the config), although each respondent gave one answer."], []
        return False, [], []
    if config.respondent_intercept is False:
        caution = (f"respondent_intercept: false, although respondents gave up to {per_respondent} answers: each "
                   "answer is treated as an independent respondent, so the intervals are too narrow when a "
                   "respondent's answers go together (as they do on a multi-item scale)")
        return False, [f"Respondent intercept: off (set in the config). **WARNING**: {caution}."], [caution]
    how = ("set in the config" if config.respondent_intercept
           else "the default, because respondents gave several answers")
    note = (f"Respondent intercept: on ({how}; up to {per_respondent} answers per respondent), so a respondent's "
            "answers are not counted as independent.")
    return True, [note], []


def integrated_intercepts(config: AnalysisConfig, survey: Survey, intercept: bool) -> tuple[bool, list[str]]:
    """Whether the respondents' intercepts are integrated out of the likelihood (`integrate_respondents`), with the
    report's note. Frequency weights need it: a weighted row stands for several respondents, each with their own
    intercept; integrated out, a weight counts its respondent's answer pattern that often, sampled it cannot.
    Otherwise only where the config asks: the same posterior, at a cost that stops growing with respondents."""
    if not intercept:
        if config.integrate_respondents:
            raise ConfigError("there is no respondent intercept to integrate out (each respondent gave one answer)",
                              source=config.source, key="integrate_respondents")
        return False, []
    weighted = bool(survey.spec.weight)
    if weighted and config.integrate_respondents is False:
        raise ConfigError("frequency weights with a respondent intercept need the intercepts integrated out (a "
                          "weighted row stands for several respondents, each with their own intercept)",
                          source=config.source, key="integrate_respondents")
    if not (weighted or config.integrate_respondents):
        return False, []
    refused = integration_refused(survey, config.regression_spec(True))
    if refused and config.integrate_respondents and not weighted:
        raise ConfigError(f"the respondents' intercepts cannot be integrated out of this survey's likelihood: {refused}",
                          source=config.source, key="integrate_respondents")
    if refused:
        per_respondent = int(survey.answers.groupby("respondent", observed=True).size().max())
        raise ConfigError(f"respondents gave up to {per_respondent} answers, which needs a respondent intercept; "
                          "with frequency weights it must be integrated out of the likelihood, which this survey "
                          f"does not allow ({refused}). Give one row per respondent without `weight`, or set "
                          "`respondent_intercept: false` to treat every answer as independent (intervals then "
                          "too narrow)", source=config.source, key="respondent_intercept")
    if weighted:
        return True, ["With frequency weights the respondents' intercepts are integrated out of the likelihood, where "
                      "a respondent of weight w counts as w respondents who answered alike; the answer check draws "
                      "from the survey written out so."]
    return True, ["The respondents' intercepts are integrated out of the likelihood (integrate_respondents: true), "
                  "which sums over the counts of identical answer patterns: the same posterior as sampling one "
                  "intercept per respondent; the answer check draws new respondents' intercepts afresh."]


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
    idata = sample(regression.model, settings)
    interrupt.check()  # nutpie returns the draws so far on Ctrl-C: never take them for a result
    _add_posterior_predictive(regression, idata, settings)
    srp_result = None
    if prepared.design is not None:
        srp_result = analyse_srp(prepared.survey, settings, prepared.design, priors=prepared.srp_priors,
                                 gaussian_priors=prepared.srp_gaussian_priors, check=False, pooled=config.srp_pooled,
                                 adjust=config.srp_other_predictors == "adjust")
        interrupt.check()
    fits = [("regression", idata, regression_priors(regression))]
    if srp_result is not None:
        adjusted = (srp_adjustment_priors(prepared.survey, prepared.srp_priors)
                    if config.srp_other_predictors == "adjust" else {})
        fits.append(("SRP ordinal", srp_result.idata, srp_priors(prepared.srp_priors, is_pooled(srp_result.model),
                                                                 adjusted)))
        if srp_result.gaussian_idata is not None:  # none within subject
            fits.append(("SRP Gaussian", srp_result.gaussian_idata,
                         srp_gaussian_priors(prepared.srp_gaussian_priors,
                                             POOLING_SPREAD in srp_result.gaussian_idata["posterior"],
                                             prepared.design.scale_points)))
    checked, prior_cautions = prior_check(fits)
    return FitResult(
        config=config, settings=settings, survey=prepared.survey, regression=regression, idata=idata,
        summary=tidy_summary(idata, regression.parameters, config.ci_prob or 0.95),
        convergence=convergence_report(idata), srp=srp_result, srp_design=prepared.design,
        srp_priors=prepared.srp_priors, srp_gaussian_priors=prepared.srp_gaussian_priors,
        notes=prepared.notes, cautions=prepared.cautions + prior_cautions,
        prior_check=checked,
    )


def _add_posterior_predictive(regression: RegressionModel, idata: xr.DataTree, settings: SamplerSettings) -> None:
    """Posterior predictive draws of the answers (the model's one observed variable), from at most
    MAX_PREDICTIVE_DRAWS posterior draws."""
    with _quiet("pymc"), warnings.catch_warnings():
        # The Gaussian model's Potential involves sigma alone, which the draws already carry.
        warnings.filterwarnings("ignore", message="The effect of Potentials", category=UserWarning)
        # Integrated intercepts: the same model with them sampled draws the answers (new respondents' intercepts).
        model = regression.predictive_model if regression.spec.integrate_respondents else regression.model
        if model is None:  # a weighted survey too large to write out (regression.written_out): no answer check
            return
        predictive = sample_posterior_predictive(model, idata, settings, max_draws=MAX_PREDICTIVE_DRAWS)
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
