"""Meta-analysis figures: forest plot, funnel plot, moderator plot."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.ticker import MaxNLocator

from paradox.figures import STYLE
from paradox.figures.numbers import attach, mcse_mean, mcse_quantile
from paradox.figures.numbers import row as row_
from paradox.meta.model import CI_PROB, expected_by_level
from paradox.meta.table import SINGLE_OUTCOME, StudyTable

Z = 1.959963984540054  # two-sided 95% normal quantile
OBSERVED, POSTERIOR, POOLED = "0.2", "tab:blue", "tab:red"
ROW_HEIGHT = 0.18  # inches per study row of the forest plot (its labels: FOREST_LABEL_SIZE points)
FOREST_LABEL_SIZE = 9
FOREST_COLUMN_WIDTH, FOREST_MIN_WIDTH = 4.2, 6.5  # inches per column of forest panels; of the whole figure
#: Rows (effects, plus 3 per outcome for its pooled and prediction rows) a column of forest panels holds before
#: the outcomes go side by side, in at most FOREST_MAX_COLUMNS columns; FOREST_GAP rows of space between panels.
FOREST_MAX_ROWS, FOREST_MAX_COLUMNS, FOREST_GAP = 70, 3, 3


def _measure_label(table: StudyTable) -> str:
    return {"log_rr": "log risk ratio", "md": "mean difference (the outcome's units)"}.get(
        table.measure, "Hedges' g (positive = paradox)")


def _quantiles(draws: xr.DataArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    stacked = draws.stack(sample=("chain", "draw"))
    tail = (1 - CI_PROB) / 2
    return (stacked.mean("sample").to_numpy(), stacked.quantile(tail, "sample").to_numpy(),
            stacked.quantile(1 - tail, "sample").to_numpy())


def _quantile_mcses(draws: xr.DataArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Monte Carlo SEs of what `_quantiles` returns."""
    tail = (1 - CI_PROB) / 2
    return (mcse_mean(draws).to_numpy(), mcse_quantile(draws, tail).to_numpy(),
            mcse_quantile(draws, 1 - tail).to_numpy())


def _summary_rows(panel: str, series: str, draws: xr.DataArray) -> list[dict]:
    """Mean and 95% interval of scalar draws, with their Monte Carlo SEs."""
    values, mcses = _quantiles(draws), _quantile_mcses(draws)
    return [row_(panel, series, "", quantity, value, mcse)
            for quantity, value, mcse in zip(("mean", "lower", "upper"), values, mcses)]


def _forest_columns(heights: list[int], gap: int = 3) -> list[list[int]]:
    """The forest plot's panels (by index, in order) per column: the fewest columns, at most FOREST_MAX_COLUMNS,
    whose tallest column (its panels' rows plus `gap` rows between panels) is at most FOREST_MAX_ROWS, with the
    panels cut into columns in reading order; when none fits, the cut with the shortest tallest column."""
    def tallest(cut: tuple[int, ...]) -> int:
        bounds = (0, *cut, len(heights))
        return max(sum(heights[a:b]) + gap * (b - a - 1) for a, b in zip(bounds, bounds[1:]))

    best = None
    for n_columns in range(1, min(FOREST_MAX_COLUMNS, len(heights)) + 1):
        best = min(itertools.combinations(range(1, len(heights)), n_columns - 1), key=tallest)
        if tallest(best) <= FOREST_MAX_ROWS:
            break
    bounds = (0, *best, len(heights))
    return [list(range(a, b)) for a, b in zip(bounds, bounds[1:])]


