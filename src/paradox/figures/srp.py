"""Figures of the paradox tests. Each takes tables or posteriors from paradox.models.srp /
paradox.hypotheses and returns a matplotlib Figure; `paradox.figures.save` writes it."""

from __future__ import annotations

import arviz as az
import arviz_plots as azp
import arviz_stats as azs
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.ticker import AutoMinorLocator, MaxNLocator

from paradox.data import Survey
from paradox.design import CELL, CELLS, EXPERIMENT
from paradox.figures import STYLE
from paradox.figures.numbers import as_chain_draw, attach, mcse_quantile, row
from paradox.hypotheses import DECISION_PROBABILITY, INTERVAL
from paradox.models.srp import experiments_in

CELL_COLOURS = {"no_failure": "#7f7f7f", "recovery_favourable": "#1b9e77", "recovery_unfavourable": "#d95f02"}
CELL_LABELS = {"no_failure": "no failure", "recovery_favourable": "recovery, favourable level",
               "recovery_unfavourable": "recovery, unfavourable level"}


def plot_paradox_concept() -> plt.Figure:
    """A schematic (no data): satisfaction over a service encounter with and without a failure."""
    t = np.linspace(0, 10, 400)
    no_failure = np.full_like(t, 5.0)
    dip = -2.2 * np.exp(-((t - 4.0) ** 2) / 0.8)
    rise = 0.8 / (1 + np.exp(-(t - 6.0) * 2.5))
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6, 3))
        ax.plot(t, no_failure, color=CELL_COLOURS["no_failure"], label="no failure")
        ax.plot(t, 5.0 + dip + rise, color=CELL_COLOURS["recovery_favourable"], label="failure, then excellent recovery")
        ax.annotate("failure", (4.0, 2.9), xytext=(1.6, 2.6), arrowprops={"arrowstyle": "->"})
        ax.annotate("the paradox:\nhigher than never failing", (9.3, 5.8), xytext=(6.4, 3.4), arrowprops={"arrowstyle": "->"})
        ax.set_xticks([])
        ax.set_xlabel("time through the service encounter")
        ax.set_ylabel("satisfaction")
        ax.set_ylim(2, 7)
        ax.legend(frameon=False, loc="lower left", fontsize=8)
        ax.set_title("The service recovery paradox (schematic, not data)", fontsize=10)
        fig.tight_layout()
    # The curves at whole time steps: a schematic, so exact.
    at = np.searchsorted(t, np.arange(11)).clip(max=len(t) - 1)
    return attach(fig, [row("", series, f"{t[i]:.4f}", "satisfaction", curve[i])
                        for series, curve in (("no failure", no_failure), ("failure, then recovery", 5.0 + dip + rise))
                        for i in at])


def plot_answer_distribution(survey: Survey) -> plt.Figure:
    """Share of each answer (all items pooled) per cell: one panel per experiment."""
    experiments = experiments_in(survey)
    categories = np.arange(survey.spec.scale[0], survey.spec.scale[1] + 1)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, len(experiments), figsize=(3.6 * len(experiments), 3.0), sharey=True, squeeze=False)
        width = 0.8 / len(CELLS)
        numbers = []
        for ax, experiment in zip(axes[0], experiments):
            sub = survey.answers[survey.answers[EXPERIMENT] == experiment]
            for k, cell in enumerate(CELLS):
                share = sub.loc[sub[CELL] == cell, "answer"].value_counts(normalize=True).reindex(categories, fill_value=0)
                numbers += [row(experiment, cell, answer, "share", value) for answer, value in share.items()]
                ax.bar(categories + (k - 1) * width, share.values, width, color=CELL_COLOURS[cell], label=CELL_LABELS[cell])
            ax.set_title(experiment)
            ax.set_xlabel("answer")
            ax.set_xticks(categories)
        axes[0, 0].set_ylabel("share of answers")
        axes[0, -1].legend(frameon=False, fontsize=8)
        fig.tight_layout()
    return attach(fig, numbers)


