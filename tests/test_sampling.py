"""Sampling settings and the convergence checks that make notebooks fail loudly."""

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import pytest
import xarray as xr

from paradox.models import nutpie_memo
from paradox.models.sampling import (ConvergenceError, SamplingStopped, assert_converged, convergence_report,
                                     free_parameter_count, sample, thinned)
from paradox.settings import (DEFAULT_NUTS_SAMPLER, LOW_RANK_MAX_PARAMETERS, SEED, SLOW_MIXING_MIN_DRAWS, SamplerSettings,
                              output_dirs)


def test_settings_from_environment():
    fast = SamplerSettings.from_env({"PARADOX_MODE": "fast"})
    full = SamplerSettings.from_env({})
    assert fast.is_fast and not full.is_fast
    assert fast.draws < full.draws
    assert full.seed == SEED and full.nuts_sampler == DEFAULT_NUTS_SAMPLER == "nutpie"
    custom = SamplerSettings.from_env({"PARADOX_MODE": "fast", "PARADOX_DRAWS": "123", "PARADOX_SEED": "9"})
    assert (custom.draws, custom.seed, custom.tune) == (123, 9, fast.tune)
    with pytest.raises(ValueError, match="PARADOX_MODE"):
        SamplerSettings.from_env({"PARADOX_MODE": "quick"})


def test_thinning_keeps_every_kth_draw_of_each_chain_and_at_most_max_draws():
    draws = xr.Dataset({"mu": (("chain", "draw"), np.arange(4 * 1000.0).reshape(4, 1000))},
                       coords={"chain": range(4), "draw": range(1000)})
    tree = xr.DataTree.from_dict({"posterior": draws, "sample_stats": draws})
    kept = thinned(tree, max_draws=400)["posterior"]
    assert dict(kept.sizes) == {"chain": 4, "draw": 100}
    np.testing.assert_array_equal(kept["draw"].values, np.arange(0, 1000, 10))
    np.testing.assert_array_equal(kept["mu"].values[1], np.arange(1000.0, 2000.0, 10))
    assert dict(thinned(tree, max_draws=300)["posterior"].sizes) == {"chain": 4, "draw": 72}  # step 14
    assert dict(thinned(tree, max_draws=10**6)["posterior"].sizes) == {"chain": 4, "draw": 1000}


def test_fast_mode_never_writes_the_committed_figures():
    figures, results = output_dirs(SamplerSettings.from_env({"PARADOX_MODE": "fast"}))
    committed_figures, committed_results = output_dirs(SamplerSettings.from_env({"PARADOX_MODE": "full"}))
    assert figures != committed_figures and results != committed_results
    assert "build" in figures.parts


def test_slow_mixing_models_get_at_least_the_minimum_draws_and_full_mode_is_unchanged():
    fast = SamplerSettings.from_env({"PARADOX_MODE": "fast"})
    full = SamplerSettings.from_env({"PARADOX_MODE": "full"})
    assert fast.draws < SLOW_MIXING_MIN_DRAWS == fast.for_slow_mixing().draws
    assert full.for_slow_mixing() == full and full.draws > SLOW_MIXING_MIN_DRAWS
    assert fast.for_slow_mixing().with_(draws=fast.draws) == fast  # nothing else changes


def test_a_pooled_model_gets_the_pooled_settings_and_nothing_else_does():
    from paradox import hypotheses
    from paradox.models import srp

    fast = SamplerSettings.from_env({"PARADOX_MODE": "fast"})
    with pm.Model() as pooled:
        pm.HalfNormal(srp.POOLING_SPREAD, 1.0)
    with pm.Model() as plain:
        pm.HalfNormal("sigma", 1.0)
    chosen = hypotheses.settings_for(pooled, fast)
    assert (chosen.draws, chosen.target_accept, chosen.max_tree_depth) == (
        SLOW_MIXING_MIN_DRAWS, hypotheses.POOLED_TARGET_ACCEPT, hypotheses.POOLED_MAX_TREE_DEPTH)
    assert chosen.with_(draws=fast.draws, target_accept=fast.target_accept, max_tree_depth=fast.max_tree_depth) == fast
    assert hypotheses.settings_for(plain, fast) == fast


