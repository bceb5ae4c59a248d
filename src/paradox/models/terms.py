"""Fixed and random effects from a model spec, shared by the ordinal engine's models and the Gaussian one.

A factor is treatment-coded (its first level the baseline, one effect per other level), a numeric covariate has
a slope, an interaction of two factors one effect per pair of non-baseline levels (R's a:b); a factor's effects
may instead vary across the levels of another, partially pooled (a|b: effect[b, a] = mean[a] + tau z[b, a], the
SRP model's recovery effects across experiments) or be each level's own (a|b unpooled: effect[b, a] ~ N(0, sd),
the SRP verdicts' recovery effects); a grouping column and, on request, the respondent add zero-sum
random intercepts (paradox.models.ordinal.zero_sum_intercepts). `linear_predictor` sums them for each row,
centred (see there).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt

from paradox.data import Survey
from paradox.models import ordinal


@dataclass(frozen=True)
class Term:
    """One predictor: a factor (effects for its non-baseline levels), or a numeric covariate."""

    name: str
    levels: tuple[str, ...] = ()  # all levels, baseline first; empty for a numeric covariate
    # an interaction's two factors (levels are then its level pairs), or a block's factor and the factor
    # its effects vary across (levels are then the first factor's, `groups` the second's)
    components: tuple[str, str] | None = None
    groups: tuple[str, ...] = ()  # a block's: every level of the factor its effects vary across
    pooling: bool = True  # a block's effects partially pooled across its groups, or each group's its own

    @property
    def is_factor(self) -> bool:
        return bool(self.levels) and self.components is None

    @property
    def is_block(self) -> bool:
        """Whether this is a block: one factor's effects in each level of another (pooled or not)."""
        return bool(self.groups)

    @property
    def dim(self) -> str:
        return f"{self.name}_level"

    @property
    def group_dim(self) -> str:
        return f"{self.name}_group"


def frequency_weights(frame: pd.DataFrame, survey: Survey) -> np.ndarray:
    w = survey.spec.weight
    return frame[w].to_numpy(dtype=float) if w else np.ones(len(frame))


def linear_predictor(rows: pd.DataFrame, terms: tuple[Term, ...], effect_sd: float, group_sd: float, survey: Survey,
                     respondent_intercept: bool, reference: pd.DataFrame, prior_sd: dict[str, float] | None = None,
                     respondent_sd: float | None = None, effect_spread: float | None = None):
    """Sum of the effects for each row (inside a model context). Each effect ~ N(0, effect_sd), or the sd that
    `prior_sd` gives for its term's name; a pooled block's means so, their spread across groups ~
    HalfNormal(effect_spread). The intercepts of the grouping column have sd ~ HalfNormal(group_sd), the
    respondents' (`respondent_intercept`) HalfNormal(respondent_sd).

    The sampler sees every predictor centred on its (weighted) mean in `reference` (the
    answers, or the respondents): a covariate minus its mean, a factor's treatment dummies
    minus their shares. Uncentred, the cutpoints (or intercept) describe the baseline cell and
    trade off against every effect, and the sampler crawls. The effects are the same either
    way; `offset` (what centring took out of eta) turns the centred cutpoints or intercept
    back into the usual ones, at the baseline levels and covariates = 0.
    Returns eta, offset and the names of the parameters to report.
    """
    eta, offset = pt.zeros(len(rows)), pt.zeros(())
    names = []
    weights = frequency_weights(reference, survey)
    prior_sd = prior_sd or {}
    for term in terms:
        sd = prior_sd.get(term.name, effect_sd)
        if term.is_block:
            full, shares, codes = block_effects(term, sd, effect_spread, rows, reference, weights)
            eta = eta + full[codes] - (full * shares).sum()
            offset = offset + (full * shares).sum()
            names += [f"{term.name}_mean", f"{term.name}_tau"] if term.pooling else []
        elif term.components:
            effect = pm.Normal(term.name, 0.0, sd, dims=term.dim)
            dummies = interaction_dummies(rows, term)
            shares = np.average(interaction_dummies(reference, term), axis=0, weights=weights)
            eta = eta + pt.dot(dummies, effect) - pt.dot(effect, shares)
            offset = offset + pt.dot(effect, shares)
        elif term.is_factor:
            full, shares = factor_effects(term, sd, reference, weights)
            eta = eta + full[rows[term.name].cat.codes.to_numpy()] - pt.dot(full, shares)
            offset = offset + pt.dot(full, shares)
        else:
            slope = pm.Normal(term.name, 0.0, sd)
            mean = float(np.average(reference[term.name].to_numpy(dtype=float), weights=weights))
            eta = eta + slope * (rows[term.name].to_numpy(dtype=float) - mean)
            offset = offset + slope * mean
        names.append(term.name)
    intercepts = [(survey.spec.group, survey.spec.group, group_sd)] if survey.spec.group else []
    if respondent_intercept:
        intercepts.append(("respondent", "respondent", respondent_sd))
    for name, column, sd in intercepts:
        levels, index = np.unique(rows[column].astype(str).to_numpy(), return_inverse=True)
        dim = f"{name}_level"
        pm.Model.get_context().add_coord(dim, levels)
        effect = ordinal.zero_sum_intercepts(name, sd, dim)
        eta = eta + effect[index]
        names.append(f"{name}_sd")
        if name != "respondent":
            names.append(name)
    return eta, offset, names


