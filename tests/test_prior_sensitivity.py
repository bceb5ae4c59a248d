"""Prior sensitivity by importance reweighting: checked against a conjugate posterior computed exactly."""

import dataclasses

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from paradox import prior_sensitivity
from paradox.models.srp import LEVELS, OrdinalPriors


def _posterior(fav, unfav, respondent_sd):
    effects = np.stack([fav, unfav], axis=-1).reshape(4, -1, 1, 2)  # chain, draw, experiment, level
    data = {"recovery_effect": (("chain", "draw", "experiment", "recovery_level"), effects),
            "respondent_sd": (("chain", "draw"), respondent_sd.reshape(4, -1))}
    coords = {"experiment": ["severity"], "recovery_level": list(LEVELS)}
    return xr.DataTree.from_dict({"posterior": xr.Dataset(data, coords=coords)})


def test_reweighting_reproduces_the_conjugate_posterior_under_a_narrower_prior(design):
    """y ~ N(theta, 1) observed once per level (y = 1 and y = -3) with prior theta ~ N(0, 1): the posterior is
    N(y / 2, 1 / 2). Under a prior half as wide, N(0, 0.25), it is N(y / 5, 1 / 5): the claim (theta_fav > 0.18
    and theta_fav > theta_unfav) has probability 1 - Phi((0.18 - 0.2) / sqrt(0.2)) (theta_unfav is far below)."""
    rng = np.random.default_rng(0)
    n = 40_000
    fav, unfav = rng.normal(0.5, np.sqrt(0.5), n), rng.normal(-1.5, np.sqrt(0.5), n)
    idata = _posterior(fav, unfav, np.abs(rng.normal(3, 0.2, n)))
    priors = OrdinalPriors(effect_sd=1.0)
    table = prior_sensitivity.prior_sensitivity(idata, design, priors)
    fitted = table[table["prior changed"] == "none (as fitted)"]["p_claim"].item()
    assert fitted == pytest.approx(1 - stats.norm.cdf(0.18, 0.5, np.sqrt(0.5)), abs=0.01)
    narrower = table[(table["prior changed"] == "recovery effects") & (table["scale factor"] == 0.5)].iloc[0]
    assert narrower["p_claim"] == pytest.approx(1 - stats.norm.cdf(0.18, 0.2, np.sqrt(0.2)), abs=0.02)
    assert narrower["reliable"]
    # No tau in an unpooled model: its rows are left out.
    assert "tau (spread across experiments)" not in set(table["prior changed"])


def test_a_prior_that_decides_the_verdict_is_reported(design):
    """Draws that sit at the prior's scale: a prior twice as wide moves P(claim), and the summary says so."""
    rng = np.random.default_rng(1)
    n = 20_000
    fav, unfav = rng.normal(0.3, 0.3, n), rng.normal(-0.3, 0.3, n)
    idata = _posterior(fav, unfav, np.abs(rng.normal(3, 0.2, n)))
    table = prior_sensitivity.prior_sensitivity(idata, design, OrdinalPriors(effect_sd=0.3))
    effects = table[table["prior changed"].isin(["none (as fitted)", "recovery effects"])].set_index("scale factor")
    assert effects.loc[0.5, "p_claim"] < effects.loc[1.0, "p_claim"] - 0.1   # shrunk towards zero: less claim
    assert effects.loc[2.0, "p_claim"] > effects.loc[1.0, "p_claim"]


def _table(rows):
    import pandas as pd

    return pd.DataFrame([{"hypothesis": "H1", "method": "ordinal", "reliable": True, "scale factor": factor,
                          "verdict": verdict, "near_threshold": near} for factor, verdict, near in rows])


def test_a_verdict_that_changes_only_within_monte_carlo_error_of_the_threshold_is_not_the_priors_doing():
    """A P(claim) of 0.974 under the fitted prior and 0.976 under another straddles 0.975 by less than their Monte
    Carlo error: other draws could put both on one side. Such a change is not counted; a change where both
    verdicts are clear of the threshold is."""
    assert prior_sensitivity.verdicts_unchanged(_table([(1.0, "inconclusive", False), (0.5, "claim holds", True)]))
    assert not prior_sensitivity.verdicts_unchanged(_table([(1.0, "inconclusive", False),
                                                            (0.5, "claim holds", False)]))
    assert prior_sensitivity.verdicts_unchanged(_table([(1.0, "inconclusive", False), (2.0, "inconclusive", True)]))


def test_near_threshold_marks_a_verdict_probability_within_its_monte_carlo_error_of_the_decision_probability(design):
    """Independent draws of delta_fav with P(delta_fav > 0.18) about 0.975, delta_unfav far below: P(claim) lies
    within a few Monte Carlo SEs (about 0.0025 at 4,000 draws) of 0.975 and is flagged; at about 0.70 it is not."""
    rng = np.random.default_rng(4)
    n = 4_000
    flagged = {}
    for name, mean in (("at", 0.18 + stats.norm.ppf(0.975) * 0.3), ("below", 0.18 + stats.norm.ppf(0.70) * 0.3)):
        fav = 0.18 + (stats.norm.ppf((np.arange(n) + 0.5) / n) * 0.3 + mean - 0.18)[rng.permutation(n)]
        idata = _posterior(fav, rng.normal(-3.0, 0.1, n), np.abs(rng.normal(3, 0.2, n)))
        table = prior_sensitivity.prior_sensitivity(idata, design)
        flagged[name] = bool(table.loc[table["scale factor"] == 1.0, "near_threshold"].item())
    assert flagged == {"at": True, "below": False}
