"""paradox.answer_shift: latent effects translated into top-two-box shares, on hand-made posterior draws
(a deterministic transformation: nothing is sampled)."""

import numpy as np
import pytest
import xarray as xr
from scipy.special import expit

from paradox import answer_shift, hypotheses


def _posterior(n_experiments: int, respondent_sd: float | None = None, seed: int = 3) -> xr.Dataset:
    rng = np.random.default_rng(seed)
    chains, draws, items, cuts = 2, 5, 3, 6
    experiments = [f"e{k}" for k in range(n_experiments)]
    dims = {"chain": np.arange(chains), "draw": np.arange(draws)}
    cutpoints = np.sort(rng.normal(0, 2, (chains, draws, items, cuts)), axis=-1)
    sd = rng.uniform(1, 4, (chains, draws)) if respondent_sd is None else np.full((chains, draws), respondent_sd)
    data = {
        "cutpoints": (("chain", "draw", "item", "cut"), cutpoints),
        "respondent_sd": (("chain", "draw"), sd),
        "recovery_effect": (("chain", "draw", "experiment", "recovery_level"),
                            rng.normal(1, 1, (chains, draws, n_experiments, 2))),
    }
    if n_experiments > 1:
        base = rng.normal(0, 1, (chains, draws, n_experiments))
        data["experiment_baseline"] = (("chain", "draw", "experiment"), base - base.mean(-1, keepdims=True))
    return xr.Dataset(data, coords={**dims, "experiment": experiments, "recovery_level": ["favourable", "unfavourable"],
                                    "item": ["a", "b", "c"], "cut": [f"{k}|{k + 1}" for k in range(1, 7)]})


@pytest.mark.parametrize("n_experiments", [1, 4])
def test_unshifted_share_is_the_control_cell_of_the_reported_top_two_box(n_experiments):
    posterior = _posterior(n_experiments)
    reported = hypotheses.top_two_box(xr.DataTree.from_dict({"posterior": posterior})).sel(cell="no_failure")
    np.testing.assert_allclose(answer_shift.top_two_share(posterior).transpose(*reported.dims), reported, rtol=1e-12)


def test_without_respondent_spread_the_share_is_the_logistic_of_shift_minus_threshold():
    posterior = _posterior(1, respondent_sd=0.0)
    expected = expit(1.0 - posterior["cutpoints"].isel(cut=-2)).mean("item")
    np.testing.assert_allclose(answer_shift.top_two_share(posterior, 1.0).isel(experiment=0), expected, rtol=1e-10)


def test_table_rows_grow_with_the_effect_and_say_it_in_words():
    table = answer_shift.effect_in_answers(_posterior(4), effects=(0.0, 1.0, 2.0))
    assert len(table) == 3 * 4
    zero = table[table["effect (logit)"] == 0.0]
    np.testing.assert_allclose(zero["difference (percentage points)"], 0.0, atol=1e-12)
    for _, group in table.groupby("experiment"):
        assert np.all(np.diff(group["top-two share, shifted"].to_numpy()) > 0)
        assert group["top-two share, control"].nunique() == 1
    text = answer_shift.describe(table[table["effect (logit)"] == 1.0])
    first = table[table["effect (logit)"] == 1.0].iloc[0]
    assert f"from {first['top-two share, control']:.0%}" in text and f"to {first['top-two share, shifted']:.0%}" in text
    assert "effect of 1 logit moves" in text
    assert "effect of 2 logits moves" in answer_shift.describe(table[table["effect (logit)"] == 2.0])


def test_a_posterior_without_cutpoints_is_an_error():
    with pytest.raises(ValueError, match="cutpoints"):
        answer_shift.top_two_share(_posterior(1).drop_vars("cutpoints"))