def _standard_normal(n: int):
    with pm.Model() as model:
        pm.Normal("x", 0.0, 1.0, shape=n)
    return model


@pytest.mark.parametrize("sampler", ["nutpie", "pymc"])
def test_the_deepest_trajectory_reaches_the_sampler(fast_settings, sampler):
    """max_tree_depth caps the trajectories of either NUTS (2**depth - 1 leapfrog steps): 200 dimensions at
    target_accept 0.99 take longer ones without it."""
    settings = fast_settings.with_(draws=100, tune=100, chains=2, nuts_sampler=sampler, target_accept=0.99)
    steps = {depth: int(sample(_standard_normal(200), settings.with_(max_tree_depth=depth))["sample_stats"]["n_steps"].max())
             for depth in (3, 10)}
    assert steps[3] <= 2**3 - 1 < steps[10], steps


def test_only_models_of_few_parameters_get_the_low_rank_mass_matrix(fast_settings):
    """nutpie adapts a low-rank mass matrix up to LOW_RANK_MAX_PARAMETERS free parameters, counted on the sampling
    scale (a ZeroSumNormal over n levels moves n - 1 numbers), and a diagonal one above, which the posterior names.
    Settings without the low-rank matrix never get it."""
    with pm.Model(coords={"respondent": range(LOW_RANK_MAX_PARAMETERS + 1)}) as model:
        pm.HalfNormal("respondent_sd", 1.0)
        pm.ZeroSumNormal("respondent_z", dims="respondent")
    n = free_parameter_count(model)
    assert n == LOW_RANK_MAX_PARAMETERS + 1
    assert (fast_settings.mass_matrix(n), fast_settings.mass_matrix(n - 1)) == ("diag", "low_rank")
    assert fast_settings.with_(low_rank_mass_matrix=False).mass_matrix(1) == "diag"
    settings = fast_settings.with_(draws=50, tune=50, chains=1, nuts_sampler="nutpie")
    assert sample(model, settings)["posterior"].attrs["mass_matrix"] == "diag"


def _normal_model():
    with pm.Model(coords={"k": ["a", "b"]}) as model:
        pm.Normal("x", 0, 1, dims="k")
    return model


def test_same_seed_same_draws(fast_settings):
    """The same draws from a fresh compile and from the compiled model the process kept (nutpie_memo)."""
    settings = fast_settings.with_(draws=50, tune=50, chains=2)
    a = sample(_normal_model(), settings)["posterior"]["x"].values
    nutpie_memo.forget()
    b = sample(_normal_model(), settings)["posterior"]["x"].values
    c = sample(_normal_model(), settings)["posterior"]["x"].values
    assert np.array_equal(a, b) and np.array_equal(a, c)


def _model_with(observed, factor):
    with pm.Model() as model:
        x = pm.Normal("x", 0.0, 1.0, shape=2)
        pm.Deterministic("scaled", factor * x)
        pm.Normal("y", x, 1.0, observed=observed)
    return model


def test_an_unchanged_model_is_compiled_once_per_process(fast_settings):
    """A rebuilt identical model reuses the compiled one; other data or another Deterministic compiles anew
    (the Deterministics are computed by the compiled model, and the log density does not show them)."""
    settings = fast_settings.with_(draws=50, tune=50, chains=2, nuts_sampler="nutpie")  # the memo is nutpie's
    nutpie_memo.forget()
    before = nutpie_memo.counts()
    sample(_model_with(np.array([0.5, 1.0]), 2.0), settings)
    first = sample(_model_with(np.array([0.5, 1.0]), 2.0), settings)
    other_data = sample(_model_with(np.array([0.5, 3.0]), 2.0), settings)
    other_deterministic = sample(_model_with(np.array([0.5, 1.0]), 3.0), settings)
    after = nutpie_memo.counts()
    assert (after["compiled"] - before["compiled"], after["reused"] - before["reused"]) == (3, 1)
    posterior = other_deterministic["posterior"]
    np.testing.assert_allclose(posterior["scaled"].values, 3.0 * posterior["x"].values)
    assert not np.array_equal(first["posterior"]["x"].values, other_data["posterior"]["x"].values)


