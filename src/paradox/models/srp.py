"""Models of the service recovery paradox (SRP) experiments.

Three ways to estimate the same contrasts, from most to least detailed:

(a) `ordinal_model`: a hierarchical cumulative-logit model of every answer
    (respondent x item): respondent intercepts, item thresholds, and the effect of a
    recovery at each moderator level relative to the no-failure control, partially pooled
    across experiments when there are several.
(b) `gaussian_model`: a normal model of each respondent's scale mean, fitted either from the
    raw means or -- exactly the same posterior -- from each cell's n, mean and SD alone, so a
    published table of cell statistics can be reanalysed (the statistics as pm.Data on request, so that
    one compiled model refits many tables of one design).
(c) `welch_tests`: the classical Welch t-test of each contrast, for comparison.

Dims used throughout: experiment, recovery_level (favourable / unfavourable), cell
(no_failure + the two recovery levels), item, cut, respondent, answer (one row per answer).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from itertools import product

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
from scipy import stats

from paradox.data import Survey
from paradox.design import CELL, CELLS, EXPERIMENT, NO_FAILURE, RECOVERY_LEVELS, Design, check_controls
from paradox.models import ordinal, regression
from paradox.models.terms import Term, linear_predictor, term_coords

#: Short names of the recovery levels used as coordinates.
LEVELS = ("favourable", "unfavourable")


@dataclass(frozen=True)
class OrdinalPriors:
    """Priors of the ordinal model, on the logit scale, weakly informative for satisfaction scales with
    Cronbach's alpha near 0.9, whose respondents spread by about 3 logits (the logistic error alone has SD
    1.8): respondent SD HalfNormal(3) (median 2, 95% below 5.9); effects N(0, 2), about half the latent SD,
    so an effect of one latent SD (about 4 logits) is possible but not expected."""

    effect_sd: float = 2.0          # mean recovery effect at each level
    effect_spread: float = 1.0      # HalfNormal scale of tau: how much experiments differ
    cutpoint_sd: float = 4.0        # item thresholds (a 7-point scale with SD-3 respondents spans about +/-5)
    # Each item's mean threshold against the no-failure cells: left to the data, which place it precisely. Under
    # Normal(0, cutpoint_sd) on each threshold it had SD 4 / sqrt(6) = 1.6, and its pull towards 0 moved every
    # recovery effect up: by 0.11 logits in one experiment of the stand-in, 0.045 in the four-experiment model of
    # `make calibrate` (posterior modes; 0.003 and 0.002 at 10, 0.02 and 0.007 at 4; tests/test_srp_models.py).
    # Prior surveys then often have most answers at one end of the scale, as satisfaction surveys can.
    # None: the old prior.
    cutpoint_location_sd: float | None = 10.0
    respondent_sd: float = 3.0      # HalfNormal scale of the respondent spread
    baseline_sd: float = 2.0        # experiment baselines (zero-sum)
    group_sd: float = 1.0           # HalfNormal scale of a grouping column's intercepts (sessions, classes)

    def scaled_to(self, respondent_spread: float) -> "OrdinalPriors":
        """These priors for data whose respondents spread by `respondent_spread` logits instead of
        DEFAULT_RESPONDENT_SPREAD: every scale but the cutpoints' location times the ratio of the latent SDs of one
        answer, sqrt(spread^2 + pi^2/3), to two significant digits (`paradox fit`; the notebooks keep the defaults,
        set for their stand-in's spread)."""
        return dataclasses.replace(self, **{name: ordinal.scaled_prior(getattr(self, name), respondent_spread)
                                            for name in SCALED_PRIORS})


#: The OrdinalPriors entries `scaled_to` scales (the cutpoints' location is left to the data).
SCALED_PRIORS = ("effect_sd", "effect_spread", "cutpoint_sd", "respondent_sd", "baseline_sd", "group_sd")


#: The answer scale GaussianPriors' defaults are set for: 1..7, six points from end to end.
GAUSSIAN_REFERENCE_POINTS = 7


@dataclass(frozen=True)
class GaussianPriors:
    """Priors of the Gaussian model, in scale points (1..K), set for a 7-point scale (GAUSSIAN_REFERENCE_POINTS);
    `for_scale` scales them to another."""

    baseline_mean: float | None = None  # default: the scale's midpoint
    baseline_sd: float = 1.5
    effect_sd: float = 1.0
    effect_spread: float = 0.5
    sigma_scale: float = 2.5           # respondents' scale means spread by about 2 points at alpha 0.9

    def for_scale(self, scale_points: int) -> "GaussianPriors":
        """These priors for a scale of `scale_points` points: every scale (not baseline_mean, a location) times
        the ratio of the scales' widths, (scale_points - 1) / 6, so that a prior says as much on a 5-point or an
        11-point scale as on a 7-point one. A 7-point scale keeps them exactly."""
        ratio = gaussian_scale_ratio(scale_points)
        return dataclasses.replace(self, **{name: getattr(self, name) * ratio for name in GAUSSIAN_SCALED_PRIORS})


def gaussian_scale_ratio(scale_points: int) -> float:
    """How much wider a scale of `scale_points` points is than GaussianPriors' reference scale."""
    return (scale_points - 1) / (GAUSSIAN_REFERENCE_POINTS - 1)


#: The GaussianPriors entries `for_scale` scales.
GAUSSIAN_SCALED_PRIORS = ("baseline_sd", "effect_sd", "effect_spread", "sigma_scale")


#: The spread of the recovery effects across experiments, in a pooled model of several experiments.
POOLING_SPREAD = "recovery_effect_tau"


def is_pooled(model: pm.Model) -> bool:
    """Whether `model` pools experiments through POOLING_SPREAD (the slowest-mixing parameter where it exists)."""
    return POOLING_SPREAD in model.named_vars


def _recovery_effects(n_experiments: int, effect_sd: float, effect_spread: float, pooled: bool) -> pt.TensorVariable:
    """Effect of a recovery at each moderator level, relative to no failure: (experiment, recovery_level),
    partially pooled across experiments (`ordinal.partially_pooled`; its spread is POOLING_SPREAD)."""
    return ordinal.partially_pooled("recovery_effect", ("experiment", "recovery_level"), n_experiments,
                                    effect_sd, effect_spread, pooled)


def _cell_shift(effects: pt.TensorVariable) -> pt.TensorVariable:
    """(experiment, cell) shifts with the no-failure control at zero."""
    zeros = pt.zeros((effects.shape[0], 1))
    return pt.concatenate([zeros, effects], axis=1)


def experiments_in(survey: Survey) -> list[str]:
    """The design's experiments that have respondents in this survey, in design order."""
    return [e for e in survey.respondents[EXPERIMENT].cat.categories if (survey.respondents[EXPERIMENT] == e).any()]


def coords_for(survey: Survey) -> dict[str, list]:
    return {
        "experiment": experiments_in(survey),
        "recovery_level": list(LEVELS),
        "cell": list(CELLS),
        "item": survey.items,
        "cut": [f"{k}|{k + 1}" for k in range(1, survey.spec.n_categories)],
    }


# --- adjustment for the survey's other predictors -------------------------------------------------------------

#: The survey columns that say where a respondent is in the design; every other predictor is an adjustment.
DESIGN_COLUMNS = (EXPERIMENT, CELL)
#: The cell factor's column in the survey the engine sees (cell_model): its effects, `named_cell[<cell>]`, are each
#: cell's against the reference cell. ("cell" is the dim of cell_effect, and a variable may not take a dim's name.)
CELL_FACTOR = "named_cell"


def adjustment_terms(survey: Survey) -> tuple[Term, ...]:
    """The survey's predictors besides experiment and cell, which the SRP ordinal models adjust for: other
    factors (treatment-coded, `paradox.models.terms`) and numeric covariates; its grouping column
    (survey.spec.group) adds zero-sum random intercepts. In a randomised experiment they leave the contrasts
    unbiased and make them more precise; a predictor that differs between cells also corrects them."""
    terms = []
    for name in survey.spec.factors:
        levels = tuple(str(c) for c in survey.answers[name].cat.categories)
        if name not in DESIGN_COLUMNS and len(levels) > 1:  # one level is a constant: the cutpoints absorb it
            terms.append(Term(name, levels))
    return (*terms, *(Term(name) for name in survey.spec.covariates))


def adjustment_columns(survey: Survey) -> tuple[str, ...]:
    """The columns adjustment_terms and the grouping intercept read."""
    return (*(t.name for t in adjustment_terms(survey)), *((survey.spec.group,) if survey.spec.group else ()))


def adjustment_priors(survey: Survey, priors: OrdinalPriors = OrdinalPriors()) -> dict[str, tuple[str, float]]:
    """Each adjustment parameter's prior, as (text, sd), as the models use them and `paradox fit` reports them:
    a factor's effects N(0, effect_sd); a covariate's slope N(0, effect_sd / the covariate's SD among
    respondents), so that one SD of the covariate may move satisfaction as far as a recovery might, whatever its
    unit; the grouping column's intercepts, spread HalfNormal(group_sd). A covariate that does not vary, or a
    name the SRP models use themselves, is refused (ValueError naming it)."""
    table = {}
    respondents = counted_respondents(survey).respondents
    for term in adjustment_terms(survey):
        if term.name in SRP_NAMES:
            raise ValueError(f"column name {term.name!r} is used by the SRP models themselves; rename the column")
        if term.is_factor:
            table[term.name] = (f"Normal(0, {priors.effect_sd:.4g})", priors.effect_sd)
            continue
        values = respondents[term.name].to_numpy(dtype=float)
        weights = respondents[survey.spec.weight].to_numpy(dtype=float) if survey.spec.weight else None
        mean = np.average(values, weights=weights)
        spread = float(np.sqrt(np.average((values - mean) ** 2, weights=weights)))
        if not spread > 0:
            raise ValueError(f"covariate {term.name!r} has the same value for every respondent: it cannot be "
                             "told apart from the cutpoints; leave it out")
        sd = priors.effect_sd / spread
        table[term.name] = (f"Normal(0, {sd:.4g}) (= {priors.effect_sd:.4g} / its SD {spread:.4g})", sd)
    if survey.spec.group:
        if survey.spec.group in SRP_NAMES:
            raise ValueError(f"column name {survey.spec.group!r} is used by the SRP models themselves; rename it")
        half_normal_sd = priors.group_sd * float(np.sqrt(1.0 - 2.0 / np.pi))
        table[f"{survey.spec.group}_sd"] = (f"HalfNormal({priors.group_sd:.4g})", half_normal_sd)
    return table


#: Names of the SRP models' own variables and dims, which an adjustment column may not take.
SRP_NAMES = frozenset({"cutpoints", "respondent", "respondent_sd", "respondent_z", "recovery_effect",
                       "recovery_effect_mean", "recovery_effect_tau", "recovery_effect_z", "experiment_baseline",
                       "cell_effect", "cell_effect_free", CELL_FACTOR, "satisfaction", "satisfaction_integrated",
                       "item", "cut", "pattern", "answer", "experiment", "cell", "recovery_level", "free_cell"})


def _adjustment(rows: pd.DataFrame, survey: Survey, priors: OrdinalPriors):
    """Inside a model: each row's latent shift from the adjustments (rows: answers, or answer patterns with
    the adjustment columns), centred on the respondents' weighted means (terms.linear_predictor), so that the
    recovery effects keep their meaning at the average respondent. None when there is nothing to adjust for."""
    terms = adjustment_terms(survey)
    if not terms and not survey.spec.group:
        return None
    sds = {name: sd for name, (_, sd) in adjustment_priors(survey, priors).items()}
    model = pm.modelcontext(None)
    for dim, levels in term_coords(terms).items():
        model.add_coord(dim, levels)
    for term in terms:  # a factor's codes index its effects: the survey's levels, in its order
        if term.is_factor and not isinstance(rows[term.name].dtype, pd.CategoricalDtype):
            rows = rows.assign(**{term.name: pd.Categorical(rows[term.name].astype(str), categories=term.levels)})
    reference = counted_respondents(survey).respondents
    reference = reference.assign(**{t.name: pd.Categorical(reference[t.name].astype(str), categories=t.levels)
                                    for t in terms if t.is_factor})
    eta, _, _ = linear_predictor(rows, terms, priors.effect_sd, priors.group_sd, survey, False, reference,
                                 prior_sd=sds)
    return eta


def without_adjustments(survey: Survey) -> Survey:
    """The survey as the SRP models see it without adjustments: experiment and cell its only predictors."""
    factors = {k: v for k, v in survey.spec.factors.items() if k in DESIGN_COLUMNS}
    spec = dataclasses.replace(survey.spec, factors=factors, covariates=(), group=None)
    return dataclasses.replace(survey, spec=spec)


def ordinal_model(
    survey: Survey, priors: OrdinalPriors = OrdinalPriors(), pooled: bool = True, integrate_respondents: bool = False,
    patterns: pd.DataFrame | None = None,
) -> pm.Model:
    """Hierarchical cumulative-logit model of every answer.

    eta[r, i] = respondent[r] + baseline[experiment(r)] + shift[experiment(r), cell(r)]
    answer[r, i] ~ OrderedLogistic(eta[r, i], cutpoints[i])

    There is no intercept: each item's cutpoints are free; experiment baselines are zero-sum for the same
    reason. Respondent intercepts are iid N(0, respondent_sd), as in the integrated form.

    integrate_respondents: integrate the respondent intercepts out instead of sampling them
    (`_integrated_model`); the same population-level posterior, at a cost that stops growing
    with respondents (benchmarks/: 100,000 respondents in 3.5 minutes with PyMC's NUTS, which converged
    there in fast-mode draws where nutpie did not). The integrated model
    has no observed variable; for predictive checks pass its posterior with the per-respondent
    form, `sample_posterior_predictive(ordinal_model(survey), idata, settings)`, which draws the
    intercepts afresh: answers of new respondents in the same cells.
    patterns (integrated form only): a `pattern_grid` of the design, for one model that refits many surveys.
    """
    if survey.spec.within_respondent:
        raise ValueError("respondents in several cells (a within-subject layout): fit cell_model, whose intercepts "
                         "follow each respondent across cells")
    check_controls(survey)
    if integrate_respondents:
        return _integrated_model(survey, priors, pooled, patterns)
    if patterns is not None:
        raise ValueError("patterns= belongs to the integrated form (integrate_respondents=True)")
    survey = counted_respondents(survey)
    answers = survey.answers
    coords = coords_for(survey)
    experiments = coords["experiment"]
    respondent_codes, respondents = pd.factorize(answers["respondent"], sort=False)
    coords["respondent"] = list(respondents)
    coords["answer"] = np.arange(len(answers))
    exp_idx = pd.Categorical(answers[EXPERIMENT].astype(str), categories=experiments).codes
    cell_idx = pd.Categorical(answers[CELL].astype(str), categories=CELLS).codes
    item_idx = answers["item"].cat.codes.to_numpy()
    n_cut = survey.spec.n_categories - 1

    # Each respondent's experiment x cell ("group"), for the intercepts' decomposition (ordinal engine).
    first = answers.groupby(respondent_codes, sort=True)[[EXPERIMENT, CELL]].first()
    respondent_group = _cell_group(first, experiments)
    n_groups = len(experiments) * len(CELLS)

    with pm.Model(coords=coords) as model:
        cutpoints = ordinal.item_cutpoints(len(coords["item"]), n_cut, priors.cutpoint_sd,
                                           location_sd=priors.cutpoint_location_sd)
        intercept, _ = ordinal.cell_decomposed_intercepts(respondent_group, n_groups, priors.respondent_sd)
        effects = _recovery_effects(len(experiments), priors.effect_sd, priors.effect_spread, pooled)
        eta = intercept[respondent_codes] + _cell_shift(effects)[exp_idx, cell_idx]
        if len(experiments) > 1:
            baseline = pm.ZeroSumNormal("experiment_baseline", priors.baseline_sd, dims="experiment")
            eta = eta + baseline[exp_idx]
        adjustment = _adjustment(answers, survey, priors)
        if adjustment is not None:
            eta = eta + adjustment
        # Answers are 1..K on the scale; OrderedLogistic counts categories from 0.
        # Sorting is the identity on the ordered posterior draws, but forward (prior predictive)
        # sampling ignores the ordered transform: sorted iid normals are exactly its prior.
        ordinal.answer_likelihood(
            "satisfaction", eta, pt.sort(cutpoints, axis=-1)[item_idx],
            answers["answer"].to_numpy() - survey.spec.scale[0], dims="answer", weights=answer_weights(survey),
        )
    return model


def counted_respondents(survey: Survey) -> Survey:
    """The survey without its zero-weight respondents (a frequency weight of 0: nobody), or itself."""
    weight = survey.spec.weight
    if not weight or (survey.respondents[weight] > 0).all():
        return survey
    keep = survey.respondents.loc[survey.respondents[weight] > 0, "respondent"]
    if keep.empty:
        raise ValueError(f"every respondent has weight 0 (column {weight!r}): nobody to fit")
    return dataclasses.replace(
        survey, answers=survey.answers[survey.answers["respondent"].isin(keep)].reset_index(drop=True),
        respondents=survey.respondents[survey.respondents["respondent"].isin(keep)].reset_index(drop=True))


def answer_weights(survey: Survey) -> np.ndarray | None:
    """Each answer's frequency weight (its respondent's), or None when there are none or all are 1 (the
    unweighted likelihood, an observed variable with posterior predictive draws)."""
    weight = survey.spec.weight
    if not weight or (survey.answers[weight] == 1).all():
        return None
    return survey.answers[weight].to_numpy(dtype=float)


#: Name of the pm.Data container of the integrated model's pattern counts: refit on a new survey of the same
#: design with `pm.set_data({PATTERN_COUNTS: pattern_counts(survey, grid)})`, or with nutpie,
#: `compiled.with_data(**{PATTERN_COUNTS: ...})`, without compiling again (see `_integrated_model`).
PATTERN_COUNTS = "pattern_count"


def answer_patterns(survey: Survey, keys: tuple[str, ...] = (EXPERIMENT, CELL)) -> tuple[pd.DataFrame, np.ndarray]:
    """Distinct (experiment, cell, answer to each item) -- or (`keys`, answers) -- with their respondent count
    `n` (summed frequency weights); answers 0-based, an unanswered item coded n_categories (where the
    likelihood table holds log 1 = 0)."""
    wide = survey.answers.pivot(index="respondent", columns="item", values="answer") - survey.spec.scale[0]
    wide = wide.fillna(survey.spec.n_categories).astype(int)
    factors = survey.answers.groupby("respondent", observed=True)[list(keys)].first().loc[wide.index]
    factors = factors.astype({k: str for k in keys if k not in survey.spec.covariates})  # covariates stay numbers
    keys = pd.concat([factors, wide], axis=1)
    weight = survey.spec.weight
    if weight:  # a respondent of weight w counts as w identical respondents; weight 0 as none
        w = survey.respondents.set_index("respondent")[weight].loc[wide.index].to_numpy(dtype=float)
        patterns = keys.assign(n=w).groupby(list(keys.columns), sort=False, observed=True)["n"].sum()
        patterns = patterns[patterns > 0].reset_index()
    else:
        patterns = keys.value_counts(sort=False).rename("n").reset_index()
    return patterns, patterns[survey.items].to_numpy()


def pattern_grid(source: Survey | Design, unanswered: bool = False) -> pd.DataFrame:
    """Every answer pattern a survey of this design can have: each experiment x cell x combination of
    answers (0-based), in a fixed order. With 4 experiments, 3 items and 7 points, 12 x 7^3 = 4,116 rows.
    unanswered: also patterns with items left unanswered (code n_categories; 12 x 8^3 = 6,144 rows).

    Give it to `ordinal_model(..., integrate_respondents=True, patterns=grid)` so that every survey of the
    design makes the same model, and refit it by swapping the counts only (`PATTERN_COUNTS`)."""
    if isinstance(source, Design):
        experiments, items, n_categories = source.moderators, list(source.items), source.scale_points
    else:
        experiments, items, n_categories = experiments_in(source), source.items, source.spec.n_categories
    codes = range(n_categories + 1 if unanswered else n_categories)
    rows = [(e, c, *answers) for e in experiments for c in CELLS for answers in product(codes, repeat=len(items))]
    return pd.DataFrame(rows, columns=[EXPERIMENT, CELL, *items])


def pattern_counts(survey: Survey, grid: pd.DataFrame) -> np.ndarray:
    """How many of the survey's respondents gave each row of `grid` (pattern_grid), as floats in grid order.
    A respondent whose pattern the grid lacks (an experiment or item it does not know, a missing answer in a
    grid without `unanswered`) is an error, not dropped."""
    items = [c for c in grid.columns if c not in (EXPERIMENT, CELL)]
    if items != survey.items:
        raise ValueError(f"the pattern grid has items {items}, the survey {survey.items}")
    observed, _ = answer_patterns(survey)
    keys = [EXPERIMENT, CELL, *items]
    if grid.duplicated(keys).any():
        raise ValueError("the pattern grid lists a pattern twice; its respondents would count twice")
    position = grid[keys].reset_index(drop=True).reset_index()  # "index": the row's position in grid
    merged = observed.merge(position, on=keys, how="left")
    missing = merged["index"].isna()
    if missing.any():
        example = merged.loc[missing, keys].iloc[0].to_dict()
        raise ValueError(f"{int(merged.loc[missing, 'n'].sum())} respondents have answer patterns the grid "
                         f"lacks, e.g. {example} (0-based answers; {survey.spec.n_categories} = unanswered: "
                         "make the grid with unanswered=True)")
    counts = np.zeros(len(grid))
    np.add.at(counts, merged["index"].to_numpy(dtype=int), merged["n"].to_numpy(dtype=float))
    return counts


def _integrated_model(survey: Survey, priors: OrdinalPriors, pooled: bool,
                      patterns: pd.DataFrame | None = None) -> pm.Model:
    """ordinal_model with each respondent's intercept integrated out:

        L(answers of r) = integral of prod_i P(answer_ri | eta + sd * z, cutpoints_i) N(z; 0, 1) dz,

    by the trapezoid rule on a window around each pattern's peak (`paradox.models.quadrature`: error below
    1e-3 per pattern in log L up to sd 5 and 10 items). Respondents of one cell who gave the same answers have
    the same L, so the likelihood is a sum over answer patterns times their counts: the survey's own patterns,
    or every pattern of `patterns` (pattern_grid), the counts then held in pm.Data `PATTERN_COUNTS` so that
    one compiled model refits any survey of the design. Intercepts are iid N(0, sd) here, not zero-sum:
    integrated out, the two differ by one degree of freedom in n, while the cutpoints carry the overall level
    either way. Frequency weights: a pattern's count is its respondents' summed weight."""
    survey = counted_respondents(survey)
    if patterns is None:
        patterns, _ = answer_patterns(survey, keys=(EXPERIMENT, CELL, *adjustment_columns(survey)))
        counts = patterns["n"].to_numpy(dtype=float)
        experiments = experiments_in(survey)
    else:
        if adjustment_columns(survey):
            raise ValueError("a pattern grid has experiment, cell and answers only, so it cannot carry "
                             f"{', '.join(adjustment_columns(survey))}: fit without patterns=")
        counts = pattern_counts(survey, patterns)
        experiments = list(dict.fromkeys(patterns[EXPERIMENT]))
    coords = {**coords_for(survey), "experiment": experiments, "pattern": np.arange(len(patterns))}
    n_items, n_cut = len(coords["item"]), survey.spec.n_categories - 1
    answers = patterns[coords["item"]].to_numpy(dtype=int)
    with pm.Model(coords=coords) as model:
        cutpoints, respondent_sd, shift = _integrated_parameters(n_items, n_cut, len(experiments), priors, pooled)
        shift, group = _adjusted_shift(shift, _cell_group(patterns, experiments), patterns, survey, priors)
        ordinal.integrated_likelihood("satisfaction_integrated", answers, group, cutpoints, shift, respondent_sd,
                                      counts, counts_name=PATTERN_COUNTS)
    return model


def _adjusted_shift(shift, group: np.ndarray, patterns: pd.DataFrame, survey: Survey, priors: OrdinalPriors):
    """(shift, group) for the integrated likelihood: the cells' shifts and each pattern's cell, or, with
    adjustments, one shift per pattern (its cell's plus its adjustment; the patterns then also differ by the
    adjustment columns, one per respondent when a covariate is continuous) and no group."""
    adjustment = _adjustment(patterns, survey, priors)
    if adjustment is None:
        return shift, group
    return shift[group] + adjustment, None


def _cell_group(rows: pd.DataFrame, experiments: list[str]) -> np.ndarray:
    """Each row's experiment x cell (a respondent's, or an answer pattern's): its row of the flattened
    (experiment, cell) shift table."""
    return (pd.Categorical(rows[EXPERIMENT].astype(str), categories=experiments).codes * len(CELLS)
            + pd.Categorical(rows[CELL].astype(str), categories=CELLS).codes)


def _integrated_parameters(n_items: int, n_cut: int, n_experiments: int, priors: OrdinalPriors, pooled: bool):
    """The integrated form's parameters, in the current model: cutpoints (item, cut), respondent_sd and the
    flattened (experiment x cell) latent shift that each answer pattern's group indexes."""
    cutpoints = ordinal.item_cutpoints(n_items, n_cut, priors.cutpoint_sd, location_sd=priors.cutpoint_location_sd)
    respondent_sd = pm.HalfNormal("respondent_sd", priors.respondent_sd)
    shift = _cell_shift(_recovery_effects(n_experiments, priors.effect_sd, priors.effect_spread, pooled))
    if n_experiments > 1:
        shift = shift + pm.ZeroSumNormal("experiment_baseline", priors.baseline_sd, dims="experiment")[:, None]
    return cutpoints, respondent_sd, shift.flatten()


def cell_model(survey: Survey, design: Design, priors: OrdinalPriors = OrdinalPriors(),
               integrate_respondents: bool | None = None) -> pm.Model:
    """Hierarchical cumulative-logit model of a named-cell layout (shared control, factorial, within subject;
    design.layout), built by the ordinal engine (paradox.models.regression) from a spec, the SRP tests contrasts
    over its cells:

    eta[r, i] = respondent[r] + cell_effect[cell of the answer] + adjustments
    answer[r, i] ~ OrderedLogistic(eta[r, i], cutpoints[i])

    The spec: the cell as a factor (`named_cell`, the reference cell its baseline: the first complete experiment's
    control), free cutpoints per item, a respondent intercept, and the survey's other predictors (adjustment_terms).
    Each cell's effect against the reference ~ N(0, effect_sd), as ordinal_model's recovery effects against their
    control; a covariate's slope N(0, effect_sd / its SD) (adjustment_priors). The engine samples the predictors
    centred, so the cutpoints' prior applies at the average respondent and needs no location prior of its own.
    Deterministics in the form the rest of the package reads: cell_effect (cell; 0 at the reference),
    recovery_effect (experiment, recovery_level) = cell_effect[the level's cell] - cell_effect[control] and
    experiment_baseline (experiment) = cell_effect[control] (_cell_contrasts), so that hypotheses.paradox_tests,
    top_two_box and method_verdicts apply unchanged; `cutpoints` (item, cutpoint) at the reference cell, the
    covariates at their mean and the other factors at their baseline. No pooling across experiments: in these
    layouts experiments share cells, so their effects are not exchangeable draws. The likelihood is the engine's,
    named `answers`.

    Respondent intercepts N(0, respondent_sd): integrated out (the default between subjects; frequency weights
    count patterns), or sampled (zero-sum), which a within-subject layout needs (a respondent's intercept is shared
    by their cells) and which the engine refuses with frequency weights. An experiment without respondents in its
    control or a recovery cell is refused (design.check_controls).
    """
    if not design.named_cells:
        raise ValueError("the separate layout (one control per experiment) is ordinal_model's")
    check_controls(survey, design)
    within = bool(survey.spec.within_respondent)
    if integrate_respondents is None:
        integrate_respondents = not within
    if integrate_respondents and within:
        raise ValueError("a respondent rated in several cells shares one intercept across them: the within-subject "
                         "layout samples the intercepts (integrate_respondents=False)")
    survey = counted_respondents(survey)
    coords, roles = _layout_cells(design, set(survey.respondents[CELL].astype(str)))
    # the adjustments' effects and slopes (adjustment_priors also refuses a constant covariate or a reserved name)
    slopes = {name: sd for name, (_, sd) in adjustment_priors(survey, priors).items()
              if name != f"{survey.spec.group}_sd"}
    spec = regression.RegressionSpec(
        respondent_intercept=True, integrate_respondents=integrate_respondents, cutpoints="per_item",
        priors=regression.Priors(effect_sd=priors.effect_sd, cutpoint_sd=priors.cutpoint_sd, group_sd=priors.group_sd,
                                 respondent_sd=priors.respondent_sd),
        term_priors=tuple(slopes.items()))
    model = regression.build_regression(_cell_factor_survey(survey, coords["cell"]), spec).model
    with model:
        for name, values in coords.items():
            if name != "free_cell":
                model.add_coord(name, values)
        effect = pm.Deterministic("cell_effect", pt.concatenate([pt.zeros(1), model[CELL_FACTOR]]), dims="cell")
        _cell_contrasts(effect, roles)
    return model


def _cell_factor_survey(survey: Survey, cells: list[str]) -> Survey:
    """The survey as the engine sees a named-cell layout: the cell a factor (CELL_FACTOR, levels `cells`, the
    reference first) in place of experiment and cell (a cell says which experiments it serves); the other factors,
    covariates and grouping column kept, the covariates centred on the respondents' (weighted) mean, so that the
    engine's cutpoints, reported at covariates = 0, are the average respondent's."""
    weights = survey.respondents[survey.spec.weight].to_numpy(dtype=float) if survey.spec.weight else None
    centre = {name: float(np.average(survey.respondents[name].to_numpy(dtype=float), weights=weights))
              for name in survey.spec.covariates}

    def recoded(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(**{CELL_FACTOR: pd.Categorical(frame[CELL].astype(str), categories=cells)},
                            **{name: frame[name].astype(float) - mean for name, mean in centre.items()})

    factors = {CELL_FACTOR: tuple(cells), **{k: v for k, v in survey.spec.factors.items() if k not in DESIGN_COLUMNS}}
    within = tuple(CELL_FACTOR if name == CELL else name for name in survey.spec.within_respondent)
    spec = dataclasses.replace(survey.spec, factors=factors, within_respondent=within)
    return dataclasses.replace(survey, spec=spec, answers=recoded(survey.answers),
                               respondents=recoded(survey.respondents))


def named_cell_statistics(survey: Survey) -> pd.DataFrame:
    """n, mean and SD of the respondents' scale means per named cell (index: cell), frequency-weighted as
    cell_statistics: a named-cell layout between subjects, each cell once however many experiments use it."""
    if survey.spec.within_respondent:
        raise ValueError("cell statistics of independent groups; in a within-subject layout the cells are not")
    means = survey.answers.groupby("respondent", observed=True, sort=False).agg(
        cell=(CELL, "first"), scale_mean=("answer", "mean")).reset_index()
    return _scale_mean_statistics(survey, means, [CELL]).reset_index().set_index(CELL)


def _layout_cells(design: Design, present: set[str]) -> tuple[dict[str, list], np.ndarray]:
    """What a named-cell layout's models estimate, given the cells with respondents: the coords (cell, the reference
    cell first: the first complete experiment's control; free_cell, the others; experiment, each experiment with all
    its cells; recovery_level) and each experiment's (control, favourable, unfavourable) cell positions."""
    experiments = [e for e in design.experiments if set(e.cells) <= present]
    if not experiments:
        raise ValueError(f"no experiment of the design has all its cells in the survey (cells present: {sorted(present)})")
    reference = experiments[0].control_cell
    cells = [reference, *[c for c in design.cells if c in present and c != reference]]
    position = {c: i for i, c in enumerate(cells)}
    roles = np.array([[position[c] for c in e.cells] for e in experiments])
    return {"cell": cells, "free_cell": cells[1:], "experiment": [e.moderator for e in experiments],
            "recovery_level": list(LEVELS)}, roles


def _cell_contrasts(cell_values: pt.TensorVariable, roles: np.ndarray) -> None:
    """The deterministics the rest of the package reads from a named-cell model (hypotheses.paradox_tests,
    method_verdicts): experiment_baseline, each experiment's control cell, and recovery_effect, each recovery cell
    minus that control."""
    pm.Deterministic("experiment_baseline", cell_values[roles[:, 0]], dims="experiment")
    pm.Deterministic("recovery_effect", cell_values[roles[:, 1:]] - cell_values[roles[:, :1]],
                     dims=("experiment", "recovery_level"))


def layout_cell_statistics(survey: Survey, design: Design) -> pd.DataFrame:
    """cell_statistics of a named-cell layout in the separate layout's form (experiment, cell in CELLS, n, mean,
    sd): each experiment's control, favourable and unfavourable cell, so that welch_tests applies. A shared
    control appears under each experiment that uses it (right for one test at a time, not for a joint model:
    gaussian_cell_model counts it once)."""
    if survey.spec.within_respondent:
        raise ValueError("Welch's test compares independent groups; in a within-subject layout they are not")
    means = named_cell_statistics(survey)
    rows = []
    for e in design.experiments:
        if set(e.cells) <= set(means.index):
            rows += [{EXPERIMENT: e.moderator, CELL: role, **means.loc[cell, ["n", "mean", "sd"]].to_dict()}
                     for role, cell in zip(CELLS, e.cells)]
    return pd.DataFrame(rows, columns=[EXPERIMENT, CELL, "n", "mean", "sd"])


def respondent_means(survey: Survey) -> pd.DataFrame:
    """One row per respondent: experiment, cell and the scale mean (mean over items)."""
    return survey.answers.groupby("respondent", observed=True, sort=False).agg(
        experiment=(EXPERIMENT, "first"), cell=(CELL, "first"), scale_mean=("answer", "mean")
    ).reset_index()


def cell_statistics(survey: Survey) -> pd.DataFrame:
    """n, mean and SD of the respondents' scale means per experiment and cell. With frequency weights, those
    of the respondents the weights stand for (n the summed weight: a respondent of weight 2 counts twice)."""
    table = _scale_mean_statistics(survey, respondent_means(survey), [EXPERIMENT, CELL])
    order = pd.MultiIndex.from_product([experiments_in(survey), list(CELLS)], names=[EXPERIMENT, CELL])
    return table.reindex(order).dropna(how="all").reset_index()


def _scale_mean_statistics(survey: Survey, means: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """n, mean, sd of `means` (one row per respondent, column scale_mean) per `keys`, frequency-weighted."""
    weight = survey.spec.weight
    if not weight:
        return means.groupby(keys, observed=True, sort=False)["scale_mean"].agg(
            n="count", mean="mean", sd=lambda x: x.std(ddof=1))
    w = survey.respondents.set_index("respondent")[weight].loc[means["respondent"]].to_numpy(dtype=float)
    means = means.assign(_w=w, _wx=w * means["scale_mean"], _wxx=w * means["scale_mean"] ** 2)
    sums = means.groupby(keys, observed=True, sort=False)[["_w", "_wx", "_wxx"]].sum()
    sums = sums[sums["_w"] > 0]
    mean = sums["_wx"] / sums["_w"]
    sd = np.sqrt(np.maximum(sums["_wxx"] - sums["_w"] * mean**2, 0.0) / (sums["_w"] - 1))
    return pd.DataFrame({"n": sums["_w"], "mean": mean, "sd": sd})


#: Names of the pm.Data of gaussian_model(..., data_containers=True): each row's n, mean and SD.
CELL_STATISTICS_DATA = ("cell_n", "cell_mean_observed", "cell_sd_observed")


def gaussian_model(
    cells: pd.DataFrame,
    *,
    scale_points: int,
    priors: GaussianPriors | None = None,
    pooled: bool = True,
    raw: pd.DataFrame | None = None,
    data_containers: bool = False,
) -> pm.Model:
    """Normal model of respondents' scale means with a mean and an SD per cell.

    From summary statistics (`cells`: experiment, cell, n, mean, sd) the likelihood is exact:
    the cell mean and variance are sufficient, with
        mean ~ Normal(mu, sigma / sqrt(n)),   (n - 1) sd^2 / sigma^2 ~ ChiSquare(n - 1),
    whose joint density is proportional, in (mu, sigma), to the density of the raw data.
    Pass `raw` (respondent_means) to fit the raw data instead; the posterior is the same.

    data_containers=True holds the statistics in pm.Data (CELL_STATISTICS_DATA: n, mean, sd per row of
    `cells`) instead of constants: the same posterior, and one compiled model then refits any table with
    the same experiments and cells in the same order, its statistics swapped in (the simulation studies).
    priors: by default GaussianPriors' defaults scaled to the answer scale (GaussianPriors.for_scale).
    """
    if data_containers and raw is not None:
        raise ValueError("data_containers holds cell statistics; the raw-data model (raw=...) has none")
    priors = GaussianPriors().for_scale(scale_points) if priors is None else priors
    experiments = list(dict.fromkeys(cells[EXPERIMENT].astype(str)))
    coords = {"experiment": experiments, "recovery_level": list(LEVELS), "cell": list(CELLS)}
    baseline_mean = priors.baseline_mean if priors.baseline_mean is not None else (1 + scale_points) / 2

    def index(frame):
        e = pd.Categorical(frame[EXPERIMENT].astype(str), categories=experiments).codes
        c = pd.Categorical(frame[CELL].astype(str), categories=CELLS).codes
        if (e < 0).any() or (c < 0).any():
            raise ValueError("unknown experiment or cell in the Gaussian model's data")
        return e, c

    with pm.Model(coords=coords) as model:
        baseline = pm.Normal("baseline_mean", baseline_mean, priors.baseline_sd, dims="experiment")
        effects = _recovery_effects(len(experiments), priors.effect_sd, priors.effect_spread, pooled)
        mu = pm.Deterministic("cell_mean", baseline[:, None] + _cell_shift(effects), dims=("experiment", "cell"))
        sigma = pm.HalfNormal("cell_sd", priors.sigma_scale, dims=("experiment", "cell"))
        if raw is None:
            e, c = index(cells)
            n, mean, sd = cells["n"].to_numpy(dtype=float), cells["mean"].to_numpy(), cells["sd"].to_numpy()
            model.add_coord("cell_row", np.arange(len(cells)))
            root_n = np.sqrt(n)
            if data_containers:
                n, mean, sd = (pm.Data(name, values.astype(float), dims="cell_row")
                               for name, values in zip(CELL_STATISTICS_DATA, (n, mean, sd)))
                root_n = pt.sqrt(n)
            _cell_statistics_likelihood(mu[e, c], sigma[e, c], n, root_n, mean, sd, "cell_row")
        else:
            e, c = index(raw)
            model.add_coord("respondent", raw["respondent"].astype(str).to_numpy())
            pm.Normal("scale_mean", mu[e, c], sigma[e, c], observed=raw["scale_mean"].to_numpy(), dims="respondent")
    return model


def _cell_statistics_likelihood(mu, sigma, n, root_n, mean, sd, dims: str) -> None:
    """The exact likelihood of cells' n, mean and SD of normal scale means (gaussian_model's): the mean ~ Normal(mu,
    sigma / root_n) and the sample variance's chi-square, written as a Gamma on sd^2 itself."""
    pm.Normal("observed_mean", mu, sigma / root_n, observed=mean, dims=dims)
    pm.Gamma("observed_variance", alpha=(n - 1) / 2, beta=(n - 1) / (2 * sigma ** 2), observed=sd ** 2, dims=dims)


def gaussian_cell_model(survey: Survey, design: Design, priors: GaussianPriors | None = None) -> pm.Model:
    """Normal model of respondents' scale means in a named-cell layout between subjects (shared control, factorial):
    a mean and an SD per named cell, from each cell's n, mean and SD (named_cell_statistics; the exact likelihood
    of gaussian_model), so a shared control counts once, not once per experiment that uses it.

    The reference cell (the first experiment's control) has mean ~ Normal(baseline_mean, baseline_sd); every other
    cell its mean plus N(0, effect_sd), so each delta against that control has gaussian_model's effect prior. No
    pooling: in these layouts experiments share cells. Deterministics as cell_model's, in scale points:
    recovery_effect (experiment, recovery_level) = mean[the level's cell] - mean[control], experiment_baseline =
    mean[control]. priors: by default GaussianPriors' defaults scaled to the design's answer scale."""
    if not design.named_cells:
        raise ValueError("the separate layout (one control per experiment) is gaussian_model's")
    check_controls(survey, design)
    priors = GaussianPriors().for_scale(design.scale_points) if priors is None else priors
    table = named_cell_statistics(counted_respondents(survey))
    coords, roles = _layout_cells(design, set(table.index))
    table = table.loc[coords["cell"]]
    baseline_mean = priors.baseline_mean if priors.baseline_mean is not None else (1 + design.scale_points) / 2
    n, mean, sd = (table[k].to_numpy(dtype=float) for k in ("n", "mean", "sd"))
    with pm.Model(coords=coords) as model:
        base = pm.Normal("baseline_mean", baseline_mean, priors.baseline_sd)  # the reference cell's mean
        free = pm.Normal("cell_effect_free", 0.0, priors.effect_sd, dims="free_cell")
        mu = pm.Deterministic("cell_mean", base + pt.concatenate([pt.zeros(1), free]), dims="cell")
        _cell_contrasts(mu, roles)
        sigma = pm.HalfNormal("cell_sd", priors.sigma_scale, dims="cell")
        _cell_statistics_likelihood(mu, sigma, n, np.sqrt(n), mean, sd, "cell")
    return model


def welch_tests(cells: pd.DataFrame) -> pd.DataFrame:
    """Welch's t-test of each contrast from cell statistics: each recovery level against no failure,
    and favourable against unfavourable (the moderator hypothesis). One-sided p in the predicted
    direction (favourable > control for the paradox; favourable > unfavourable for the hypothesis)."""
    rows = []
    for experiment, group in cells.groupby(EXPERIMENT, sort=False):
        stat = group.set_index(CELL)
        contrasts = [
            ("recovery_favourable - no_failure", RECOVERY_LEVELS[0], NO_FAILURE),
            ("recovery_unfavourable - no_failure", RECOVERY_LEVELS[1], NO_FAILURE),
            ("favourable - unfavourable", RECOVERY_LEVELS[0], RECOVERY_LEVELS[1]),
        ]
        for name, a, b in contrasts:
            t, p_two = stats.ttest_ind_from_stats(
                stat.at[a, "mean"], stat.at[a, "sd"], stat.at[a, "n"],
                stat.at[b, "mean"], stat.at[b, "sd"], stat.at[b, "n"], equal_var=False,
            )
            va, vb = stat.at[a, "sd"] ** 2 / stat.at[a, "n"], stat.at[b, "sd"] ** 2 / stat.at[b, "n"]
            df = (va + vb) ** 2 / (va**2 / (stat.at[a, "n"] - 1) + vb**2 / (stat.at[b, "n"] - 1))
            rows.append({
                EXPERIMENT: experiment, "contrast": name,
                "difference": stat.at[a, "mean"] - stat.at[b, "mean"], "se": np.sqrt(va + vb),
                "t": t, "df": df, "p_two_sided": p_two, "p_one_sided": stats.t.sf(t, df),
            })
    return pd.DataFrame(rows)


def observed_pattern_data(survey: Survey) -> dict[str, np.ndarray]:
    """The survey's observed answer patterns: the values of the integrated likelihood's pm.Data
    (ordinal.PATTERN_ANSWERS, ordinal.PATTERN_GROUP, PATTERN_COUNTS)."""
    patterns, answers = answer_patterns(survey)
    return {
        ordinal.PATTERN_ANSWERS: answers.astype("int64"),
        ordinal.PATTERN_GROUP: _cell_group(patterns, experiments_in(survey)).astype("int64"),
        PATTERN_COUNTS: patterns["n"].to_numpy(dtype=float),
    }


def observed_patterns_model(survey: Survey, priors: OrdinalPriors = OrdinalPriors(),
                            pooled: bool = True) -> pm.Model:
    """The integrated ordinal model (`ordinal_model(..., integrate_respondents=True)`, the same posterior)
    over the survey's observed answer patterns only.

    `pattern_grid` makes one model for every survey of a design by listing every possible pattern
    (12 cells x 7^3 = 4,116), but a survey of a few hundred respondents per experiment shows only a few
    hundred of them, and the cost of a gradient grows with the rows. The answers, cells and counts are all
    pm.Data without a static length, so one compiled model refits every survey of the same experiments,
    whatever its number of patterns (nutpie's `with_data`; paradox.studies.compiled).
    """
    if adjustment_columns(survey):
        raise ValueError("observed_patterns_model fits experiment and cell alone, not "
                         f"{', '.join(adjustment_columns(survey))}: "
                         "use ordinal_model(..., integrate_respondents=True)")
    data = observed_pattern_data(survey)
    coords = {**coords_for(survey), "pattern": np.arange(len(data[PATTERN_COUNTS]))}
    n_items = len(coords["item"])
    with pm.Model(coords=coords) as model:
        cutpoints, respondent_sd, shift = _integrated_parameters(
            n_items, survey.spec.n_categories - 1, len(coords["experiment"]), priors, pooled)
        ordinal.integrated_likelihood("satisfaction_integrated", data[ordinal.PATTERN_ANSWERS],
                                      data[ordinal.PATTERN_GROUP], cutpoints, shift, respondent_sd,
                                      data[PATTERN_COUNTS], counts_name=PATTERN_COUNTS)
    return model
