"""Contrasts and verdicts: the top-two-box transform, the summaries and the decision rule."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import integrate, stats
from scipy.special import expit

from paradox import hypotheses, verdict
from paradox.models.srp import CELLS, LEVELS


def _posterior(effects, baseline, cutpoints, respondent_sd):
    """A one-draw posterior with the ordinal model's variables and dims."""
    experiments = ["a", "b"]
    data = {
        "recovery_effect": (("chain", "draw", "experiment", "recovery_level"), np.asarray(effects, float)[None, None]),
        "experiment_baseline": (("chain", "draw", "experiment"), np.asarray(baseline, float)[None, None]),
        "cutpoints": (("chain", "draw", "item", "cut"), np.asarray(cutpoints, float)[None, None]),
        "respondent_sd": (("chain", "draw"), np.array([[respondent_sd]])),
    }
    coords = {"experiment": experiments, "recovery_level": list(LEVELS), "item": ["i1", "i2"],
              "cut": [f"{k}|{k + 1}" for k in range(1, 5)]}
    return xr.DataTree.from_dict({"posterior": xr.Dataset(data, coords=coords)})


def test_top_two_box_equals_numerical_integration():
    cutpoints = [[-2, -1, 0.5, 1.5], [-1.5, -0.5, 0.2, 1.0]]
    idata = _posterior([[0.7, -0.4], [0.2, -0.9]], [0.3, -0.3], cutpoints, respondent_sd=1.3)
    t2b = hypotheses.top_two_box(idata)

    def exact(eta):
        per_item = [integrate.quad(lambda u: expit(eta + 1.3 * u - c[-2]) * np.exp(-u * u / 2) / np.sqrt(2 * np.pi),
                                   -12, 12)[0] for c in cutpoints]
        return np.mean(per_item)

    assert float(t2b.squeeze().sel(experiment="a", cell=CELLS[0])) == pytest.approx(exact(0.3), abs=1e-9)
    assert float(t2b.squeeze().sel(experiment="b", cell=CELLS[2])) == pytest.approx(exact(-0.3 - 0.9), abs=1e-9)
    effects = hypotheses.top_two_box_effects(idata)
    assert float(effects.squeeze().sel(experiment="a", recovery_level="favourable")) == pytest.approx(exact(1.0) - exact(0.3), abs=1e-9)


def _draws(fav, unfav):
    values = np.stack([fav, unfav], axis=-1)[None, :, None, :]  # chain, draw, experiment, level
    return xr.DataArray(values, dims=("chain", "draw", "experiment", "recovery_level"),
                        coords={"experiment": ["severity"], "recovery_level": list(LEVELS)})


def test_effect_summary_counts_the_posterior_mass_above_zero():
    fav = np.linspace(-1, 3, 1001)           # 75% above zero
    unfav = np.zeros(1001) - 0.5
    table = hypotheses.effect_summary(_draws(fav, unfav), "latent (logit)").set_index("quantity")
    assert table.at["favourable", "p_positive"] == pytest.approx(750 / 1001)
    assert table.at["unfavourable", "p_positive"] == 0
    assert table.at["difference", "mean"] == pytest.approx(1.5)
    assert table.at["favourable", "lower"] == pytest.approx(np.quantile(fav, 0.025))


P = hypotheses.DECISION_PROBABILITY


@pytest.mark.parametrize("p, expected", [(0.999, "positive"), (P, "positive"), (P - 0.001, "undecided"),
                                         (0.95, "undecided"), (1 - P + 0.001, "undecided"), (1 - P, "negative"),
                                         (0.0, "negative")])
def test_direction_uses_the_one_decision_probability(p, expected):
    assert hypotheses.direction(p, "positive", "negative", "undecided") == expected


def test_top_two_box_rows_are_effect_sizes_without_probabilities():
    idata = _posterior([[0.7, -0.4], [0.2, -0.9]], [0.3, -0.3], [[-2, -1, 0.5, 1.5]] * 2, respondent_sd=1.3)
    tests = hypotheses.paradox_tests(idata)
    assert tests.loc[tests["scale"] == hypotheses.SCALE_TOP_TWO, "p_positive"].isna().all()
    assert tests.loc[tests["scale"] == hypotheses.SCALE_LATENT, "p_positive"].notna().all()