def forest_plot(table: StudyTable, idata: xr.DataTree) -> plt.Figure:
    """Per outcome: each effect as reported (95% CI, square sized by precision) and as the model
    estimates it (shrunk towards the pooled effect), then the pooled effect (diamond) and the
    95% prediction interval for a new study. Outcomes with many effects go side by side (`_forest_columns`),
    on one effect scale, one row the same height in every panel."""
    post = idata["posterior"]
    theta_mean, theta_lo, theta_hi = _quantiles(post["theta"])
    theta_mcse = _quantile_mcses(post["theta"])
    effects = table.effects.assign(theta_mean=theta_mean, theta_lo=theta_lo, theta_hi=theta_hi)
    heights = [len(table.for_outcome(o)) + 3 for o in table.outcomes]
    columns = _forest_columns(heights, FOREST_GAP)
    column_rows = [sum(heights[i] for i in column) + FOREST_GAP * (len(column) - 1) for column in columns]
    tallest = max(column_rows)
    with plt.rc_context(STYLE):
        width = max(FOREST_MIN_WIDTH, FOREST_COLUMN_WIDTH * len(columns))
        fig = plt.figure(figsize=(width, 1.3 + ROW_HEIGHT * tallest), layout="constrained")
        subfigures = fig.subfigures(1, len(columns), squeeze=False, wspace=0.04)[0]
        axes = {}
        for sub, column, rows in zip(subfigures, columns, column_rows):
            # An empty filler under a shorter column keeps a row the same height as in the tallest column.
            ratios = [heights[i] for i in column] + ([tallest - rows] if rows < tallest else [])
            column_axes = sub.subplots(len(ratios), 1, height_ratios=ratios, squeeze=False)[:, 0]
            axes.update(zip(column, column_axes))
            for filler in column_axes[len(column):]:
                filler.set_axis_off()
        first = axes[0]
        numbers = []
        for index, outcome in enumerate(table.outcomes):
            ax = axes[index]
            if ax is not first:
                ax.sharex(first)
            part = effects[effects["outcome"] == outcome]
            for i in np.flatnonzero((effects["outcome"] == outcome).to_numpy()):
                study = str(effects["study_label"].iloc[i])
                numbers += [row_(outcome, "reported", study, "effect", effects["yi"].iloc[i]),
                            row_(outcome, "reported", study, "se", effects["se"].iloc[i])]
                numbers += [row_(outcome, "model estimate", study, quantity, value[i], mcse[i]) for quantity, value, mcse
                            in zip(("mean", "lower", "upper"), (theta_mean, theta_lo, theta_hi), theta_mcse)]
            numbers += _summary_rows(outcome, "pooled", post["mu"].sel(outcome=outcome))
            numbers += _summary_rows(outcome, "new study", post["theta_new"].sel(outcome=outcome))
            y = np.arange(len(part))[::-1] + 3.0
            weight = 1 / part["se"].to_numpy()
            ax.errorbar(part["yi"], y, xerr=Z * part["se"], fmt="none", ecolor=OBSERVED, lw=0.9)
            ax.scatter(part["yi"], y, s=6 + 50 * weight / weight.max(), marker="s", color=OBSERVED,
                       label="reported (95% CI)", zorder=3)
            ax.errorbar(part["theta_mean"], y - 0.3,
                        xerr=[part["theta_mean"] - part["theta_lo"], part["theta_hi"] - part["theta_mean"]],
                        fmt="o", ms=3, color=POSTERIOR, lw=0.9, label="model estimate (95% interval)")
            mu, mu_lo, mu_hi = (float(v) for v in _quantiles(post["mu"].sel(outcome=outcome)))
            ax.fill([mu_lo, mu, mu_hi, mu], [1.5, 1.85, 1.5, 1.15], color=POOLED, label="pooled effect (95% interval)")
            _, new_lo, new_hi = (float(v) for v in _quantiles(post["theta_new"].sel(outcome=outcome)))
            ax.plot([new_lo, new_hi], [0.6, 0.6], color=POOLED, lw=2.5, alpha=0.5, label="new study (95% prediction)")
            ax.set_yticks(list(y) + [1.5, 0.6], list(part["study_label"]) + ["Pooled", "Prediction"],
                          fontsize=FOREST_LABEL_SIZE)
            for label in ax.get_yticklabels()[-2:]:
                label.set_fontweight("bold")
            ax.tick_params(axis="x", labelsize=FOREST_LABEL_SIZE)
            ax.axvline(0, color="0.6", lw=0.8, ls=":")
            ax.grid(axis="x", color="0.92", lw=0.6)
            ax.set_axisbelow(True)
            ax.set_ylim(0, y.max() + 0.8)
            ax.set_title(outcome if len(heights) > 1 else "", loc="left", fontsize=10, fontweight="bold")
        first.xaxis.set_major_locator(MaxNLocator(nbins=6))
        handles = dict(zip(*first.get_legend_handles_labels()[::-1]))  # by label, in the order they are read
        order = ("reported (95% CI)", "model estimate (95% interval)", "pooled effect (95% interval)",
                 "new study (95% prediction)")
        fig.legend([handles[label] for label in order], order, loc="outside upper center", ncol=min(4, 2 * len(columns)),
                   fontsize=FOREST_LABEL_SIZE, frameon=False)
        fig.supxlabel(_measure_label(table), fontsize=10)
    return attach(fig, numbers)


