"""The tests of the paradox: recovery effects, their probabilities, and the verdicts on H1-H4.

For each moderator (one experiment each) the model gives, at each moderator level,
    delta = satisfaction(failure + recovery) - satisfaction(no failure).
The paradox holds at a level when delta > 0. The hypothesis (H1-H4) is that it is more likely
at the favourable level than at the unfavourable one:  difference = delta_fav - delta_unfav > 0.
We report these on the model's own scale (logits for the ordinal model, scale points for the
Gaussian one) and, for the ordinal model, as the probability of a top-two-box answer
(6 or 7 on a 7-point scale) averaged over respondents and items.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from scipy.special import expit

from paradox.data import Survey
from paradox.design import Design
from paradox.models import srp
from paradox.models.sampling import assert_converged, convergence_report, sample
from paradox.settings import SamplerSettings

#: A direction counts as shown when its posterior probability is at least this.
DECISION_PROBABILITY = 0.95
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
    threshold = post["cutpoints"].isel(cut=-2, drop=True)          # between K-2 and K-1
    u = xr.DataArray(np.sqrt(2.0) * _NODES, dims="node")
    w = xr.DataArray(_WEIGHTS / np.sqrt(np.pi), dims="node")
    prob = (w * expit(eta + post["respondent_sd"] * u - threshold)).sum("node")
    return prob.mean("item").transpose("chain", "draw", "experiment", "cell")


def top_two_box_effects(idata: xr.DataTree) -> xr.DataArray:
    """Recovery effects as differences in top-two-box probability: (chain, draw, experiment, recovery_level)."""
    t2b = top_two_box(idata)
    recovered = t2b.sel(cell=list(srp.CELLS[1:])) - t2b.sel(cell=srp.CELLS[0])
    return recovered.rename(cell="recovery_level").assign_coords(recovery_level=list(srp.LEVELS))


def effect_summary(effects: xr.DataArray, scale: str) -> pd.DataFrame:
    """Tidy table: one row per experiment and quantity (favourable, unfavourable, difference)
    with posterior mean, a 95% equal-tailed interval and P(quantity > 0)."""
    quantities = {
        "favourable": effects.sel(recovery_level="favourable"),
        "unfavourable": effects.sel(recovery_level="unfavourable"),
        "difference": effects.sel(recovery_level="favourable") - effects.sel(recovery_level="unfavourable"),
    }
    lo, hi = (1 - INTERVAL) / 2, 1 - (1 - INTERVAL) / 2
    rows = []
    for experiment in effects["experiment"].values:
        for quantity, da in quantities.items():
            x = da.sel(experiment=experiment).values.ravel()
            rows.append({
                "experiment": str(experiment), "scale": scale, "quantity": quantity,
                "mean": x.mean(), "lower": np.quantile(x, lo), "upper": np.quantile(x, hi),
                "p_positive": (x > 0).mean(),
            })
    return pd.DataFrame(rows)


def paradox_tests(idata: xr.DataTree) -> pd.DataFrame:
    """All contrasts of a fitted SRP model: on its own scale, and as top-two-box for the ordinal model."""
    post = idata["posterior"]
    if "cutpoints" in post:
        return pd.concat(
            [effect_summary(post["recovery_effect"], SCALE_LATENT), effect_summary(top_two_box_effects(idata), SCALE_TOP_TWO)],
            ignore_index=True,
        )
    return effect_summary(post["recovery_effect"], SCALE_POINTS)


def direction(p_positive: float, positive: str, negative: str, undecided: str) -> str:
    """Name the direction the posterior supports at the decision probability."""
    if p_positive >= DECISION_PROBABILITY:
        return positive
    if p_positive <= 1 - DECISION_PROBABILITY:
        return negative
    return undecided


def verdicts(tests: pd.DataFrame, design: Design) -> pd.DataFrame:
    """One row per hypothesis: the moderator, what the paper predicts, and what the data say.

    `hypothesis`: supported (P(difference > 0) >= 0.95), contradicted (<= 0.05) or inconclusive.
    `paradox at <level>`: yes (P(delta > 0) >= 0.95), no (satisfaction after recovery is lower
    than with no failure, P <= 0.05) or uncertain.
    """
    scale = tests["scale"].iloc[0]
    table = tests[tests["scale"] == scale].set_index(["experiment", "quantity"])
    rows = []
    for exp in design.experiments:
        if (exp.moderator, "difference") not in table.index:
            continue
        p = table["p_positive"]
        rows.append({
            "hypothesis": exp.hypothesis,
            "moderator": exp.moderator,
            "favourable level": exp.favourable,
            "paradox at favourable": direction(p[(exp.moderator, "favourable")], "yes", "no", "uncertain"),
            "paradox at unfavourable": direction(p[(exp.moderator, "unfavourable")], "yes", "no", "uncertain"),
            "hypothesis verdict": direction(p[(exp.moderator, "difference")], "supported", "contradicted", "inconclusive"),
        })
    return pd.DataFrame(rows).set_index("hypothesis")


#: Which Welch contrast answers which question of `verdicts`.
_WELCH_QUANTITIES = {
    "recovery_favourable - no_failure": "favourable",
    "recovery_unfavourable - no_failure": "unfavourable",
    "favourable - unfavourable": "difference",
}


def welch_verdicts(welch: pd.DataFrame, design: Design) -> pd.DataFrame:
    """The same verdicts from Welch's one-sided tests: a direction is shown when its one-sided
    p-value is at most 1 - DECISION_PROBABILITY (0.05), so 1 - p plays the part of P(> 0)."""
    tests = welch.assign(
        scale="Welch t-test",
        quantity=welch["contrast"].map(_WELCH_QUANTITIES),
        p_positive=1 - welch["p_one_sided"],
    )
    return verdicts(tests, design)


def write_table(table: pd.DataFrame, directory, name: str) -> Path:
    """Write a results table as CSV (6 significant digits, so re-runs diff cleanly)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.csv"
    table.to_csv(path, float_format="%.6g", lineterminator="\n")
    return path


def compare_verdicts(**tables: pd.DataFrame) -> pd.DataFrame:
    """Side by side: the hypothesis verdict of each method (keyword = method name)."""
    first = next(iter(tables.values()))
    out = first[["moderator", "favourable level"]].copy()
    for method, table in tables.items():
        out[method] = table["hypothesis verdict"]
    return out


@dataclass
class SRPResult:
    """A fitted SRP analysis: the model, its posterior, the contrasts and the verdicts."""

    model: object
    idata: xr.DataTree
    tests: pd.DataFrame
    verdicts: pd.DataFrame
    convergence: pd.DataFrame


def analyse_srp(
    survey: Survey,
    settings: SamplerSettings,
    design: Design,
    *,
    priors: srp.OrdinalPriors = srp.OrdinalPriors(),
    pooled: bool = True,
    integrate_respondents: bool = False,
    check: bool = True,
) -> SRPResult:
    """Fit the hierarchical ordinal model to an SRP survey and test the paradox.

    integrate_respondents: the form of srp.ordinal_model for large surveys (same posterior).
    With `check` (the default) a run that did not converge raises ConvergenceError
    instead of returning verdicts nobody should read.
    """
    model = srp.ordinal_model(survey, priors=priors, pooled=pooled, integrate_respondents=integrate_respondents)
    idata = sample(model, settings)
    report = assert_converged(idata) if check else convergence_report(idata)
    tests = paradox_tests(idata)
    return SRPResult(model=model, idata=idata, tests=tests, verdicts=verdicts(tests, design), convergence=report)
