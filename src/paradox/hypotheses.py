"""The tests of the paradox: recovery effects, their probabilities, and the verdicts on H1-H4.

For each moderator (one experiment each) the model gives, at each moderator level,
    delta = satisfaction(failure + recovery) - satisfaction(no failure).
The paradox holds at a level when delta lies above a region of practical equivalence; the claim of
H1-H4 is a paradox at the favourable level that is larger than at the unfavourable one. The
verdicts come from the joint posterior draws of both deltas (paradox.verdict, which says how).
Effects are reported on the model's own scale (logits for the ordinal model, scale points for
the Gaussian one) and, for the ordinal model, as a difference in the probability of a top-two-box
answer (6 or 7 on a 7-point scale), averaged over respondents and items: an effect size.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr
from scipy.special import expit

from paradox import verdict as decision
from paradox.data import Survey
from paradox.design import RECOVERY_LEVELS, Design
from paradox.models import srp
from paradox.models.sampling import assert_converged, convergence_report, sample
from paradox.settings import SamplerSettings
from paradox.verdict import DECISION_PROBABILITY, VERDICTS_POOLED, DecisionRule

#: Width of the reported intervals (equal-tailed).
INTERVAL = 0.95
#: Gauss-Hermite nodes for averaging over respondents' latent satisfaction.
_NODES, _WEIGHTS = np.polynomial.hermite.hermgauss(32)

SCALE_LATENT = "latent (logit)"
SCALE_TOP_TWO = "top-two-box (probability)"
SCALE_POINTS = "scale mean (points)"


def top_two_box(idata: xr.DataTree) -> xr.DataArray:
    """P(answer in the top two categories) per experiment and cell, averaged over respondents and items.

    With latent satisfaction eta + sd * u, u ~ N(0, 1), and logistic noise,
    P(top two) = E_u[expit(eta + sd * u - c)] where c is each item's second-highest cutpoint;
    the expectation over u is a Gauss-Hermite sum, so it is exact to many digits and not random.
    """
    post = idata["posterior"]
    effects = post["recovery_effect"]
    zero = xr.zeros_like(effects.isel(recovery_level=0, drop=True)).expand_dims(cell=[srp.CELLS[0]])
    shift = xr.concat([zero, effects.rename(recovery_level="cell").assign_coords(cell=list(srp.CELLS[1:]))], dim="cell")
    eta = shift + (post["experiment_baseline"] if "experiment_baseline" in post else 0.0)
    cutpoints = post["cutpoints"]  # (item, cut), or the engine's (item, cutpoint): srp.cell_model
    threshold = cutpoints.isel({cutpoints.dims[-1]: -2}, drop=True)  # between K-2 and K-1
    u = xr.DataArray(np.sqrt(2.0) * _NODES, dims="node")
    w = xr.DataArray(_WEIGHTS / np.sqrt(np.pi), dims="node")
    prob = (w * expit(eta + post["respondent_sd"] * u - threshold)).sum("node")
    return prob.mean("item").transpose("chain", "draw", "experiment", "cell")


def top_two_box_effects(idata: xr.DataTree) -> xr.DataArray:
    """Recovery effects as differences in top-two-box probability: (chain, draw, experiment, recovery_level)."""
    t2b = top_two_box(idata)
    recovered = t2b.sel(cell=list(srp.CELLS[1:])) - t2b.sel(cell=srp.CELLS[0])
    return recovered.rename(cell="recovery_level").assign_coords(recovery_level=list(srp.LEVELS))


def effect_summary(effects: xr.DataArray, scale: str, probabilities: bool = True) -> pd.DataFrame:
    """Tidy table: one row per experiment and quantity (favourable, unfavourable, difference)
    with posterior mean, a 95% equal-tailed interval and, with `probabilities`, P(quantity > 0); the Monte Carlo
    SE of the mean and of both interval ends (mean_mcse, lower_mcse, upper_mcse).

    The verdicts are not read from this table: they need the joint draws (`method_verdicts`)."""
    quantities = {
        "favourable": effects.sel(recovery_level="favourable"),
        "unfavourable": effects.sel(recovery_level="unfavourable"),
        "difference": effects.sel(recovery_level="favourable") - effects.sel(recovery_level="unfavourable"),
    }
    lo, hi = (1 - INTERVAL) / 2, 1 - (1 - INTERVAL) / 2
    rows = []
    for experiment in effects["experiment"].values:
        for quantity, da in quantities.items():
            draws = da.sel(experiment=experiment)
            x = draws.values.ravel()
            rows.append({
                "experiment": str(experiment), "scale": scale, "quantity": quantity,
                "mean": x.mean(), "lower": np.quantile(x, lo), "upper": np.quantile(x, hi),
                "p_positive": (x > 0).mean() if probabilities else np.nan,
                # Monte Carlo SEs (chains' effective size): a re-run's summaries are compared within them.
                "mean_mcse": float(az.mcse(draws, method="mean")),
                "lower_mcse": float(az.mcse(draws, method="quantile", prob=lo)),
                "upper_mcse": float(az.mcse(draws, method="quantile", prob=hi)),
            })
    return pd.DataFrame(rows)


def paradox_tests(idata: xr.DataTree) -> pd.DataFrame:
    """Every contrast of a fitted SRP model on its own scale; for the ordinal model also in top-two-box
    probability, as an effect size only (how much more likely a top answer is): it is a monotone transform of
    the latent effects, so its probabilities would repeat theirs, and it carries none."""
    post = idata["posterior"]
    if "cutpoints" in post:
        return pd.concat(
            [effect_summary(post["recovery_effect"], SCALE_LATENT),
             effect_summary(top_two_box_effects(idata), SCALE_TOP_TWO, probabilities=False)],
            ignore_index=True,
        )
    return effect_summary(post["recovery_effect"], SCALE_POINTS)


def direction(p_positive: float, positive: str, negative: str, undecided: str) -> str:
    """Name the sign the posterior supports at the decision probability (used by the meta-analysis)."""
    if p_positive >= DECISION_PROBABILITY:
        return positive
    if p_positive <= 1 - DECISION_PROBABILITY:
        return negative
    return undecided


#: The methods of the SRP test, and the scale of each one's region of practical equivalence.
METHOD_SCALES = {"ordinal": "logit", "gaussian": "points", "welch": "points"}


def _verdict_row(exp, method: str, judgement: dict) -> dict:
    return {"hypothesis": exp.hypothesis, "method": method, "moderator": exp.moderator,
            "favourable level": exp.favourable, "verdict": judgement["verdict"],
            **{column: judgement[column] for column in decision.PROBABILITY_COLUMNS}}


def method_verdicts(effects: xr.DataArray, design: Design, method: str, rule: DecisionRule | None = None) -> pd.DataFrame:
    """One row per hypothesis: the verdict of paradox.verdict and every probability behind it, from the joint
    posterior draws of the recovery effects (chain, draw, experiment, recovery_level) of one method, each
    probability with its Monte Carlo standard error (column `<name>_mcse`, from the chains' effective size)."""
    rule = rule or design.rule(METHOD_SCALES[method])
    rows = []
    for exp in design.experiments:
        if exp.moderator not in effects["experiment"].values:
            continue
        draws = effects.sel(experiment=exp.moderator).transpose("chain", "draw", "recovery_level")
        fav, unfav = draws.sel(recovery_level="favourable"), draws.sel(recovery_level="unfavourable")
        judgement = decision.judge(fav.values, unfav.values, rule)
        row = _verdict_row(exp, method, judgement)
        for name, event in decision.claim_indicators(fav.values, unfav.values, rule.rope).items():
            row[f"{name}_mcse"] = _probability_mcse(event)
        rows.append(row)
    return pd.DataFrame(rows)


def effect_recovery(effects: xr.DataArray, design: Design, ci_prob: float = 0.95) -> pd.DataFrame:
    """Each recovery effect a synthetic survey was generated with (the design file's `simulation.effects`,
    logits) beside its posterior mean and equal-tailed interval (`ci_prob`): did the fit recover what went in?
    One row per experiment and level; `inside` says whether the interval holds the true value (one survey
    misses now and then by chance; coverage over many is what `make calibrate` measures)."""
    lower_q, upper_q = (1 - ci_prob) / 2, 1 - (1 - ci_prob) / 2
    rows = []
    for moderator in effects["experiment"].values:
        for level, cell in zip(srp.LEVELS, RECOVERY_LEVELS):
            draws = effects.sel(experiment=moderator, recovery_level=level).values.ravel()
            true = design.simulation.effects[str(moderator)][cell]
            lower, upper = np.quantile(draws, [lower_q, upper_q])
            rows.append({"experiment": str(moderator), "level": level, "true": true, "mean": float(draws.mean()),
                         "lower": float(lower), "upper": float(upper), "inside": bool(lower <= true <= upper)})
    return pd.DataFrame(rows)


def _probability_mcse(event: np.ndarray) -> float:
    """Monte Carlo SE of the mean of an indicator over (chain, draw); 0 when every draw agrees."""
    if event.all() or not event.any():
        return 0.0
    return float(az.mcse(xr.DataArray(event.astype(float), dims=("chain", "draw")), method="mean"))


#: Which Welch contrast is which argument of paradox.verdict.welch_judgement.
_WELCH_CONTRASTS = {
    "favourable": "recovery_favourable - no_failure",
    "unfavourable": "recovery_unfavourable - no_failure",
    "moderation": "favourable - unfavourable",
}


def welch_verdicts(welch: pd.DataFrame, design: Design, rule: DecisionRule | None = None) -> pd.DataFrame:
    """The same verdicts from Welch's tests (srp.welch_tests): one-sided tests against the region's bound and
    equivalence tests for "no paradox" (paradox.verdict.welch_judgement); columns hold 1 - p."""
    rule = rule or design.rule(METHOD_SCALES["welch"])
    rows = []
    for exp in design.experiments:
        sub = welch[welch["experiment"] == exp.moderator].set_index("contrast")
        if sub.empty:
            continue
        args = {k: (sub.at[c, "difference"], sub.at[c, "se"], sub.at[c, "df"]) for k, c in _WELCH_CONTRASTS.items()}
        rows.append(_verdict_row(exp, "welch", decision.welch_judgement(**args, rule=rule)))
    return pd.DataFrame(rows)


def verdict_table(*tables: pd.DataFrame) -> pd.DataFrame:
    """The verdict tables of several methods as one: one row per hypothesis and method (results/verdicts.csv)."""
    table = pd.concat(tables, ignore_index=True)
    order = {m: i for i, m in enumerate(METHOD_SCALES)}
    return table.sort_values(["hypothesis", "method"], key=lambda c: c.map(order) if c.name == "method" else c,
                             ignore_index=True)


def compare_verdicts(table: pd.DataFrame) -> pd.DataFrame:
    """Side by side: the verdict of each method, one row per hypothesis (for reading, not for writing)."""
    wide = table.pivot(index="hypothesis", columns="method", values="verdict")
    first = table.drop_duplicates("hypothesis").set_index("hypothesis")[["moderator", "favourable level"]]
    return first.join(wide[[m for m in METHOD_SCALES if m in wide.columns]])


def write_table(table: pd.DataFrame, directory, name: str) -> Path:
    """Write a results table as CSV (6 significant digits, so re-runs diff cleanly)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.csv"
    # A plain row number is not data; a named index (e.g. hypothesis) is.
    table.to_csv(path, float_format="%.6g", lineterminator="\n", index=not isinstance(table.index, pd.RangeIndex))
    return path


@dataclass
class SRPResult:
    """A fitted SRP analysis: the ordinal model, its posterior, the contrasts, the verdicts of every method
    (ordinal, Gaussian, Welch; one row per hypothesis and method) and the convergence of each fitted model."""

    model: object
    idata: xr.DataTree
    tests: pd.DataFrame
    verdicts: pd.DataFrame
    convergence: pd.DataFrame
    gaussian_idata: xr.DataTree | None = None
    gaussian_convergence: pd.DataFrame | None = None


#: NUTS target acceptance of the pooled models: four experiments say little about tau, so neither the centred
#: nor the non-centred form is free of curvature, and at 0.95 both diverged now and then: the Gaussian model once
#: in 4,000 transitions; the ordinal one once in 8,000 (seed 1, 4 x 2,000 draws; none at 0.99, which took 151 s
#: instead of 85 s, 2026-11-26).
POOLED_TARGET_ACCEPT = 0.99
#: Deepest trajectory of the pooled models: 63 leapfrog steps. At target_accept 0.99 nutpie's first
#: tuning steps ran about 400 leapfrog steps each (a step size and mass matrix not yet adapted, and no early cap
#: in nutpie), and tuning cost as much as the 2,000 draws after it (notebook 06's ordinal fit, seed 1: 54,278
#: steps in 500 tuning iterations, 39,638 of them in the first 100; 31 per draw after). Capped at 6, tuning
#: took 17,409 steps, the draws the same 31 per draw, with no divergence (2026-11-27; README, Runtime). A
#: depth of 6 leaves twice the steps nutpie's draws take. PyMC's NUTS (PARADOX_SAMPLER=pymc) takes 55 per draw
#: there and gets the same cap: one chain of 500 tuning + 300 draws took 47 s instead of 69 s (53.6 steps per
#: draw, longest 63 instead of 127; tau's bulk ESS 71 against 81 of 300; no divergence; 2026-11-27). In
#: `make test` on a 2-core machine notebook 06's fit with PyMC then took 844 s, without the cap it ran past the
#: 900 s cell timeout (Makefile, CELL_TIMEOUT).
POOLED_MAX_TREE_DEPTH = 6


def settings_for(model, settings: SamplerSettings) -> SamplerSettings:
    """The settings to sample an SRP model with: a pooled one (srp.is_pooled) gets at least
    SLOW_MIXING_MIN_DRAWS draws, for its slowly mixing tau, POOLED_TARGET_ACCEPT, for its curvature, and
    POOLED_MAX_TREE_DEPTH, for the cost of its first tuning steps."""
    if not srp.is_pooled(model):
        return settings
    return pooled_sampling(settings.for_slow_mixing())


def pooled_sampling(settings: SamplerSettings) -> SamplerSettings:
    """These settings at POOLED_TARGET_ACCEPT and POOLED_MAX_TREE_DEPTH (or stricter), draws unchanged: how a
    pooled model is sampled here (the calibration study samples at a lower target acceptance, with the same
    cap: paradox.calibration.POOLED_TARGET_ACCEPT)."""
    return settings.with_(target_accept=max(settings.target_accept, POOLED_TARGET_ACCEPT),
                          max_tree_depth=min(settings.max_tree_depth, POOLED_MAX_TREE_DEPTH))


def fit_gaussian(cells: pd.DataFrame, design: Design, settings: SamplerSettings, pooled: bool = VERDICTS_POOLED,
                 priors: srp.GaussianPriors | None = None) -> xr.DataTree:
    """The Gaussian model of scale means from cell statistics (srp.gaussian_model), sampled; priors by default
    the defaults scaled to the design's answer scale (srp.GaussianPriors.for_scale)."""
    model = srp.gaussian_model(cells, scale_points=design.scale_points, pooled=pooled, priors=priors)
    return sample(model, settings_for(model, settings))


def analyse_srp(
    survey: Survey,
    settings: SamplerSettings,
    design: Design,
    *,
    priors: srp.OrdinalPriors = srp.OrdinalPriors(),
    gaussian_priors: srp.GaussianPriors | None = None,
    pooled: bool = VERDICTS_POOLED,
    integrate_respondents: bool = True,
    check: bool = True,
    adjust: bool = True,
) -> SRPResult:
    """Fit the ordinal model and the Gaussian model of scale means to an SRP survey, run Welch's tests, and judge
    the paradox with each (the design's decision rule). pooled: partially pool the experiments' effects (default
    VERDICTS_POOLED, not: see there why). `priors` are the ordinal model's,
    `gaussian_priors` the Gaussian model's (scale points; by default scaled to the design's answer scale).

    A named-cell layout (shared control, factorial, within subject; design.layout) goes to `analyse_layout`.
    integrate_respondents: sample srp.ordinal_model with the respondent intercepts integrated out (the
    default: the same posterior, and good mixing at a realistic respondent spread, where sampling every
    intercept mixes slowly); False samples them.
    With `check` (the default) a run that did not converge raises ConvergenceError
    instead of returning verdicts nobody should read.
    adjust: the ordinal model adjusts for the survey's other predictors (srp.adjustment_terms: factors besides
    experiment and cell, covariates, a grouping column), and its verdict rows name them in a column
    `adjusted_for`; the Gaussian model and Welch's tests work from cell statistics, which cannot carry them
    (their rows say "none"). False: experiment and cell alone (srp.without_adjustments).
    """
    if not adjust:
        survey = srp.without_adjustments(survey)
    if design.named_cells:
        return analyse_layout(survey, settings, design, priors=priors, gaussian_priors=gaussian_priors, check=check)
    converged = assert_converged if check else convergence_report
    model = srp.ordinal_model(survey, priors=priors, pooled=pooled, integrate_respondents=integrate_respondents)
    idata = sample(model, settings_for(model, settings))
    report = converged(idata)
    cells = srp.cell_statistics(survey)
    gaussian_idata = fit_gaussian(cells, design, settings, pooled=pooled, priors=gaussian_priors)
    gaussian_report = converged(gaussian_idata)
    table = verdict_table(
        method_verdicts(idata["posterior"]["recovery_effect"], design, "ordinal"),
        method_verdicts(gaussian_idata["posterior"]["recovery_effect"], design, "gaussian"),
        welch_verdicts(srp.welch_tests(cells), design),
    )
    table = _with_adjustments(table, survey)
    return SRPResult(model=model, idata=idata, tests=paradox_tests(idata), verdicts=table, convergence=report,
                     gaussian_idata=gaussian_idata, gaussian_convergence=gaussian_report)


def analyse_layout(survey: Survey, settings: SamplerSettings, design: Design, *,
                   priors: srp.OrdinalPriors = srp.OrdinalPriors(), gaussian_priors: srp.GaussianPriors | None = None,
                   check: bool = True) -> SRPResult:
    """The SRP test of a named-cell layout (design.layout: shared_control, factorial, within_subject): the
    cell model (srp.cell_model), each hypothesis a contrast of its cells (favourable or unfavourable cell minus
    the control), judged as in analyse_srp, in a verdict table of the same shape. Methods: the ordinal model,
    and between subjects the Gaussian cell model of scale means (srp.gaussian_cell_model: each cell once, so a
    shared control is not counted twice) and Welch's tests (each test on its own three cells). Within subject
    the cells are not independent groups, so the ordinal model alone, which samples every respondent's intercept:
    slowly mixing (SamplerSettings.for_slow_mixing)."""
    converged = assert_converged if check else convergence_report
    model = srp.cell_model(survey, design, priors=priors)
    within = bool(survey.spec.within_respondent)
    idata = sample(model, settings.for_slow_mixing() if within else settings)
    report = converged(idata)
    tables = [method_verdicts(idata["posterior"]["recovery_effect"], design, "ordinal")]
    gaussian_idata = gaussian_report = None
    if not within:
        gaussian_idata = sample(srp.gaussian_cell_model(survey, design, gaussian_priors), settings)
        gaussian_report = converged(gaussian_idata)
        tables.append(method_verdicts(gaussian_idata["posterior"]["recovery_effect"], design, "gaussian"))
        tables.append(welch_verdicts(srp.welch_tests(srp.layout_cell_statistics(survey, design)), design))
    return SRPResult(model=model, idata=idata, tests=paradox_tests(idata),
                     verdicts=_with_adjustments(verdict_table(*tables), survey), convergence=report,
                     gaussian_idata=gaussian_idata, gaussian_convergence=gaussian_report)


def _with_adjustments(table: pd.DataFrame, survey: Survey) -> pd.DataFrame:
    """The verdict table with a column `adjusted_for` when the ordinal model adjusted for other predictors
    (their names, joined by '; '; "none" for the methods from cell statistics); unchanged otherwise."""
    columns = srp.adjustment_columns(survey)
    if not columns:
        return table
    return table.assign(adjusted_for=["; ".join(columns) if m == "ordinal" else "none" for m in table["method"]])