def funnel_plot(table: StudyTable, classical: pd.DataFrame, bias: pd.DataFrame) -> plt.Figure:
    """Effect against its standard error (precise studies at the top), with the REML pooled
    effect, its pseudo 95% limits and Egger's regression line (PET) when there are enough effects."""
    outcomes = table.outcomes
    ncols = min(2, len(outcomes))
    nrows = int(np.ceil(len(outcomes) / ncols))
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.4 * nrows), squeeze=False)
        numbers = []  # all from the data (REML, Egger's regression): exact
        for ax, outcome in zip(axes.flat, outcomes):
            part = table.for_outcome(outcome)
            mu = float(classical.set_index("outcome").loc[outcome, "mu"])
            numbers.append(row_(outcome, "pooled (REML)", "", "mu", mu))
            for study, yi, se in zip(part["study_label"], part["yi"], part["se"]):
                numbers += [row_(outcome, "reported", study, "effect", yi), row_(outcome, "reported", study, "se", se)]
            se_grid = np.linspace(0, part["se"].max() * 1.05, 50)
            ax.fill_betweenx(se_grid, mu - Z * se_grid, mu + Z * se_grid, color="0.92", label="pseudo 95% limits")
            ax.axvline(mu, color=POOLED, lw=1, label="pooled (REML)")
            ax.scatter(part["yi"], part["se"], s=14, color=OBSERVED, zorder=3)
            row = bias.set_index("outcome").loc[outcome]
            title = outcome
            if np.isfinite(row.get("egger_bias", np.nan)):
                ax.plot(row["pet_estimate"] + row["egger_bias"] * se_grid, se_grid, color=POSTERIOR, ls="--",
                        lw=1, label="Egger / PET line")
                title += f"  (Egger p = {row['egger_p_value']:.2f})"
                numbers += [row_(outcome, "Egger / PET line", "", quantity, row[column]) for quantity, column in
                            (("intercept", "pet_estimate"), ("slope", "egger_bias"), ("p_value", "egger_p_value"))]
            ax.invert_yaxis()
            ax.set_title(title, loc="left", fontsize=9)
            ax.set_xlabel(_measure_label(table))
            ax.set_ylabel("standard error")
        for ax in axes.flat[len(outcomes):]:
            ax.set_visible(False)
        axes.flat[0].legend(fontsize=7, frameon=False, loc="lower left")
        fig.tight_layout()
    return attach(fig, numbers)


