"""Contrasts and verdicts: the top-two-box transform, the summaries and the decision rule."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import integrate
from scipy.special import expit

from paradox import hypotheses
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


@pytest.mark.parametrize("p, expected", [(0.99, "supported"), (0.95, "supported"), (0.949, "inconclusive"),
                                         (0.051, "inconclusive"), (0.05, "contradicted"), (0.0, "contradicted")])
def test_decision_rule(p, expected):
    assert hypotheses.direction(p, "supported", "contradicted", "inconclusive") == expected


def test_verdicts_read_each_quantity(design):
    rows = [("severity", "favourable", 0.99), ("severity", "unfavourable", 0.5), ("severity", "difference", 0.02)]
    tests = pd.DataFrame([{"experiment": e, "scale": "s", "quantity": q, "p_positive": p} for e, q, p in rows])
    verdict = hypotheses.verdicts(tests, design)
    assert list(verdict.index) == ["H1"]
    assert verdict.loc["H1"].to_dict() == {
        "moderator": "severity", "favourable level": "low", "paradox at favourable": "yes",
        "paradox at unfavourable": "uncertain", "hypothesis verdict": "contradicted",
    }


def test_welch_verdicts_use_one_sided_p(design):
    welch = pd.DataFrame({
        "experiment": ["stability"] * 3,
        "contrast": ["recovery_favourable - no_failure", "recovery_unfavourable - no_failure", "favourable - unfavourable"],
        "p_one_sided": [0.2, 0.999, 0.001],
    })
    verdict = hypotheses.welch_verdicts(welch, design).loc["H3"]
    assert (verdict["paradox at favourable"], verdict["paradox at unfavourable"], verdict["hypothesis verdict"]) == (
        "uncertain", "no", "supported")


def test_compare_verdicts_puts_methods_side_by_side(design):
    a = pd.DataFrame({"moderator": ["severity"], "favourable level": ["low"], "hypothesis verdict": ["supported"]},
                     index=pd.Index(["H1"], name="hypothesis"))
    b = a.assign(**{"hypothesis verdict": ["inconclusive"]})
    table = hypotheses.compare_verdicts(ordinal=a, welch=b)
    assert table.loc["H1", "ordinal"] == "supported" and table.loc["H1", "welch"] == "inconclusive"