def plot_cell_means(cells: pd.DataFrame) -> plt.Figure:
    """Mean satisfaction (respondents' scale means) per cell with a 95% t interval."""
    from scipy import stats

    experiments = list(dict.fromkeys(cells[EXPERIMENT]))
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(1.9 * len(experiments) + 1.5, 3.2))
        numbers = []
        for i, experiment in enumerate(experiments):
            sub = cells[cells[EXPERIMENT] == experiment].set_index(CELL)
            for k, cell in enumerate(CELLS):
                cell_stats = sub.loc[cell]
                half = stats.t.ppf(0.975, cell_stats["n"] - 1) * cell_stats["sd"] / np.sqrt(cell_stats["n"])
                ax.errorbar(i + (k - 1) * 0.22, cell_stats["mean"], yerr=half, fmt="o", color=CELL_COLOURS[cell],
                            label=CELL_LABELS[cell] if i == 0 else None, capsize=3)
                numbers += [row("", cell, experiment, "mean", cell_stats["mean"]),
                            row("", cell, experiment, "ci_half_width", half)]
        ax.set_xticks(range(len(experiments)), experiments)
        ax.set_ylabel("mean satisfaction (scale points)")
        ax.legend(frameon=False, fontsize=8, loc="lower left")
        fig.tight_layout()
    return attach(fig, numbers)


def _cell_shares(answers: np.ndarray, groups: np.ndarray, group_names: list[str], n_categories: int) -> np.ndarray:
    """Share of each category per group: answers (..., obs) -> (..., group, category)."""
    out = np.empty(answers.shape[:-1] + (len(group_names), n_categories))
    for g in range(len(group_names)):
        in_group = answers[..., groups == g]
        for c in range(n_categories):
            out[..., g, c] = (in_group == c).mean(axis=-1)
    return out


def plot_predictive_check(pred: xr.DataTree, survey: Survey, group: str = "posterior_predictive") -> plt.Figure:
    """Observed share of each answer per cell (dots) against the model's predictive 95% bands.

    `group` is "prior_predictive" (does the prior allow plausible surveys?) or
    "posterior_predictive" (does the fitted model reproduce this one?).
    """
    by_chain = pred[group]["satisfaction"].values  # (chain, draw, answer), categories 0..K-1
    draws = by_chain.reshape(-1, by_chain.shape[-1])
    labels = (survey.answers[EXPERIMENT].astype(str) + " / " + survey.answers[CELL].astype(str)).to_numpy()
    names = [f"{e} / {c}" for e in experiments_in(survey) for c in CELLS]
    groups = pd.Categorical(labels, categories=names).codes
    k = survey.spec.n_categories
    observed = _cell_shares((survey.answers["answer"].to_numpy() - survey.spec.scale[0])[None, :], groups, names, k)[0]
    predicted = _cell_shares(draws, groups, names, k)
    probs = [(1 - INTERVAL) / 2, 1 - (1 - INTERVAL) / 2]
    lo, hi = np.quantile(predicted, probs, axis=0)
    per_chain = as_chain_draw(predicted.reshape(by_chain.shape[:2] + predicted.shape[1:]), ("group", "category"))
    lo_mcse, hi_mcse = (mcse_quantile(per_chain, prob).values for prob in probs)
    categories = np.arange(survey.spec.scale[0], survey.spec.scale[1] + 1)
    experiments = experiments_in(survey)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(len(experiments), len(CELLS), figsize=(9, 2.1 * len(experiments) + 0.6),
                                 sharex=True, sharey=True, squeeze=False)
        for g, name in enumerate(names):
            ax = axes[g // len(CELLS), g % len(CELLS)]
            ax.fill_between(categories, lo[g], hi[g], step="mid", alpha=0.3, color="#377eb8", label="predicted (95%)")
            ax.plot(categories, observed[g], "o", color="black", ms=4, label="observed")
            ax.set_title(name, fontsize=9)
        for ax in axes[-1]:
            ax.set_xlabel("answer")
            ax.set_xticks(categories)
        axes[0, 0].legend(frameon=False, fontsize=8)
        fig.supylabel("share of answers")
        fig.suptitle(group.replace("_", " "), fontsize=10)
        fig.tight_layout()
    numbers = []
    for g, name in enumerate(names):
        for c, answer in enumerate(categories):
            numbers += [row(name, "observed", answer, "share", observed[g, c]),
                        row(name, "predicted", answer, "lower", lo[g, c], lo_mcse[g, c]),
                        row(name, "predicted", answer, "upper", hi[g, c], hi_mcse[g, c])]
    return attach(fig, numbers)


def plot_recovery_effects(tests: pd.DataFrame, scale: str, rope: float | None = None, caption: str | None = None) -> plt.Figure:
    """delta = recovery - no failure at each moderator level, with 95% intervals; the dashed line is no difference
    and the shaded band the region of practical equivalence (+/- rope, when given): a paradox lies to its right."""
    sub = tests[(tests["scale"] == scale) & (tests["quantity"] != "difference")]
    experiments = list(dict.fromkeys(sub["experiment"]))
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8.0, 0.9 * len(experiments) + 2.4), layout="constrained")
        numbers = []
        for i, experiment in enumerate(experiments):
            for k, quantity in enumerate(("favourable", "unfavourable")):
                effect = sub[(sub["experiment"] == experiment) & (sub["quantity"] == quantity)].iloc[0]
                y = i + (-0.17 if k == 0 else 0.17)
                colour = CELL_COLOURS[f"recovery_{quantity}"]
                ax.plot([effect["lower"], effect["upper"]], [y, y], color=colour, lw=2.5, solid_capstyle="butt")
                ax.plot(effect["mean"], y, "o", color=colour, ms=7,
                        label=f"recovery, {quantity} level (mean, 95% interval)" if i == 0 else None)
                # Posterior summaries: their mcse columns (paradox.hypotheses.effect_summary), NaN if absent.
                numbers += [row(experiment, quantity, "", stat, effect[stat], effect.get(f"{stat}_mcse", np.nan))
                            for stat in ("mean", "lower", "upper")]
        ax.axvline(0, color="black", lw=1, ls="--", label="0: no difference")
        if rope:
            ax.axvspan(-rope, rope, color="#cccccc", alpha=0.5, lw=0, label=f"ROPE \u00b1{rope:g}: no paradox")
        # The x range: every interval, zero and the band, with a margin.
        low = min(sub["lower"].min(), -(rope or 0.0))
        high = max(sub["upper"].max(), rope or 0.0)
        margin = 0.06 * (high - low)
        ax.set_xlim(low - margin, high + margin)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 2.5, 5, 10]))
        ax.xaxis.set_minor_locator(AutoMinorLocator(2))
        ax.grid(axis="x", which="major", color="0.9", lw=0.8)
        ax.set_axisbelow(True)
        ax.tick_params(axis="both", labelsize=10)
        ax.set_yticks(range(len(experiments)), [e.replace("_", " ") for e in experiments], fontsize=11)
        ax.set_ylim(len(experiments) - 0.5, -0.5)
        ax.set_xlabel(f"recovery minus no failure: {scale}", fontsize=11)
        title = "Satisfaction after recovery vs no failure (right of the band: a paradox)" if rope else \
            "Satisfaction after recovery vs no failure (> 0: more satisfied)"
        ax.set_title(title + (f"\n{caption}" if caption else ""), fontsize=11)
        fig.legend(loc="outside lower center", ncol=2, fontsize=9.5, frameon=False)
    if rope:
        numbers.append(row("", "rope", "", "half_width", rope))
    return attach(fig, numbers)


