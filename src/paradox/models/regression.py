"""A general regression for survey answers: any ordinal outcome (or its scale mean)
against categorical and numeric predictors, with optional random intercepts.

Ordinal (cumulative logit or probit), after McCullagh (1980) and MASS::polr:

    P(answer <= k) = F(cutpoint[k] - eta),   eta = sum of effects + random intercepts

with all K-1 cutpoints free (so no intercept), ordered, and an ordered initial value.
A factor is treatment-coded: its first level is the baseline, and the model has one
effect per other level, named `factor[level]`. A numeric covariate has one slope named
after its column. With several items, the items share the cutpoints and `item[name]` shifts each item against
the first (`cutpoints="shared"`), or each item has its own K-1 free cutpoints, `cutpoints[item, lo|hi]`
(`cutpoints="per_item"`, as `ordinal::clm(..., nominal = ~ item)`): its answers may then spread differently, not
only sit higher or lower.
A grouping column adds a random intercept per group, `group[name]`, with sd `group_sd`
(non-centred, and summing to zero over the groups so that the cutpoints carry the overall
level); `respondent_intercept` does the same per respondent (sd `respondent_sd`). An interaction of two factors
(`RegressionSpec.interactions`, as R's a:b beside a + b) adds one effect per pair of non-baseline
levels, named `a:b[level_a:level_b]` (R's treatment coding, so it matches `clm(y ~ a * b)`). A pooled block
(`RegressionSpec.pooled`, a|b) lets factor a's effects vary across the levels of factor b, partially pooled:
`a|b[level_b, level_a]` = `a|b_mean[level_a]` + `a|b_tau` z, in place of a's main effect (b keeps its own), as the
SRP model's recovery effects vary across experiments; a separate block (`RegressionSpec.separate`, a|b unpooled) gives
each level of b its own effects of a, each ~ N(0, effect_sd), as the SRP verdicts' recovery effects (a:b beside a
differs in its priors: there the effects in b's baseline level are a's main effect, and the others add to it).

Gaussian: each respondent's mean answer over the items they answered, normal around
intercept + effects, with residual sd `sigma`.

Collapsing: unless the model has a respondent-level effect, the likelihood depends on an
answer only through its predictors, so identical rows are collapsed into counts first
(frequency weights add up in the same way). The ordinal model is then one Multinomial per
predictor pattern, and the Gaussian model uses each pattern's mean and sum of squares,
which is exact. Its cost grows with the number of patterns, not of respondents.
With a respondent intercept, frequency weights need the intercepts integrated out (`integrate_respondents`), where
a weight counts its respondent's answer pattern; sampled intercepts would need one per weighted respondent.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import xarray as xr
from scipy import special, stats

from paradox.data import Survey
from paradox.models import ordinal
from paradox.models.terms import Term, factor_effects, frequency_weights, linear_predictor, term_coords

FAMILIES = ("ordinal", "gaussian")
LINKS = ("logit", "probit")
#: The items' cutpoints: one set shifted per item (`item` effects), or free for each item.
CUTPOINTS = ("shared", "per_item")
#: Names the model uses for itself; a predictor column may not take them.
RESERVED_NAMES = ("cutpoints", "cutpoints_centred", "intercept", "intercept_centred", "sigma", "answers", "mean_answer", "within_pattern", "item", "respondent")


@dataclass(frozen=True)
class Priors:
    """Weakly informative priors. None takes the default for the family.

    The cutpoint and intercept priors apply at the average predictors (see paradox.models.terms.linear_predictor).

    ordinal (logit units), set for respondents spread by ordinal.DEFAULT_RESPONDENT_SPREAD logits: effects and
    slopes Normal(0, 2.5) (a slope per unit of its covariate), cutpoints Normal(0, 5), the sd of a grouping
    column's intercepts HalfNormal(1), of the respondents' HalfNormal(3) and a pooled block's spread HalfNormal(1)
    (as the SRP model's); `resolved` scales them to another spread (ordinal.scaled_prior);
    gaussian, on a scale from lo to hi with range R = hi - lo: intercept
    Normal((lo + hi) / 2, R), effects Normal(0, R / 2), sigma and sds HalfNormal(R / 2), a pooled block's spread
    HalfNormal(R / 12) (0.5 points on a 1..7 scale, as the SRP Gaussian model's).
    """

    effect_sd: float | None = None
    cutpoint_sd: float | None = None
    group_sd: float | None = None
    respondent_sd: float | None = None
    intercept_sd: float | None = None
    sigma_sd: float | None = None
    effect_spread: float | None = None  # a pooled block's tau (RegressionSpec.pooled)

    def resolved(self, family: str, scale: tuple[int, int], respondent_spread: float | None = None) -> "Priors":
        """Every scale set: those given kept, the others the family's defaults; an ordinal model's scaled to
        `respondent_spread` (logits) when given."""
        if family == "ordinal":
            latent = {"effect_sd": 2.5, "cutpoint_sd": 5.0, "group_sd": 1.0, "respondent_sd": 3.0, "effect_spread": 1.0}
            if respondent_spread is not None:
                latent = {k: ordinal.scaled_prior(v, respondent_spread) for k, v in latent.items()}
            defaults = {**latent, "intercept_sd": None, "sigma_sd": None}
        else:
            r = float(scale[1] - scale[0])
            # no cutpoints; one scale mean per respondent, so no respondent intercept
            defaults = {"effect_sd": r / 2, "cutpoint_sd": None, "group_sd": r / 2, "respondent_sd": None,
                        "intercept_sd": r, "sigma_sd": r / 2, "effect_spread": r / 12}
        return Priors(**{k: (getattr(self, k) if getattr(self, k) is not None else v) for k, v in defaults.items()})

    def given(self) -> tuple[str, ...]:
        """The scales set here (not left to the defaults)."""
        return tuple(f.name for f in dataclasses.fields(self) if getattr(self, f.name) is not None)


@dataclass(frozen=True)
class RegressionSpec:
    """Which model: `family` ordinal or gaussian, `link` logit or probit (ordinal only)."""

    family: str = "ordinal"
    link: str = "logit"
    respondent_intercept: bool = False
    item_effects: bool = True
    #: "shared" (shifted per item by the item effects) or "per_item" (each item its own; no item effects).
    cutpoints: str = "shared"
    priors: Priors = field(default_factory=Priors)
    #: Pairs of factors (a, b) whose interaction a:b enters besides their main effects.
    interactions: tuple[tuple[str, str], ...] = ()
    #: Integrate the respondents' intercepts out of the likelihood instead of sampling them (`respondent_intercept`,
    #: predictors constant within a respondent: see `integration_refused`).
    integrate_respondents: bool = False
    #: Pairs of factors (a, b): a's effects vary across b's levels, partially pooled (a|b; see the module docstring).
    pooled: tuple[tuple[str, str], ...] = ()
    #: Pairs of factors (a, b): a's effects in each of b's levels, each their own (a|b unpooled).
    separate: tuple[tuple[str, str], ...] = ()
    #: (term name, sd): that term's effects or slope ~ Normal(0, sd) in place of the priors' effect_sd (the SRP cell
    #: model's covariates: effect_sd / the covariate's SD, paradox.models.srp.adjustment_priors).
    term_priors: tuple[tuple[str, float], ...] = ()

    def __post_init__(self):
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {', '.join(FAMILIES)}, not {self.family!r}")
        if self.link not in LINKS:
            raise ValueError(f"link must be one of {', '.join(LINKS)}, not {self.link!r}")
        if self.cutpoints not in CUTPOINTS:
            raise ValueError(f"cutpoints must be one of {', '.join(CUTPOINTS)}, not {self.cutpoints!r}")
        if self.family == "gaussian" and self.cutpoints != "shared":
            raise ValueError("the gaussian model has no cutpoints: cutpoints='per_item' is for the ordinal model")
        if self.family == "gaussian" and self.respondent_intercept:
            raise ValueError("the gaussian model has one scale mean per respondent: it cannot have a respondent intercept")
        if self.integrate_respondents and not self.respondent_intercept:
            raise ValueError("integrate_respondents needs a respondent intercept (respondent_intercept=True)")


@dataclass
class RegressionModel:
    """A built model and the rows its likelihood sees.

    `rows`: one row per predictor pattern (collapsed) or per answer (not collapsed), with
    the predictor columns and, when collapsed, the counts of each answer (`counts`, ordinal)
    or n/mean/sum of squares (gaussian).
    """

    model: pm.Model
    spec: RegressionSpec
    survey: Survey
    terms: tuple[Term, ...]
    rows: pd.DataFrame
    collapsed: bool
    observed: str
    parameters: list[str]
    counts: np.ndarray | None = None
    #: With the respondents' intercepts integrated out: the same model with them sampled, whose observed answers
    #: (`rows`, `observed`) the posterior predictive draws come from (new respondents' intercepts drawn afresh);
    #: and how many answer patterns the likelihood sums over. With frequency weights, the sampled model is that of
    #: the survey written out (`written_out`), and None when that would be too large.
    predictive_model: pm.Model | None = None
    n_patterns: int | None = None

    @property
    def n_likelihood_rows(self) -> int:
        return self.n_patterns if self.n_patterns is not None else len(self.rows)

    @property
    def has_random_intercepts(self) -> bool:
        """Whether the model samples intercepts (per respondent or group) and their sd, which mixes slowly."""
        sampled_respondents = self.spec.respondent_intercept and not self.spec.integrate_respondents
        return bool(sampled_respondents or self.survey.spec.group)


def category_labels(survey: Survey) -> list[str]:
    spec = survey.spec
    return list(spec.labels) if spec.labels else [str(k) for k in range(spec.scale[0], spec.scale[1] + 1)]


def cutpoint_labels(survey: Survey) -> list[str]:
    """polr-style names: 'Low|Medium' is the cut between Low and Medium."""
    labels = category_labels(survey)
    return [f"{a}|{b}" for a, b in zip(labels[:-1], labels[1:])]


def model_terms(survey: Survey, spec: RegressionSpec) -> tuple[Term, ...]:
    terms = []
    if spec.family == "ordinal" and spec.item_effects and spec.cutpoints == "shared" and len(survey.items) > 1:
        terms.append(Term("item", tuple(survey.items)))
    for name in survey.spec.factors:
        levels = tuple(str(c) for c in survey.answers[name].cat.categories)
        if len(levels) > 1:  # a factor with one level is a constant: the cutpoints absorb it
            terms.append(Term(name, levels))
    terms += [Term(name) for name in survey.spec.covariates]
    factors = {t.name: t for t in terms if t.is_factor and t.name != "item"}
    blocks = [(a, b, True) for a, b in spec.pooled] + [(a, b, False) for a, b in spec.separate]
    for a, b, pooling in blocks:
        kind = "pooled" if pooling else "separate"
        missing = [f for f in (a, b) if f not in factors]
        if missing or a == b or any(a in pair for pair in spec.interactions):
            raise ValueError(f"{kind} {a}|{b}: " + (
                f"{', '.join(missing)} is not a factor of the model (with more than one level)" if missing else
                "a factor cannot vary across itself" if a == b else
                f"{a} also enters an interaction; its effects already differ by the levels of {b}"))
        if sum(block[0] == a for block in blocks) > 1:
            raise ValueError(f"{kind} {a}|{b}: {a}'s effects can vary across one factor, in one block")
        # a's effects in each level of b replace a's main effect; b keeps its own (the groups' baselines)
        terms = [t for t in terms if t.name != a]
        terms.append(Term(f"{a}|{b}", factors[a].levels, components=(a, b), groups=factors[b].levels,
                          pooling=pooling))
    for a, b in spec.interactions:
        missing = [f for f in (a, b) if f not in factors]
        if missing or a == b:
            raise ValueError(f"interaction {a}:{b}: "
                             + (f"{', '.join(missing)} is not a factor of the model (with more than one level)"
                                if missing else "a factor cannot interact with itself"))
        pairs = [f"{la}:{lb}" for la in factors[a].levels[1:] for lb in factors[b].levels[1:]]
        # the first "level" stands for every baseline pair, as levels[0] does for a factor
        terms.append(Term(f"{a}:{b}", ("baseline", *pairs), components=(a, b)))
    columns = [*survey.spec.factors, *survey.spec.covariates, *[c for c in (survey.spec.group,) if c]]
    for name in columns:
        if name in RESERVED_NAMES:
            raise ValueError(f"column name {name!r} is used by the model itself; rename the column")
    return tuple(terms)


def build_regression(survey: Survey, spec: RegressionSpec, *, collapse: bool | None = None) -> RegressionModel:
    """Build the model for `survey`. `collapse` None collapses whenever the model allows it."""
    can_collapse = not spec.respondent_intercept
    collapse = can_collapse if collapse is None else collapse
    if collapse and not can_collapse:
        raise ValueError("a model with a respondent intercept cannot be collapsed")
    if survey.spec.within_respondent and not spec.respondent_intercept:
        raise ValueError(f"{', '.join(survey.spec.within_respondent)} changes within respondents: a model of such a "
                         "survey needs a respondent intercept (respondent_intercept=True), or its answers would count "
                         "as independent respondents")
    if spec.respondent_intercept and survey.spec.weight and not spec.integrate_respondents:
        raise ValueError("frequency weights cannot be combined with sampled respondent intercepts (a weighted row "
                         "stands for several respondents, each with their own intercept); integrated out "
                         "(integrate_respondents=True), a weight counts its respondent's answer pattern that often")
    terms = model_terms(survey, spec)
    priors = spec.priors.resolved(spec.family, survey.spec.scale)
    if spec.integrate_respondents:
        refused = integration_refused(survey, spec)
        if refused:
            raise ValueError(f"the respondents' intercepts cannot be integrated out: {refused}")
        # The same model with the intercepts sampled: for posterior predictive draws of the answers. With weights,
        # of the survey written out (a respondent of weight w as w respondents), unless that is too large.
        predictive = written_out(survey) if survey.spec.weight else survey
        sampled_spec = dataclasses.replace(spec, integrate_respondents=False)
        sampled = _build_ordinal(predictive or _unweighted(survey), sampled_spec, terms, priors, False)
        return _integrated_ordinal(survey, spec, terms, priors, sampled, predictive is not None)
    if spec.family == "ordinal":
        return _build_ordinal(survey, spec, terms, priors, collapse)
    return _build_gaussian(survey, spec, terms, priors)


#: The most answers a weighted survey is written out to for posterior predictive draws (`written_out`).
MAX_WRITTEN_OUT_ANSWERS = 200_000


def _unweighted(survey: Survey) -> Survey:
    return dataclasses.replace(survey, spec=dataclasses.replace(survey.spec, weight=None))


def written_out(survey: Survey) -> Survey | None:
    """The survey without weights, each respondent of weight w written out as w respondents (ids `id#0`, `id#1`,
    ...; weight 0: left out); None when that would exceed MAX_WRITTEN_OUT_ANSWERS answers."""
    weight = survey.spec.weight
    answer_weights = np.rint(survey.answers[weight].to_numpy(dtype=float)).astype(np.int64)
    if answer_weights.sum() > MAX_WRITTEN_OUT_ANSWERS:
        return None

    def repeated(frame: pd.DataFrame, times: np.ndarray) -> pd.DataFrame:
        rows = frame.loc[frame.index.repeat(times)]
        copy = rows.groupby(level=0).cumcount().astype(str)  # the same copy number for all answers of a copy
        return rows.assign(respondent=rows["respondent"].astype(str) + "#" + copy,
                           **{weight: 1}).reset_index(drop=True)

    respondent_weights = np.rint(survey.respondents[weight].to_numpy(dtype=float)).astype(np.int64)
    return _unweighted(dataclasses.replace(survey, answers=repeated(survey.answers, answer_weights),
                                           respondents=repeated(survey.respondents, respondent_weights)))


def integration_refused(survey: Survey, spec: RegressionSpec) -> str | None:
    """Why this model's respondent intercepts cannot be integrated out of its likelihood, or None when they can.

    The integrated likelihood (paradox.models.ordinal.integrated_likelihood) multiplies a respondent's answers at
    each value of their intercept, with one latent shift per respondent and per-item cutpoints: so every predictor
    but the item must be constant within a respondent, and each item answered once."""
    if not spec.respondent_intercept:
        return "the model has no respondent intercept"
    if survey.spec.within_respondent:
        return f"{', '.join(survey.spec.within_respondent)} changes within respondents"
    answers = survey.answers
    columns = _predictor_columns(survey, tuple(t for t in model_terms(survey, spec) if t.name != "item"))
    if columns:
        distinct = answers.groupby("respondent", observed=True)[columns].nunique(dropna=False)
        varying = [c for c in columns if (distinct[c] > 1).any()]
        if varying:
            return f"{', '.join(varying)} changes within respondents"
    if answers.duplicated(["respondent", "item"]).any():
        return "a respondent answered an item more than once"
    return None


def _predictor_columns(survey: Survey, terms: tuple[Term, ...]) -> list[str]:
    columns = [t.name for t in terms if t.components is None]
    columns += [c for t in terms if t.is_block for c in t.components if c not in columns]
    return columns + [c for c in (survey.spec.group,) if c]


def _collapse_ordinal(survey: Survey, columns: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """One row per distinct predictor pattern, with the (weighted) count of each answer."""
    answers = survey.answers.assign(_weight=frequency_weights(survey.answers, survey))
    answers = answers[answers["_weight"] > 0]
    lo, k = survey.spec.scale[0], survey.spec.n_categories
    if not columns:  # no predictors: one pattern, everybody
        counts = np.bincount(answers["answer"].to_numpy() - lo, weights=answers["_weight"].to_numpy(), minlength=k)
        return pd.DataFrame(index=[0]), np.rint(counts[None, :]).astype(np.int64)
    table = answers.pivot_table(index=columns, columns="answer", values="_weight", aggfunc="sum",
                                fill_value=0, observed=True, dropna=False)
    table = table.reindex(columns=range(lo, lo + k), fill_value=0)
    table = table[table.sum(axis=1) > 0]
    rows = table.index.to_frame(index=False)
    for name in columns:  # keep the categories (levels and their order) through the pivot
        if isinstance(survey.answers[name].dtype, pd.CategoricalDtype):
            rows[name] = pd.Categorical(rows[name].astype(str), categories=survey.answers[name].cat.categories)
    return rows, np.rint(table.to_numpy()).astype(np.int64)


def _initial_cutpoints(counts_by_category: np.ndarray, link: str) -> np.ndarray:
    """Cutpoints at the observed cumulative proportions: an ordered start near the answer."""
    k = len(counts_by_category)
    shares = (counts_by_category + 0.5) / (counts_by_category.sum() + 0.5 * k)
    cumulative = np.clip(np.cumsum(shares)[:-1], 0.02, 0.98)
    start = special.logit(cumulative) if link == "logit" else stats.norm.ppf(cumulative)
    return start + np.arange(k - 1) * 1e-3  # strictly increasing even where shares tie


def _cutpoint_coords(survey: Survey, spec: RegressionSpec) -> dict[str, list]:
    items = {"item": list(survey.answers["item"].cat.categories)} if spec.cutpoints == "per_item" else {}
    return {**items, "cutpoint": cutpoint_labels(survey)}


def _cutpoints(survey: Survey, spec: RegressionSpec, priors: Priors, centred: bool, offsets: tuple,
               per_category: np.ndarray):
    """The cutpoints (inside a model context): shared, (cutpoint), or per item, (item, cutpoint); ordered, each
    N(0, cutpoint_sd), started at the observed cumulative proportions (`per_category`, the answers per category;
    per item, each item's own). With centred predictors they are sampled as `cutpoints_centred` (their prior
    applies at the average predictors) and reported as polr does, at the baseline levels and covariates = 0:
    `cutpoints` = cutpoints_centred + what centring took out of eta (`offsets`, added in turn)."""
    name = "cutpoints_centred" if centred else "cutpoints"
    if spec.cutpoints == "shared":
        cutpoints = ordinal.shared_cutpoints(name, priors.cutpoint_sd, _initial_cutpoints(per_category, spec.link))
    else:
        lo, k = survey.spec.scale[0], survey.spec.n_categories
        answers, item = survey.answers, survey.answers["item"].cat.codes.to_numpy()
        codes = answers["answer"].to_numpy() - lo
        n_items = len(answers["item"].cat.categories)
        start = np.stack([_initial_cutpoints(np.bincount(codes[item == i], minlength=k), spec.link)
                          for i in range(n_items)])
        cutpoints = ordinal.item_cutpoints(n_items, k - 1, priors.cutpoint_sd, name=name, initval=start,
                                           dims=("item", "cutpoint"))
    if centred:
        reported = cutpoints
        for offset in offsets:
            reported = reported + offset
        pm.Deterministic("cutpoints", reported, dims=tuple(_cutpoint_coords(survey, spec)))
    return cutpoints


def _build_ordinal(survey, spec, terms, priors, collapse) -> RegressionModel:
    lo, k = survey.spec.scale[0], survey.spec.n_categories
    per_item = spec.cutpoints == "per_item"
    columns = _predictor_columns(survey, terms) + (["item"] if per_item else [])
    if spec.respondent_intercept:
        columns = columns + ["respondent"]
    if collapse:
        rows, counts = _collapse_ordinal(survey, columns)
        per_category = counts.sum(axis=0)
    else:
        if survey.spec.weight:
            raise ValueError("frequency weights enter the likelihood as counts: the model must be collapsed")
        rows = survey.answers[[*columns, "answer"]].reset_index(drop=True)
        counts = None
        per_category = np.bincount(rows["answer"].to_numpy() - lo, minlength=k)
    coords = {**_cutpoint_coords(survey, spec), "answer_category": category_labels(survey),
              "pattern" if collapse else "answer_row": np.arange(len(rows)), **term_coords(terms)}
    with pm.Model(coords=coords) as model:
        eta, offset, names = linear_predictor(rows, terms, priors.effect_sd, priors.group_sd, survey,
                                              spec.respondent_intercept, survey.answers, dict(spec.term_priors),
                                              respondent_sd=priors.respondent_sd, effect_spread=priors.effect_spread)
        cutpoints = _cutpoints(survey, spec, priors, bool(terms), (offset,), per_category)
        if per_item:  # each row's item's cutpoints
            cutpoints = cutpoints[rows["item"].cat.codes.to_numpy()]
        if collapse:
            ordinal.category_count_likelihood("answers", eta, cutpoints, counts, link=spec.link,
                                              dims=("pattern", "answer_category"))
        else:
            ordinal.answer_likelihood("answers", eta, cutpoints, rows["answer"].to_numpy() - lo, link=spec.link,
                                      dims="answer_row")
    return RegressionModel(
        model=model, spec=spec, survey=survey, terms=terms, rows=rows, collapsed=collapse,
        observed="answers", parameters=[*names, "cutpoints"], counts=counts,
    )


def _integrated_ordinal(survey: Survey, spec: RegressionSpec, terms, priors, sampled: RegressionModel,
                        predicts: bool = True) -> RegressionModel:
    """The ordinal model of `sampled` (respondent intercepts sampled, zero-sum) with iid N(0, respondent_sd)
    intercepts integrated out instead, over the counts of identical (predictors, answers) patterns: with frequency
    weights, the summed weights of the respondents with that pattern (exactly as if each were there `weight` times).

    The parameters are the sampled model's (names, priors and centring): an answer's latent value is
    eta[respondent] + item[i] + u, so the item effects move into per-item cutpoints, cutpoints - item[i] (each
    item's cutpoints stay in order), and each pattern's shift is the respondent's eta without the item."""
    answers = survey.answers
    lo, k = survey.spec.scale[0], survey.spec.n_categories
    item_term = next((t for t in terms if t.name == "item"), None)
    person_terms = tuple(t for t in terms if t.name != "item")
    columns = _predictor_columns(survey, person_terms)
    items = list(answers["item"].cat.categories)
    # One row per respondent: their predictors and their answer to each item, 0-based, k = unanswered.
    wide = answers.pivot(index="respondent", columns="item", values="answer").reindex(columns=items)
    people = answers.groupby("respondent", observed=True, sort=False)[columns].first().reindex(wide.index)
    codes = wide.fillna(lo + k).to_numpy(dtype=np.int64) - lo
    answer_columns = [f"_answer{i}" for i in range(len(items))]
    weights = answers.assign(_weight=frequency_weights(answers, survey)).groupby(
        "respondent", observed=True, sort=False)["_weight"].first().reindex(wide.index)  # constant per respondent
    table = people.reset_index(drop=True).assign(**dict(zip(answer_columns, codes.T)), _weight=weights.to_numpy())
    patterns = table.groupby([*columns, *answer_columns], observed=True, sort=True, dropna=False)["_weight"].sum()
    patterns = np.rint(patterns[patterns > 0]).astype(np.int64)  # weights are whole numbers; weight 0: nobody
    rows = patterns.index.to_frame(index=False)
    # The distinct predictor combinations ("groups"): with few of them, the likelihood tabulates each group's
    # answer probabilities once (pattern_integral); with about one per pattern (a covariate), it computes each
    # pattern's own (pattern_shift_integral), which costs more per pattern.
    if columns:
        group_of, groups = _factorised(rows[columns])
    else:  # no predictor but the item: one group
        group_of, groups = np.zeros(len(rows), dtype=np.int64), rows.iloc[:1, :0]
    tabulate = len(groups) * (k + 1) <= len(rows)
    person_rows = (groups if tabulate else rows).copy()
    for name in columns:  # keep the categories (levels and their order) through the grouping
        if isinstance(answers[name].dtype, pd.CategoricalDtype):
            person_rows[name] = pd.Categorical(person_rows[name].astype(str), categories=answers[name].cat.categories)
    coords = {**_cutpoint_coords(survey, spec), "pattern": np.arange(len(rows)), **term_coords(terms)}
    with pm.Model(coords=coords) as model:
        names = []
        item_shift, item_offset = pt.zeros(len(items)), pt.zeros(())
        if item_term is not None:  # coded and centred on the answers as terms.linear_predictor does
            full, shares = factor_effects(item_term, priors.effect_sd, answers, frequency_weights(answers, survey))
            item_shift, item_offset = full - pt.dot(full, shares), pt.dot(full, shares)
            names.append("item")
        eta, offset, person_names = linear_predictor(person_rows, person_terms, priors.effect_sd, priors.group_sd,
                                                     survey, False, answers, dict(spec.term_priors),
                                                     effect_spread=priors.effect_spread)
        names += person_names
        sd = pm.HalfNormal("respondent_sd", priors.respondent_sd)
        names.append("respondent_sd")
        per_category = np.bincount(answers["answer"].to_numpy() - lo, minlength=k)
        cutpoints = _cutpoints(survey, spec, priors, bool(terms), (offset, item_offset), per_category)
        if spec.cutpoints == "shared":  # the items' shifts move into per-item cutpoints
            cutpoints = cutpoints[None, :] - item_shift[:, None]
        ordinal.integrated_likelihood("answers", rows[answer_columns].to_numpy(), group_of if tabulate else None,
                                      cutpoints, eta, sd, patterns.to_numpy(), counts_name="pattern_count",
                                      link=spec.link)
    return dataclasses.replace(sampled, model=model, spec=spec, survey=survey, parameters=[*names, "cutpoints"],
                               predictive_model=sampled.model if predicts else None, n_patterns=len(rows))


def _factorised(frame: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Each row's index into the distinct rows of `frame`, and those rows (in order of first appearance)."""
    codes, _ = pd.factorize(pd.MultiIndex.from_frame(frame.astype(object)))
    first = np.unique(codes, return_index=True)[1]  # the first row of each code, in code order
    return codes.astype(np.int64), frame.iloc[first].reset_index(drop=True)


def respondent_means(survey: Survey) -> pd.DataFrame:
    """One row per respondent: their predictors, weight, and mean answer over answered items."""
    means = survey.answers.groupby("respondent", observed=True, sort=False)["answer"].mean()
    return survey.respondents.assign(mean_answer=survey.respondents["respondent"].map(means).to_numpy())


def _build_gaussian(survey, spec, terms, priors) -> RegressionModel:
    columns = _predictor_columns(survey, terms)
    people = respondent_means(survey).assign(_weight=lambda d: frequency_weights(d, survey))
    people = people[people["_weight"] > 0]
    y, w = people["mean_answer"], people["_weight"]
    people = people.assign(_wy=w * y, _wyy=w * y * y)
    sums = people[["_weight", "_wy", "_wyy"]]
    if columns:
        rows = sums.groupby([people[c] for c in columns], observed=True).sum().reset_index()
    else:  # no predictors: one pattern, everybody
        rows = sums.sum().to_frame().T
    for name in columns:
        if isinstance(survey.respondents[name].dtype, pd.CategoricalDtype):
            rows[name] = pd.Categorical(rows[name].astype(str), categories=survey.respondents[name].cat.categories)
    rows["n"] = rows.pop("_weight")
    rows["mean_answer"] = rows.pop("_wy") / rows["n"]
    rows["sum_of_squares"] = np.maximum(rows.pop("_wyy") - rows["n"] * rows["mean_answer"] ** 2, 0.0)
    lo, hi = survey.spec.scale
    n = rows["n"].to_numpy(dtype=float)
    with pm.Model(coords={"pattern": np.arange(len(rows)), **term_coords(terms)}) as model:
        eta, offset, names = linear_predictor(rows, terms, priors.effect_sd, priors.group_sd, survey,
                                              spec.respondent_intercept, survey.respondents, dict(spec.term_priors),
                                              effect_spread=priors.effect_spread)
        centred = bool(terms)
        intercept = pm.Normal("intercept_centred" if centred else "intercept", (lo + hi) / 2, priors.intercept_sd)
        if centred:  # reported as lm does: at the baseline levels and covariates = 0
            pm.Deterministic("intercept", intercept - offset)
        sigma = pm.HalfNormal("sigma", priors.sigma_sd)
        mu = intercept + eta
        # The normal likelihood of a pattern's respondents factorises into its mean ...
        pm.Normal("mean_answer", mu, sigma / np.sqrt(n), observed=rows["mean_answer"].to_numpy(), dims="pattern")
        # ... and its spread around that mean (zero for a single respondent).
        pm.Potential("within_pattern", pt.sum(-(n - 1) * pt.log(sigma) - rows["sum_of_squares"].to_numpy() / (2 * sigma**2)))
    return RegressionModel(
        model=model, spec=spec, survey=survey, terms=terms, rows=rows, collapsed=True,
        observed="mean_answer", parameters=["intercept", *names, "sigma"],
    )


def answer_distribution_check(fitted: RegressionModel, idata: xr.DataTree, by: str | None = None) -> pd.DataFrame:
    """Observed and posterior-predicted share of each answer (ordinal), per level of `by`.

    Needs a posterior_predictive group. Returns one row per (level, category) with the
    observed share and the predictive median and 95% interval of the share, each with its Monte Carlo SE
    (predicted_mcse, lower_mcse, upper_mcse).
    """
    if fitted.spec.family != "ordinal":
        raise ValueError("the answer distribution check is for ordinal models")
    labels = category_labels(fitted.survey)
    lo, k = fitted.survey.spec.scale[0], fitted.survey.spec.n_categories
    predicted = idata["posterior_predictive"][fitted.observed].to_numpy()  # chain, draw, rows[, k]
    chains_draws = predicted.shape[:2]
    predicted = predicted.reshape(-1, *predicted.shape[2:])
    if fitted.collapsed:
        observed, draws = fitted.counts.astype(float), predicted.astype(float)
    else:
        observed = np.eye(k)[fitted.rows["answer"].to_numpy() - lo]
        draws = np.eye(k)[predicted]
    groups = fitted.rows[by].astype(str).to_numpy() if by else np.full(len(fitted.rows), "all")
    order = list(fitted.rows[by].cat.categories) if by else ["all"]
    records = []
    for level in order:
        mask = groups == level
        obs = observed[mask].sum(axis=0)
        sim = draws[:, mask].sum(axis=1)
        obs_share = obs / obs.sum()
        sim_share = sim / sim.sum(axis=1, keepdims=True)
        q = np.quantile(sim_share, [0.025, 0.5, 0.975], axis=0)
        by_chain = xr.DataArray(sim_share.reshape(*chains_draws, k), dims=("chain", "draw", "category"))
        mcse = [az.mcse(by_chain, method="quantile", prob=prob).to_numpy() for prob in (0.025, 0.5, 0.975)]
        for j, label in enumerate(labels):
            records.append({"level": level, "answer": label, "observed": obs_share[j],
                            "predicted": q[1, j], "lower": q[0, j], "upper": q[2, j],
                            "predicted_mcse": mcse[1][j], "lower_mcse": mcse[0][j], "upper_mcse": mcse[2][j]})
    return pd.DataFrame.from_records(records)


def pattern_mean_check(fitted: RegressionModel, idata: xr.DataTree) -> pd.DataFrame:
    """Gaussian model: each pattern's observed mean answer and its 95% predictive interval, with their Monte
    Carlo SEs (predicted_mcse, lower_mcse, upper_mcse)."""
    by_chain = idata["posterior_predictive"][fitted.observed]
    predicted = by_chain.stack(sample=("chain", "draw")).transpose("sample", ...)
    q = np.quantile(predicted.to_numpy(), [0.025, 0.5, 0.975], axis=0)
    mcse = [az.mcse(by_chain, method="quantile", prob=prob).to_numpy() for prob in (0.025, 0.5, 0.975)]
    predictors = [c for c in fitted.rows.columns if c not in ("n", "mean_answer", "sum_of_squares")]
    label = fitted.rows[predictors].astype(str).agg(", ".join, axis=1) if predictors else pd.Series(["all"] * len(fitted.rows))
    return pd.DataFrame({"pattern": label.to_numpy(), "n": fitted.rows["n"].to_numpy(),
                         "observed": fitted.rows["mean_answer"].to_numpy(),
                         "predicted": q[1], "lower": q[0], "upper": q[2],
                         "predicted_mcse": mcse[1], "lower_mcse": mcse[0], "upper_mcse": mcse[2]})
