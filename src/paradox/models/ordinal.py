"""The one ordinal engine: every ordinal likelihood of the package is built here.

A cumulative-link model of answers on a K-point scale,

    P(answer <= k) = F(cutpoint[item, k] - eta),   F logistic (logit) or normal (probit),

with eta the sum of fixed effects (`paradox.models.terms`, from a model spec), random intercepts for
respondents and grouping columns, and a partially pooled block of effects across experiments. Pieces:

* cutpoints: free per item (`item_cutpoints`, the SRP models) or one shared set (`shared_cutpoints`, with the
  items' shifts as fixed effects, the regression), ordered by transform;
* random intercepts: zero-sum, non-centred, per level of a column (`zero_sum_intercepts`: respondents or a
  grouping column), or iid per respondent decomposed into cell means and deviations
  (`cell_decomposed_intercepts`, the SRP form that mixes well at a realistic spread);
* `partially_pooled`: a named block of effects, one set per experiment, pooled towards a common mean;
* likelihoods, each honouring frequency weights:
  - `answer_likelihood`: one term per answer (respondent intercepts sampled); weights make it a weighted
    log-likelihood (a respondent of weight w counts w times; zero weight: left out by the caller);
  - `category_count_likelihood`: one multinomial per predictor pattern over weighted answer counts
    (no respondent-level term, so identical rows collapse exactly);
  - `integrated_likelihood`: respondent intercepts integrated out (`paradox.models.quadrature`), one term per
    answer pattern times its (weighted) respondent count.
* Items missing at random: an unanswered item has no answer row (per-answer forms), or the code K in a
  pattern, whose likelihood factor is 1 (integrated form).

The builders (`paradox.models.srp`, `paradox.models.regression`) assemble these; they build no ordinal
likelihood of their own. Each piece gives the log density and gradient the builders gave before it moved
here (tests/test_ordinal_engine.py, to 1e-10).
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from paradox.models import quadrature

LINKS = ("logit", "probit")

#: The respondent spread (logits) the default priors on the latent scale are set for (paradox.models.srp's and
#: paradox.models.regression's): the stand-in's (data/design, Cronbach's alpha near 0.88 with three 7-point items).
DEFAULT_RESPONDENT_SPREAD = 3.2
#: The SD of the logistic error of one answer.
LOGISTIC_SD = float(np.pi / np.sqrt(3))


def scaled_ratio(respondent_spread: float) -> float:
    """The latent SD of one answer at this respondent spread, over the one the default priors are set for
    (DEFAULT_RESPONDENT_SPREAD). The same in probit units: both spreads are in units of the link's error SD."""
    return float(np.hypot(respondent_spread, LOGISTIC_SD) / np.hypot(DEFAULT_RESPONDENT_SPREAD, LOGISTIC_SD))


def scaled_prior(scale: float, respondent_spread: float) -> float:
    """A default prior scale on the latent scale for data whose respondents spread by `respondent_spread` logits:
    times scaled_ratio, to two significant digits (a default, not a measurement)."""
    return float(f"{scale * scaled_ratio(respondent_spread):.2g}")


def _checked_link(link: str) -> str:
    if link not in LINKS:
        raise ValueError(f"link must be one of {', '.join(LINKS)}, not {link!r}")
    return link


def _distribution(link: str):
    return pm.OrderedLogistic if _checked_link(link) == "logit" else pm.OrderedProbit


# --- cutpoints --------------------------------------------------------------------------------------------

def ordered_cutpoints(name: str, sd: float, dims, initval: np.ndarray) -> pt.TensorVariable:
    """Normal(0, sd) cutpoints, increasing along the last axis (ordered transform). The ordered transform
    needs an ordered start, or sampling fails at once: `initval`."""
    return pm.Normal(name, 0.0, sd, dims=dims, transform=pm.distributions.transforms.ordered, initval=initval)