#: The probabilities a verdict figure shows, with their labels (paradox.verdict).
VERDICT_BARS = {"p_claim": "claim: paradox at fav. and fav. > unfav.", "p_paradox_favourable": "paradox at favourable",
                "p_moderation": "moderation: fav. > unfav.", "p_no_paradox": "no paradox at either level"}
_BAR_COLOURS = ("#1b9e77", "#66c2a5", "#8da0cb", "#d95f02")


def plot_verdicts(table: pd.DataFrame, caption: str | None = None) -> plt.Figure:
    """The verdicts (paradox.verdict): per hypothesis and method, the probability of the claim and of its parts,
    against the decision probability, with the verdict named. `caption` says where the data come from (for
    synthetic data, say so: the figure may be seen without its notebook)."""
    methods = list(dict.fromkeys(table["method"]))
    hypotheses_ = list(dict.fromkeys(table["hypothesis"]))
    threshold = DECISION_PROBABILITY
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, len(methods), figsize=(4.2 * len(methods), 0.95 * len(hypotheses_) + 1.6),
                                 squeeze=False, sharey=True)
        height = 0.8 / len(VERDICT_BARS)
        numbers = []
        for ax, method in zip(axes[0], methods):
            sub = table[table["method"] == method].set_index("hypothesis")
            for i, hypothesis in enumerate(hypotheses_):
                if hypothesis not in sub.index:
                    continue
                verdict = sub.loc[hypothesis]
                for k, (column, label) in enumerate(VERDICT_BARS.items()):
                    ax.barh(i - 0.4 + (k + 0.5) * height, verdict[column], height=height, color=_BAR_COLOURS[k],
                            label=label if i == 0 else None)
                    # Welch's rows have no Monte Carlo error (no _mcse value): exact.
                    mcse = verdict.get(f"{column}_mcse", np.nan)
                    numbers.append(row(method, hypothesis, "", column, verdict[column], None if pd.isna(mcse) else mcse))
                ax.annotate(verdict["verdict"], (1.02, i), xycoords=("axes fraction", "data"), va="center", fontsize=8)
            ax.axvline(threshold, color="black", lw=0.8, ls="--")
            ax.set_xlim(0, 1)
            ax.set_yticks(range(len(hypotheses_)), hypotheses_)
            ax.invert_yaxis()
            ax.set_xlabel("probability" + (" (Welch: 1 - p)" if method == "welch" else ""))
            ax.set_title(method, fontsize=10)
        axes[0][0].legend(frameon=False, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.35 if len(hypotheses_) < 3 else -0.18),
                          ncol=2)
        title = f"H1-H4: the paradox claim, judged at probability {threshold:g} (dashed)"
        fig.suptitle(title + (f"\n{caption}" if caption else ""), fontsize=10)
        fig.tight_layout()
    return attach(fig, numbers)