def test_method_verdicts_judge_the_joint_draws(design):
    rng = np.random.default_rng(0)
    fav, unfav = rng.normal(-0.30, 0.05, 2000), rng.normal(-1.50, 0.05, 2000)
    table = hypotheses.method_verdicts(_draws(fav, unfav), design, "ordinal")
    row = table.set_index("hypothesis").loc["H1"]
    assert (row["method"], row["moderator"], row["favourable level"]) == ("ordinal", "severity", "low")
    assert row["verdict"] == verdict.MODERATION_ONLY
    assert row["p_moderation"] == 1.0 and row["p_claim"] == 0.0
    assert list(table.columns) == ["hypothesis", "method", "moderator", "favourable level", "verdict",
                                   *verdict.PROBABILITY_COLUMNS, *(f"{c}_mcse" for c in verdict.PROBABILITY_COLUMNS)]
    assert row["p_moderation_mcse"] == 0.0      # every draw agrees


def test_probability_mcse_follows_the_chains():
    """Independent draws: the Monte Carlo SE of a probability p from n draws is sqrt(p (1 - p) / n)."""
    event = np.random.default_rng(2).random((4, 2500)) < 0.3
    assert hypotheses._probability_mcse(event) == pytest.approx(np.sqrt(0.3 * 0.7 / 10000), rel=0.1)


def test_method_verdicts_use_the_designs_region(design):
    """The same draws, 0.25 above no failure: a paradox with the default region (0.18), none with a wider one."""
    fav, unfav = np.full(100, 0.25), np.full(100, -1.0)
    wide = dataclasses.replace(design, decision=dataclasses.replace(design.decision, rope_logit=0.3))
    assert hypotheses.method_verdicts(_draws(fav, unfav), design, "ordinal")["verdict"].item() == verdict.CLAIM
    assert hypotheses.method_verdicts(_draws(fav, unfav), wide, "ordinal")["verdict"].item() == verdict.MODERATION_ONLY


def test_welch_verdicts_test_against_the_region(design):
    welch = pd.DataFrame({
        "experiment": ["stability"] * 3,
        "contrast": ["recovery_favourable - no_failure", "recovery_unfavourable - no_failure", "favourable - unfavourable"],
        "difference": [0.8, -0.9, 1.7], "se": [0.2, 0.2, 0.2], "df": [200.0] * 3,
    })
    row = hypotheses.welch_verdicts(welch, design).set_index("hypothesis").loc["H3"]
    assert row["verdict"] == verdict.CLAIM
    # 1 - p of the test of delta_fav <= 0.10 (the design's region in points): t = (0.8 - 0.1) / 0.2 = 3.5.
    assert row["p_paradox_favourable"] == pytest.approx(1 - stats.t.sf(3.5, 200.0))


def test_verdict_table_has_one_row_per_hypothesis_and_method(design):
    rng = np.random.default_rng(1)
    draws = _draws(rng.normal(1, 0.1, 500), rng.normal(-1, 0.1, 500))
    table = hypotheses.verdict_table(hypotheses.method_verdicts(draws, design, "gaussian"),
                                     hypotheses.method_verdicts(draws, design, "ordinal"))
    assert list(zip(table["hypothesis"], table["method"])) == [("H1", "ordinal"), ("H1", "gaussian")]
    wide = hypotheses.compare_verdicts(table)
    assert wide.loc["H1", "ordinal"] == wide.loc["H1", "gaussian"] == verdict.CLAIM


def test_effect_recovery_sets_each_true_effect_beside_its_interval(design):
    """The design's true effects for severity, against draws centred on them (inside) and shifted by 1 (outside)."""
    true_fav = design.simulation.effects["severity"]["recovery_favourable"]
    true_unfav = design.simulation.effects["severity"]["recovery_unfavourable"]
    grid = np.linspace(-0.5, 0.5, 2001)
    table = hypotheses.effect_recovery(_draws(true_fav + grid, true_unfav + 1.0 + grid), design).set_index("level")
    assert list(table.index) == ["favourable", "unfavourable"]
    assert table.at["favourable", "true"] == true_fav and table.at["unfavourable", "true"] == true_unfav
    assert table.at["favourable", "mean"] == pytest.approx(true_fav)
    assert table.at["favourable", "lower"] == pytest.approx(true_fav - 0.475, abs=1e-3)
    assert table.at["favourable", "inside"] and not table.at["unfavourable", "inside"]