def item_cutpoints(n_items: int, n_cut: int, sd: float, name: str = "cutpoints",
                   location_sd: float | None = None, initval: np.ndarray | None = None,
                   dims: tuple[str, str] = ("item", "cut")) -> pt.TensorVariable:
    """Free thresholds per item: (item, cut), started at `initval` (default evenly spaced from -2 to 2).

    Without `location_sd`, each threshold ~ Normal(0, sd), ordered. That prior also holds each item's mean
    threshold (its location) near 0 with SD sd / sqrt(n_cut), and where the latent zero is a reference cell
    rather than the respondents' average (the SRP models: the no-failure cells), pulling the location towards
    0 moves every effect against that reference by the same amount. With `location_sd`, the prior is split:
    the thresholds' deviations from their item's mean keep the Normal(0, sd) prior's form, and the location
    gets its own Normal(0, location_sd), wide because every answer informs it. Variables: `<name>_location`
    (item), `<name>_spacing` (item, cut; ordered, its mean unused) and the Deterministic `<name>`.
    """
    start = np.tile(np.linspace(-2.0, 2.0, n_cut), (n_items, 1)) if initval is None else initval
    if location_sd is None:
        return ordered_cutpoints(name, sd, dims, start)
    location = pm.Normal(f"{name}_location", 0.0, location_sd, dims=dims[0])
    # The spacing's own mean is a direction the likelihood never sees: it keeps its prior, N(0, sd / sqrt(n_cut)).
    spacing = ordered_cutpoints(f"{name}_spacing", sd, dims, start)
    return pm.Deterministic(name, location[:, None] + spacing - spacing.mean(axis=-1, keepdims=True), dims=dims)


def shared_cutpoints(name: str, sd: float, initval: np.ndarray, dims: str = "cutpoint") -> pt.TensorVariable:
    """One set of thresholds for every item (items differ by a fixed shift, a term of the spec)."""
    return ordered_cutpoints(name, sd, dims, initval)


# --- random intercepts and pooled effects -------------------------------------------------------------------

def zero_sum_intercepts(name: str, sd_prior: float, dim: str) -> pt.TensorVariable:
    """A random intercept per level of `dim`: sd ~ HalfNormal(sd_prior), named `<name>_sd`, intercepts
    `<name>` = sd * z. Non-centred (samples well when groups are few or small) and zero-sum: the cutpoints
    carry the overall level, else the mean of hundreds of intercepts trades off against them all."""
    sd = pm.HalfNormal(f"{name}_sd", sd_prior)
    z = pm.ZeroSumNormal(f"{name}_z", 1.0, dims=dim)
    return pm.Deterministic(name, sd * z, dims=dim)


def cell_decomposed_intercepts(respondent_group: np.ndarray, n_groups: int, sd_prior: float,
                               name: str = "respondent") -> tuple[pt.TensorVariable, pt.TensorVariable]:
    """iid N(0, sd) intercepts per respondent (dim "respondent"), written as each cell's mean intercept plus
    deviations from it: the same distribution, but a cell's effect then trades off against one number (the
    cell's mean intercept, sd / sqrt(n) a priori) instead of all its respondents' intercepts at once, which
    mixed slowly when respondents spread as real ones do (sd near 3 logits). Non-centred throughout.
    respondent_group: each respondent's cell (0..n_groups-1). Returns (intercepts, sd)."""
    group_size = np.bincount(respondent_group, minlength=n_groups).astype(float)
    sd = pm.HalfNormal(f"{name}_sd", sd_prior)
    respondent_z = pm.Normal(f"{name}_z", 0.0, 1.0, dims="respondent")
    z_mean = pt.zeros(n_groups)[respondent_group].inc(respondent_z) / np.maximum(group_size, 1.0)
    group_w = pm.Normal(f"{name}_cell_mean_z", 0.0, 1.0, shape=n_groups)
    group_mean = sd * group_w / np.sqrt(np.maximum(group_size, 1.0))
    intercept = group_mean[respondent_group] + sd * (respondent_z - z_mean[respondent_group])
    return intercept, sd


def partially_pooled(name: str, dims: tuple[str, str], n_experiments: int, effect_sd: float, spread: float,
                     pooled: bool) -> pt.TensorVariable:
    """A block of effects (experiment, level), named `name`. Pooled (several experiments): effect =
    mean[level] + tau * z[experiment, level], with `<name>_mean` ~ N(0, effect_sd), one spread `<name>_tau` ~
    HalfNormal(spread) for every level (four experiments say little about tau, eight effects say more), and
    non-centred, because the centred form samples badly when the data say little about tau. Otherwise each
    effect ~ N(0, effect_sd) on its own."""
    if pooled and n_experiments > 1:
        mean = pm.Normal(f"{name}_mean", 0.0, effect_sd, dims=dims[1])
        tau = pm.HalfNormal(f"{name}_tau", spread)
        z = pm.Normal(f"{name}_z", 0.0, 1.0, dims=dims)
        return pm.Deterministic(name, mean + tau * z, dims=dims)
    return pm.Normal(name, 0.0, effect_sd, dims=dims)


