"""Figures of a `paradox fit`: the estimated effects, and a posterior predictive check.

Each function takes fitted results and returns a matplotlib Figure (see `fit_figures`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from paradox.figures import STYLE
from paradox.figures.numbers import attach, row
from paradox.models.regression import answer_distribution_check, pattern_mean_check

def effects_forest(summary: pd.DataFrame, terms: list[str] | None = None, title: str = "Estimated effects") -> plt.Figure:
    """Posterior mean and interval of each effect of the predictors named in `terms`
    (default: every parameter but the cutpoints, intercept, sigma and the random-intercept sds).

    `summary` is the tidy table of paradox.analysis.tidy_summary. An interval that
    excludes 0 is drawn dark: the data say which way that effect goes.
    """
    base = summary["parameter"].str.split("[", n=1, regex=False).str[0]
    if terms is None:
        keep = ~base.isin(["cutpoints", "intercept", "sigma"]) & ~base.str.endswith("_sd")
    else:
        keep = base.isin(terms)
    effects = summary[keep].iloc[::-1]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.0, 0.8 + 0.32 * max(len(effects), 1)))
        if effects.empty:
            ax.text(0.5, 0.5, "no effects in this model", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
            return attach(fig, [])
        y = np.arange(len(effects))
        clear = (effects["ci_lower"] > 0) | (effects["ci_upper"] < 0)
        colours = np.where(clear, "#1b4f72", "#9aa7b1")
        ax.hlines(y, effects["ci_lower"], effects["ci_upper"], colors=colours, lw=2)
        ax.scatter(effects["mean"], y, color=colours, zorder=3, s=18)
        ax.axvline(0, color="grey", lw=0.8, ls="--")
        ax.set_yticks(y, effects["parameter"])
        ax.set_xlabel("effect (posterior mean and interval)")
        ax.set_title(title)
        fig.tight_layout()
    return attach(fig, [row("", effect.parameter, "", quantity, getattr(effect, column), mcse)
                        for effect in effects.itertuples()
                        for quantity, column, mcse in zip(("mean", "lower", "upper"), ("mean", "ci_lower", "ci_upper"),
                                                          _summary_mcses(effect))])


#: Normal approximation to the Monte Carlo SE of a 2.5% or 97.5% quantile, in units of sd / sqrt(tail ESS):
#: sqrt(p (1 - p)) / density of the quantile = sqrt(0.025 * 0.975) / phi(1.96).
_TAIL_MCSE_FACTOR = 2.671


def _summary_mcses(effect) -> tuple[float, float, float]:
    """Monte Carlo SEs of a tidy summary row's mean and interval ends: sd / sqrt(bulk ESS) for the mean (arviz's
    mcse of the mean, with the bulk ESS), and the normal approximation above for the ends (the summary has no
    draws); a summary with its own *_mcse columns is used as it is."""
    if hasattr(effect, "mean_mcse"):
        return effect.mean_mcse, effect.ci_lower_mcse, effect.ci_upper_mcse
    tail = _TAIL_MCSE_FACTOR * effect.sd / np.sqrt(effect.ess_tail)
    return effect.sd / np.sqrt(effect.ess_bulk), tail, tail


def answer_check(check: pd.DataFrame, by: str | None = None, title: str = "Posterior predictive check") -> plt.Figure:
    """Observed share of each answer (bars) against the model's predictions (points, 95% intervals).

    `check` is paradox.models.regression.answer_distribution_check; one panel per level of `by`.
    """
    levels = list(dict.fromkeys(check["level"]))
    labels = list(dict.fromkeys(check["answer"]))
    long_labels = max(len(str(label)) for label in labels) > 8  # then ticks show their rank
    n = len(levels)
    cols = min(n, 3)
    rows = int(np.ceil(n / cols))
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False, sharey=True)
        numbers = []
        for ax, level in zip(axes.flat, levels):
            part = check[check["level"] == level]
            for answer in part.itertuples():
                numbers.append(row(level, "observed", answer.answer, "share", answer.observed))
                numbers += [row(level, "predicted", answer.answer, column, getattr(answer, column),
                                getattr(answer, f"{column}_mcse", np.nan)) for column in ("predicted", "lower", "upper")]
            x = np.arange(len(part))
            ax.bar(x, part["observed"], color="#c9d6df", label="observed")
            err = np.vstack([part["predicted"] - part["lower"], part["upper"] - part["predicted"]])
            ax.errorbar(x, part["predicted"], yerr=err, fmt="o", color="#1b4f72", ms=4, label="predicted (95%)")
            ax.set_xticks(x, [str(i + 1) for i in x] if long_labels else part["answer"])
            ax.set_title(f"{by} = {level}" if by else str(level), fontsize=9)
            ax.set_xlabel("answer" + (f" (1 = {labels[0]}, {len(labels)} = {labels[-1]})" if long_labels else ""),
                          fontsize=8 if long_labels else None)
        for ax in list(axes.flat)[n:]:
            ax.set_axis_off()
        axes[0, 0].set_ylabel("share of answers")
        axes[0, 0].legend(fontsize=8, frameon=False)
        fig.suptitle(title)
        fig.tight_layout()
    return attach(fig, numbers)


def pattern_means(check: pd.DataFrame, title: str = "Posterior predictive check") -> plt.Figure:
    """Gaussian model: each predictor pattern's observed mean answer against its 95% predictive interval."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.0, 0.8 + 0.28 * len(check)))
        y = np.arange(len(check))[::-1]
        ax.hlines(y, check["lower"], check["upper"], color="#9aa7b1", lw=2, label="predicted (95%)")
        ax.scatter(check["observed"], y, color="#1b4f72", zorder=3, s=16, label="observed")
        ax.set_yticks(y, check["pattern"])
        ax.set_xlabel("mean answer")
        ax.legend(fontsize=8, frameon=False)
        ax.set_title(title)
        fig.tight_layout()
    numbers = []
    for pattern in check.itertuples():
        numbers.append(row("", "observed", pattern.pattern, "mean", pattern.observed))
        numbers += [row("", "predicted", pattern.pattern, column, getattr(pattern, column),
                        getattr(pattern, f"{column}_mcse", np.nan)) for column in ("lower", "upper")]
    return attach(fig, numbers)


def fit_figures(result) -> dict[str, plt.Figure]:
    """The figures `paradox fit` writes, by file name: effects, answer_check."""
    regression = result.regression
    effects = effects_forest(result.summary, [t.name for t in regression.terms])
    if "posterior_predictive" not in result.idata:  # a weighted survey too large to write out (fit.run)
        return {"effects": effects}
    if regression.spec.family == "ordinal":
        factors = [t.name for t in regression.terms if t.is_factor and t.name != "item"]
        by = factors[0] if factors else None  # the first factor that varies
        check = answer_distribution_check(regression, result.idata, by=by)
        ppc = answer_check(check, by, title=f"Answers by {by}: observed and predicted" if by else "Answers: observed and predicted")
    else:
        ppc = pattern_means(pattern_mean_check(regression, result.idata))
    return {"effects": effects, "answer_check": ppc}