def test_an_interrupted_run_is_refused_not_returned(fast_settings, monkeypatch):
    """PyMC's and nutpie's samplers, interrupted (Ctrl-C, a notebook cell's timeout), return the chains and
    draws made so far; sample() raises instead of passing them on as a result (or caching them)."""
    real = pm.sample

    def stopped_early(*args, **kwargs):  # what an interrupted run returns: fewer chains than asked for
        return real(*args, **{**kwargs, "chains": 1})

    monkeypatch.setattr(pm, "sample", stopped_early)
    with pytest.raises(SamplingStopped, match="1 chains x 50 draws of 2 x 50"):
        sample(_normal_model(), fast_settings.with_(draws=50, tune=50, chains=2))


def test_a_well_behaved_model_passes(fast_settings):
    report = assert_converged(sample(_normal_model(), fast_settings.with_(draws=500, tune=300, chains=2)))
    assert report["passed"].all()


def test_too_few_draws_fail_loudly(fast_settings):
    idata = sample(_normal_model(), fast_settings.with_(draws=20, tune=20, chains=2))
    with pytest.raises(ConvergenceError, match="bulk ESS"):
        assert_converged(idata)


def _draws_with_divergences(diverging: np.ndarray) -> xr.DataTree:
    """Well-mixed draws of one parameter, with the given divergence flags (chain, draw)."""
    rng = np.random.default_rng(0)
    dims = ("chain", "draw")
    return xr.DataTree.from_dict({
        "posterior": xr.Dataset({"mu": (dims, rng.normal(size=diverging.shape))}),
        "sample_stats": xr.Dataset({"diverging": (dims, diverging)}),
    })


def test_divergences_are_counted_and_fail_the_check():
    """The check itself, on sample statistics built by hand: exactly 3 divergent transitions."""
    diverging = np.zeros((4, 500), dtype=bool)
    diverging[[0, 2, 3], [10, 20, 30]] = True
    report = convergence_report(_draws_with_divergences(diverging))
    assert report.loc["divergences", "value"] == 3 and not report.loc["divergences", "passed"]
    assert report.drop("divergences")["passed"].all()
    with pytest.raises(ConvergenceError, match="divergences: 3"):
        assert_converged(_draws_with_divergences(diverging))
    assert assert_converged(_draws_with_divergences(np.zeros((4, 500), dtype=bool)))["passed"].all()


def test_the_samplers_divergences_reach_the_check(fast_settings):
    """A posterior with hard walls: every trajectory that reaches a wall meets an infinite energy and
    diverges, and with a flat density inside most trajectories reach one, whatever the seed or the
    sampler (about 90% of 200 draws in trials with three seeds, nutpie and PyMC alike)."""
    with pm.Model() as box:
        x = pm.Normal("x", 0, 1, shape=2)
        pm.Potential("walls", pt.switch(pt.all(pt.abs(x) < 0.5), 0.0, -np.inf))
    idata = sample(box, fast_settings.with_(draws=100, tune=100, chains=2))
    assert convergence_report(idata).loc["divergences", "value"] > 50
    with pytest.raises(ConvergenceError, match="divergences"):
        assert_converged(idata)


def test_nuisance_dims_are_left_out_unless_named(fast_settings):
    with pm.Model(coords={"respondent": list("abc")}) as model:
        pm.Normal("mu", 0, 1)
        pm.Normal("z", 0, 1, dims="respondent")
    idata = sample(model, fast_settings.with_(draws=100, tune=100, chains=2))
    assert convergence_report(idata).loc["max R-hat", "worst_variable"] == "mu"
    assert convergence_report(idata, var_names=["z"]).loc["max R-hat", "worst_variable"] == "z"