# --- likelihoods ------------------------------------------------------------------------------------------

def answer_likelihood(name: str, eta, cutpoints, observed: np.ndarray, *, link: str = "logit", dims=None,
                      weights: np.ndarray | None = None):
    """One term per answer: observed (0-based categories) ~ Ordered<link>(eta, cutpoints), cutpoints per row
    (gathered by item) or shared. weights: frequency weights per answer, a weighted log-likelihood (an
    observed variable cannot carry weights, so it is then a Potential: no posterior predictive from it).
    Zero-weight answers must be left out by the caller: they are not respondents."""
    dist = _distribution(link)
    if weights is None:
        return dist(name, eta=eta, cutpoints=cutpoints, compute_p=False, observed=observed, dims=dims)
    weights = np.asarray(weights, dtype=float)
    if (weights <= 0).any():
        raise ValueError("answer_likelihood: leave zero-weight answers out instead of weighting them by 0")
    log_p = pm.logp(dist.dist(eta=eta, cutpoints=cutpoints, compute_p=False), observed)
    return pm.Potential(name, pt.dot(weights, log_p))


def category_probabilities(eta, cutpoints, link: str = "logit"):
    """P(answer = k) for each row of eta: (row, K)."""
    dist = _distribution(link)
    return dist.compute_p(eta, cutpoints) if link == "logit" else dist.compute_p(eta, cutpoints, 1.0)


def category_count_likelihood(name: str, eta, cutpoints, counts: np.ndarray, *, link: str = "logit", dims=None):
    """One multinomial per predictor pattern (row of eta) over its (weighted, whole) answer counts (row, K):
    exact when no term of eta is respondent-level; it differs from the per-answer likelihood by a constant."""
    p = category_probabilities(eta, cutpoints, link)
    return pm.Multinomial(name, n=counts.sum(axis=1), p=p, observed=counts, dims=dims)


#: Names of the integrated likelihood's pm.Data besides its counts: each pattern's answers (pattern, item) and
#: its row of the flattened shift table.
PATTERN_ANSWERS, PATTERN_GROUP = "pattern_answers", "pattern_group"


def integrated_likelihood(name: str, answers: np.ndarray, group: np.ndarray, cutpoints, shift, sd,
                          counts: np.ndarray, *, counts_name: str, dims: str = "pattern", link: str = "logit"):
    """Respondent intercepts N(0, sd) integrated out: sum over answer patterns of count x log L(pattern)
    (quadrature.pattern_loglik; with link="probit", quadrature.probit_pattern_loglik, a pytensor graph that
    costs more per log density). answers (pattern, item), 0-based, K = unanswered; group: each
    pattern's index into shift (flat), or None when shift has one entry per pattern (an adjustment for a
    covariate gives every respondent their own: quadrature.weighted_shifted_loglik, which does not tabulate by
    group); counts: respondents per pattern, weighted (a frequency weight w adds w to its pattern's count:
    exactly w identical respondents).

    All three are pm.Data (PATTERN_ANSWERS, PATTERN_GROUP, `counts_name`), not constants: the compiled log
    density is then one function for every survey with the same items and scale, so the numba functions
    compiled for one experiment are found in the compile cache for the next (a constant would be folded
    into the graph, a new function for each survey), and one compiled model refits another survey of the same
    shape (nutpie's `with_data`)."""
    answers = np.asarray(answers, dtype="int64")
    model = pm.modelcontext(None)
    if "item_of_pattern" not in model.coords:
        model.add_coord("item_of_pattern", np.arange(answers.shape[1]))
    answer_data = pm.Data(PATTERN_ANSWERS, answers, dims=(dims, "item_of_pattern"))
    count = pm.Data(counts_name, counts, dims=dims)
    group_data = None if group is None else pm.Data(PATTERN_GROUP, np.asarray(group, dtype="int64"), dims=dims)
    if _checked_link(link) == "probit":
        return pm.Potential(name, quadrature.probit_weighted_loglik(answer_data, group_data, count, cutpoints, shift,
                                                                    sd, nodes=quadrature.nodes_for(answers.shape[1],
                                                                                                   "probit")))
    nodes = quadrature.nodes_for(answers.shape[1])
    if group is None:
        return pm.Potential(name, quadrature.weighted_shifted_loglik(answer_data, count, cutpoints, shift, sd,
                                                                     nodes=nodes))
    return pm.Potential(name, quadrature.weighted_pattern_loglik(answer_data, group_data, count, cutpoints, shift, sd,
                                                                 nodes=nodes))