def moderator_plot(table: StudyTable, idata: xr.DataTree, outcome: str | None = None) -> plt.Figure:
    """For one moderated outcome (default: the first): the reported effects by moderator level (or value),
    with the meta-regression's expected effect and its 95% interval, other moderators held at
    their average mix."""
    outcome = outcome or str(idata["posterior"]["moderated"].values[0])
    part = table.for_outcome(outcome)
    size = 30 * (1 / part["se"]) / (1 / part["se"]).max() + 4
    jitter = np.random.default_rng(0).uniform(-0.12, 0.12, len(part))  # fixed: the figure is reproducible
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, len(table.moderators), figsize=(3.3 * len(table.moderators), 3.4),
                                 squeeze=False, sharey=True)
        numbers = [row_(outcome, "reported", study, "effect", yi) for study, yi in zip(part["study_label"], part["yi"])]
        for ax, moderator in zip(axes[0], table.moderators):
            expected = expected_by_level(idata, table, outcome, moderator.name)
            for level in expected.itertuples():
                x = f"{level.value:.6g}" if moderator.is_numeric else level.value
                numbers += [row_(moderator.name, "expected effect", x, quantity, getattr(level, column),
                                getattr(level, f"{column}_mcse")) for quantity, column in
                            (("mean", "mean"), ("lower", "ci_lower"), ("upper", "ci_upper"))]
            if moderator.is_numeric:
                ax.scatter(part[moderator.name], part["yi"], s=size, color=OBSERVED, alpha=0.6, label="reported")
                ax.plot(expected["value"], expected["mean"], color=POOLED, label="expected effect")
                ax.fill_between(expected["value"].astype(float), expected["ci_lower"], expected["ci_upper"],
                                color=POOLED, alpha=0.2)
                ax.set_xlabel(moderator.name)
            else:
                codes = part[moderator.name].cat.codes.to_numpy()
                ax.scatter(codes + jitter, part["yi"], s=size, color=OBSERVED, alpha=0.6, label="reported")
                x = np.arange(len(expected))
                ax.errorbar(x + 0.3, expected["mean"], yerr=[expected["mean"] - expected["ci_lower"],
                            expected["ci_upper"] - expected["mean"]], fmt="D", color=POOLED, ms=5,
                            label="expected effect (95% interval)")
                ax.set_xticks(x, [str(v).replace("_", " ") for v in expected["value"]])
            ax.axhline(0, color="0.6", lw=0.8, ls=":")
            ax.set_title(moderator.name, loc="left", fontsize=9)
        axes[0, 0].set_ylabel(_measure_label(table) if outcome == SINGLE_OUTCOME else f"{outcome}: {_measure_label(table)}")
        axes[0, 0].legend(fontsize=7, frameon=False)
        fig.tight_layout()
    return attach(fig, numbers)


#: Quantiles of the prior predictive histogram recorded as its numbers (the bins depend on the draws).
PRIOR_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def prior_predictive_plot(prior: xr.DataTree, table: StudyTable) -> plt.Figure:
    """The effect of a new study under the priors alone (histogram), against the effects the
    table reports (ticks): weakly informative priors cover them without piling up far beyond."""
    draws = prior["prior"]["theta_new"]
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, len(table.outcomes), figsize=(3.0 * len(table.outcomes), 2.8), squeeze=False,
                                 sharey=True)
        numbers = []
        for ax, outcome in zip(axes[0], table.outcomes):
            values = draws.sel(outcome=outcome).to_numpy().ravel()
            numbers += [row_(outcome, "prior: a new study", f"q{q:g}", "quantile", np.quantile(values, q),
                            float(mcse_quantile(draws.sel(outcome=outcome), q))) for q in PRIOR_QUANTILES]
            numbers += [row_(outcome, "reported", study, "effect", yi)
                        for study, yi in zip(table.for_outcome(outcome)["study_label"], table.for_outcome(outcome)["yi"])]
            ax.hist(values, bins=40, color=POSTERIOR, alpha=0.5, density=True, label="prior: a new study")
            reported = table.for_outcome(outcome)["yi"]
            ax.plot(reported, np.zeros(len(reported)), "|", color=OBSERVED, ms=12, label="reported effects")
            ax.set_title(outcome, loc="left", fontsize=9)
            ax.set_xlabel(_measure_label(table))
        axes[0, 0].legend(fontsize=7, frameon=False, loc="upper left")
        fig.tight_layout()
    return attach(fig, numbers)