def thinned_for_rank_test(posterior: xr.Dataset, var_names: list[str]) -> xr.Dataset:
    """The named parameters' draws, every k-th kept, k the longest autocorrelation among them: a chain's draws
    over its own bulk or tail ESS (whichever is smaller), the largest over chains, parameters and components.
    Each chain's ESS is its own: the ESS of all chains together (arviz_stats.thin's "auto") falls when chains
    disagree, and thinning by it left so few draws that a chain shifted by 2 SD went unflagged."""
    draws = posterior[var_names]
    n_draws, factor = draws.sizes["draw"], 1
    for chain in range(draws.sizes["chain"]):
        one = draws.isel(chain=[chain])
        for method in ("bulk", "tail"):
            ess = one.azstats.ess(method=method)
            smallest = min(float(ess[name].min()) for name in var_names)
            factor = max(factor, int(np.ceil(n_draws / max(smallest, 1.0))))
    return draws.isel(draw=slice(None, None, factor))


def plot_rank_diagnostics(idata: xr.DataTree, var_names: list[str]) -> plt.Figure:
    """Rank plots of the named parameters (arviz_plots): flat, overlapping chains mean good mixing.

    The draws are thinned first (`thinned_for_rank_test`, as Säilynoja, Bürkner & Vehtari 2022 suggest, whose
    uniformity test arviz-plots prints as p): the test assumes independent draws, and on autocorrelated chains
    that all sample the same distribution it raises false alarms (4 AR(1) chains of 2,500 draws, p < 0.01: 88% of
    200 replicates at autocorrelation 0.8 and 100% at 0.95 with every draw, 2% and 1% thinned; one chain shifted
    by 0.5 SD is flagged in 99% and 36% thinned; benchmarks/rank_test_calibration.py). The rank-quarter numbers
    beside the figure use every draw."""
    thinned = xr.DataTree.from_dict({"posterior": thinned_for_rank_test(idata["posterior"].to_dataset(), var_names)})
    with plt.rc_context(STYLE):
        pc = azp.plot_rank_dist(thinned, var_names=var_names, backend="matplotlib")
    fig = pc.viz["figure"].item() if hasattr(pc.viz["figure"], "item") else pc.viz["figure"]
    return attach(fig, _rank_numbers(idata["posterior"], var_names))


#: Rank plots are summarised in this many equal rank bins, whatever the number of draws (the plot's own bins
#: depend on it), so that a short and a long run give the same rows.
RANK_BINS = 4


def _rank_numbers(posterior, var_names: list[str]) -> list[dict]:
    """Per parameter and chain, the share of the chain's draws in each quarter of the pooled ranks: 1/4 each
    when the chains mix. Its Monte Carlo SE is binomial over the chain's share of the bulk ESS."""
    from scipy.stats import rankdata

    numbers = []
    for name in var_names:
        da = posterior[name]
        stacked = da.stack(component=[d for d in da.dims if d not in ("chain", "draw")]) if da.ndim > 2 else \
            da.expand_dims(component=[""], axis=-1)
        ess = az.ess(stacked, method="bulk").values
        for j in range(stacked.sizes["component"]):
            values = stacked.isel(component=j).transpose("chain", "draw").values
            label = name if da.ndim == 2 else f"{name}[{', '.join(map(str, np.atleast_1d(stacked['component'].values[j])))}]"
            ranks = rankdata(values, axis=None).reshape(values.shape)
            bins = np.minimum((ranks - 1) * RANK_BINS // ranks.size, RANK_BINS - 1)
            ess_chain = max(float(ess[j]) / values.shape[0], 1.0)
            for chain in range(values.shape[0]):
                for b in range(RANK_BINS):
                    share = float((bins[chain] == b).mean())
                    numbers.append(row(label, f"chain {chain}", f"rank quarter {b + 1}", "share", share,
                                       np.sqrt(share * (1 - share) / ess_chain)))
    return numbers
