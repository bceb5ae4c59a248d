"""Sampling settings and the convergence checks that make notebooks fail loudly."""

import numpy as np
import pymc as pm
import pytest

from paradox.models.sampling import ConvergenceError, assert_converged, convergence_report, sample
from paradox.settings import DEFAULT_NUTS_SAMPLER, SEED, SamplerSettings, output_dirs


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


def test_fast_mode_never_writes_the_committed_figures():
    figures, results = output_dirs(SamplerSettings.from_env({"PARADOX_MODE": "fast"}))
    committed_figures, committed_results = output_dirs(SamplerSettings.from_env({"PARADOX_MODE": "full"}))
    assert figures != committed_figures and results != committed_results
    assert "build" in figures.parts


def _normal_model():
    with pm.Model(coords={"k": ["a", "b"]}) as model:
        pm.Normal("x", 0, 1, dims="k")
    return model


def test_same_seed_same_draws():
    settings = SamplerSettings(draws=50, tune=50, chains=2)
    a = sample(_normal_model(), settings)["posterior"]["x"].values
    b = sample(_normal_model(), settings)["posterior"]["x"].values
    assert np.array_equal(a, b)


def test_a_well_behaved_model_passes():
    report = assert_converged(sample(_normal_model(), SamplerSettings(draws=500, tune=300, chains=2)))
    assert report["passed"].all()


def test_too_few_draws_fail_loudly():
    idata = sample(_normal_model(), SamplerSettings(draws=20, tune=20, chains=2))
    with pytest.raises(ConvergenceError, match="bulk ESS"):
        assert_converged(idata)


def test_divergences_are_caught():
    """Neal's funnel, centred: NUTS diverges in the neck."""
    with pm.Model() as funnel:
        log_scale = pm.Normal("log_scale", 0, 3)
        pm.Normal("x", 0, pm.math.exp(log_scale / 2), shape=5)
    idata = sample(funnel, SamplerSettings(draws=300, tune=300, chains=2, target_accept=0.8))
    report = convergence_report(idata)
    assert report.loc["divergences", "value"] > 0 and not report.loc["divergences", "passed"]
    with pytest.raises(ConvergenceError, match="divergences"):
        assert_converged(idata)


def test_nuisance_dims_are_left_out_unless_named():
    with pm.Model(coords={"respondent": list("abc")}) as model:
        pm.Normal("mu", 0, 1)
        pm.Normal("z", 0, 1, dims="respondent")
    idata = sample(model, SamplerSettings(draws=100, tune=100, chains=2))
    assert convergence_report(idata).loc["max R-hat", "worst_variable"] == "mu"
    assert convergence_report(idata, var_names=["z"]).loc["max R-hat", "worst_variable"] == "z"