def factor_effects(term: Term, sd: float, reference: pd.DataFrame, weights: np.ndarray):
    """A treatment-coded factor (inside a model context): its effects ~ N(0, sd), named after the term. Returns the
    effect of every level (the baseline's 0, first) and the levels' (weighted) shares in `reference`, on which
    the sampler sees the factor centred (linear_predictor)."""
    effect = pm.Normal(term.name, 0.0, sd, dims=term.dim)
    full = pt.concatenate([pt.zeros(1), effect])
    shares = np.bincount(reference[term.name].cat.codes.to_numpy(), weights=weights,
                         minlength=len(term.levels)) / weights.sum()
    return full, shares


def block_effects(term: Term, sd: float, spread: float, rows: pd.DataFrame, reference: pd.DataFrame,
                  weights: np.ndarray):
    """A block (inside a model context): the effects of factor a = term.components[0] in each level of
    b = term.components[1], partially pooled (ordinal.partially_pooled: `<name>_mean` ~ N(0, sd), `<name>_tau` ~
    HalfNormal(spread), non-centred), or, without `term.pooling`, each ~ N(0, sd). Returns the effect of every
    (b level, a level) pair, a's baseline 0, as a flat vector; the pairs' (weighted) shares in `reference`; and
    each row's pair."""
    a, b = term.components
    n_a, n_b = len(term.levels), len(term.groups)
    effects = ordinal.partially_pooled(term.name, (term.group_dim, term.dim), n_b, sd, spread, term.pooling)
    full = pt.concatenate([pt.zeros((n_b, 1)), effects], axis=1).flatten()

    def pairs(frame):
        return frame[b].cat.codes.to_numpy() * n_a + frame[a].cat.codes.to_numpy()

    shares = np.bincount(pairs(reference), weights=weights, minlength=n_a * n_b) / weights.sum()
    return full, shares, pairs(rows)


def interaction_dummies(frame: pd.DataFrame, term: Term) -> np.ndarray:
    """rows x level pairs: 1 where the row has both levels of the pair."""
    a, b = term.components
    codes_a, codes_b = frame[a].cat.codes.to_numpy(), frame[b].cat.codes.to_numpy()
    n_a, n_b = len(frame[a].cat.categories), len(frame[b].cat.categories)
    # the same order as Term.levels: a's level varies slowest, baselines (code 0) left out
    return np.column_stack([(codes_a == i) & (codes_b == j) for i in range(1, n_a) for j in range(1, n_b)]).astype(float)


def term_coords(terms: tuple[Term, ...]) -> dict:
    coords = {t.dim: list(t.levels[1:]) for t in terms if t.levels}
    return {**coords, **{t.group_dim: list(t.groups) for t in terms if t.is_block}}
