"""The result cache: hits when nothing changed, misses when anything did, and never trusts a bad file."""

import json

import numpy as np
import pymc as pm
import pytest

from paradox.cache import ResultCache, cache_key, cached, model_fingerprint
from paradox.models.sampling import sample
from paradox.settings import SamplerSettings

SETTINGS = SamplerSettings(draws=50, tune=50, chains=2, cache="on")
UNCACHED = SETTINGS.with_(cache="off")


def _model(data=(1.0, 2.0, 3.0), prior_sd=2.0):
    with pm.Model(coords={"obs": range(len(data))}) as model:
        mu = pm.Normal("mu", 0, prior_sd)
        pm.Normal("y", mu, 1, observed=np.array(data), dims="obs")
    return model


def test_fingerprint_sees_data_priors_and_structure():
    base = model_fingerprint(_model())
    assert model_fingerprint(_model()) == base
    assert model_fingerprint(_model(data=(1.0, 2.0, 3.5))) != base
    assert model_fingerprint(_model(prior_sd=2.5)) != base


def _integrated_model():
    """A model whose likelihood is a compiled kernel (paradox.models.pattern_integral), not a graph."""
    import pytensor.tensor as pt

    from paradox.models import quadrature

    with pm.Model() as model:
        cutpoints = pm.Normal("cutpoints", [-1.0, 1.0], 1, transform=pm.distributions.transforms.ordered,
                              initval=[-1.0, 1.0])
        sd = pm.HalfNormal("sd", 1)
        pm.Potential("answers", quadrature.weighted_pattern_loglik(
            np.array([[0], [1], [2]]), np.zeros(3, dtype=int), np.ones(3), cutpoints[None, :], pt.zeros(1), sd))
    return model


def test_fingerprint_sees_the_code_of_a_compiled_kernel(monkeypatch):
    """A kernel's operation is the same text before and after an edit of its code: its code's digest is in
    the key, so the result cache never serves the draws of a kernel as it was before."""
    from paradox.models import pattern_integral

    base = model_fingerprint(_integrated_model())
    assert model_fingerprint(_integrated_model()) == base
    monkeypatch.setattr(pattern_integral.WeightedLoglik, "code_digest", pattern_integral.SOURCE_SALT + 1)
    assert model_fingerprint(_integrated_model()) != base


def _data_model(data=(1.0, 2.0, 3.0), data_name="y_obs", rv_name="mu"):
    with pm.Model() as model:
        y = pm.Data(data_name, np.array(data))
        mu = pm.Normal(rv_name, 0, 2)
        pm.Normal("y", mu, 1, observed=y)
    return model


def test_fingerprint_without_data_values_sees_the_data_names_only():
    """The studies' compiled-model key: one key for surveys of one design, of any size, another for anything
    else."""
    base = model_fingerprint(_data_model(), data_values=False)
    assert model_fingerprint(_data_model(data=(4.0, 5.0, 6.0)), data_values=False) == base
    assert model_fingerprint(_data_model(data=(4.0, 5.0)), data_values=False) == base  # mu's shape is the same
    assert model_fingerprint(_data_model(data_name="z_obs"), data_values=False) != base
    assert model_fingerprint(_data_model(rv_name="nu"), data_values=False) != base
    # the result cache's key sees the values and the shapes
    assert model_fingerprint(_data_model(data=(4.0, 5.0, 6.0))) != model_fingerprint(_data_model())
    assert model_fingerprint(_data_model(data=(1.0, 2.0))) != model_fingerprint(_data_model())


def _sized_by_data(data, named: bool):
    """A draw whose length is the data's: an effect per observation, its axis named (coords) or not."""
    with pm.Model(coords={"obs": range(len(data))} if named else None) as model:
        y = pm.Data("y_obs", np.array(data))
        effect = pm.Normal("effect", 0, 1, dims="obs") if named else pm.Normal("effect", 0, 1, shape=y.shape[0])
        pm.Normal("y", effect, 1, observed=y)
    return model


@pytest.mark.parametrize("named", [True, False])
def test_fingerprint_without_data_values_sees_a_shape_the_draws_take_from_the_data(named):
    """A compiled sampler fixes the draws' layout, so data that would change a draw's shape get another key:
    through the coords of a named axis, through the data's shapes where an axis has no name."""
    assert model_fingerprint(_sized_by_data((1.0, 2.0, 3.0), named), data_values=False) != \
        model_fingerprint(_sized_by_data((1.0, 2.0), named), data_values=False)
    assert model_fingerprint(_sized_by_data((1.0, 2.0, 3.0), named), data_values=False) == \
        model_fingerprint(_sized_by_data((4.0, 5.0, 6.0), named), data_values=False)


def _deterministic_model(roles=(1, 2)):
    """Two cell effects and a Deterministic that reads them in the order `roles` gives."""
    with pm.Model() as model:
        effect = pm.Normal("effect", 0, 1, shape=3)
        pm.Deterministic("recovery_effect", effect[list(roles)] - effect[0])
        pm.Normal("y", effect.sum(), 1, observed=np.array([0.5, 1.5]))
    return model


def test_fingerprint_sees_the_deterministics():
    """Same log density, two cells' roles swapped in a Deterministic: other draws of it, so another key
    (before 2026-11-27 the key saw the log density only, and served one model's draws for the other)."""
    base = model_fingerprint(_deterministic_model())
    assert model_fingerprint(_deterministic_model()) == base
    assert model_fingerprint(_deterministic_model(roles=(2, 1))) != base
    assert model_fingerprint(_deterministic_model(roles=(2, 1)), data_values=False) \
        != model_fingerprint(_deterministic_model(), data_values=False)


def test_fingerprint_does_not_depend_on_what_the_process_compiled_before():
    """pytensor shares constants between graphs and a compile may name one (in the SRP model, the 0.0 of a
    ZeroSumNormal's Jacobian and of the no-failure cell's zero shift): a printout of the graph changes then,
    the fingerprint must not, or a result cached by one process is refitted by the next."""
    import engine_baseline
    from paradox.models.sampling import FORWARD_MODE

    build = engine_baseline.cases()["srp_respondents_unpooled"]
    before = model_fingerprint(build())
    compiled = build()
    compiled.compile_logp(mode=FORWARD_MODE)
    assert model_fingerprint(compiled) == before
    assert model_fingerprint(build()) == before


class _ExpOneBitUp:
    """NumPy, but np.exp one bit above: what another CPU's SIMD path can give (see the test below)."""

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def exp(x):
        return np.nextafter(np.exp(x), np.inf)


def test_fingerprint_does_not_depend_on_the_last_bit_of_a_computed_constant(monkeypatch):
    """The integrated likelihood's quadrature weights come from np.exp, whose last bit depends on the CPU's
    SIMD path: every integrated model's key differed on the machine of 2026-11-27 from the one recorded on the
    machine before. Float constants enter the key at 32 significant bits (paradox.cache.CONSTANT_BITS)."""
    import engine_baseline
    from paradox import cache
    from paradox.models import quadrature

    build = engine_baseline.cases()["srp_integrated_unpooled"]
    model = build()
    monkeypatch.setattr(quadrature, "np", _ExpOneBitUp())
    perturbed = build()
    assert model_fingerprint(perturbed) == model_fingerprint(model)
    # Every bit of the constants in the key (as before): the weights did change, and so would the key.
    with monkeypatch.context() as exact:
        exact.setattr(cache, "CONSTANT_BITS", 52)
        assert model_fingerprint(perturbed) != model_fingerprint(model)
    # A real change of the constants still changes the key: half as many quadrature nodes.
    monkeypatch.setattr(quadrature, "nodes_for", lambda n_items: 41)
    assert model_fingerprint(build()) != model_fingerprint(model)


def test_key_depends_on_sampler_settings_but_not_on_mode():
    model = _model()
    key, _ = cache_key("posterior", model, SETTINGS)
    assert cache_key("posterior", model, SETTINGS.with_(mode="fast"))[0] == key
    assert cache_key("posterior", model, SETTINGS.with_(seed=1))[0] != key
    assert cache_key("posterior", model, SETTINGS.with_(draws=51))[0] != key
    assert (cache_key("posterior", model, SETTINGS.with_(nuts_sampler="nutpie"))[0]
            != cache_key("posterior", model, SETTINGS.with_(nuts_sampler="pymc"))[0])


@pytest.fixture
def store(tmp_path):
    return ResultCache(tmp_path / "cache")


def _fit(model, store, calls):
    def compute():
        calls.append(1)
        return sample(model, UNCACHED)
    return cached("posterior", model, SETTINGS, compute, cache=store)


def test_second_run_is_served_from_the_cache_with_identical_draws(store):
    calls = []
    first = _fit(_model(), store, calls)
    second = _fit(_model(), store, calls)
    assert len(calls) == 1
    np.testing.assert_array_equal(first["posterior"]["mu"].values, second["posterior"]["mu"].values)
    # The time the sampling took when the draws were made comes with them (a fit read from the cache reports
    # that, not the time of the read: FitResult.sampling_seconds, run.json).
    assert second["posterior"].attrs["sampling_time"] == first["posterior"].attrs["sampling_time"] > 0
    _fit(_model(prior_sd=3.0), store, calls)
    assert len(calls) == 2


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda nc, meta: nc.write_bytes(nc.read_bytes()[: nc.stat().st_size // 2]), "truncated"),
        (lambda nc, meta: nc.write_bytes(nc.read_bytes()[:-8] + b"garbage!"), "corrupt"),
        (lambda nc, meta: meta.write_text("{not json"), "corrupt"),
        (lambda nc, meta: meta.unlink(), "missing its provenance"),
        (lambda nc, meta: meta.write_text(json.dumps({**json.loads(meta.read_text()),
                                                      "provenance": {"kind": "other"}})), "stale"),
    ],
)
def test_a_damaged_entry_is_reported_and_refitted(store, capsys, damage, reason):
    calls = []
    _fit(_model(), store, calls)
    key, _ = cache_key("posterior", _model(), SETTINGS)
    nc, meta = store.paths(key)
    damage(nc, meta)
    _fit(_model(), store, calls)
    assert len(calls) == 2
    assert reason in capsys.readouterr().err
    _fit(_model(), store, calls)  # repaired: served again
    assert len(calls) == 2


def test_off_and_refresh(store):
    calls = []
    model = _model()
    def compute():
        calls.append(1)
        return sample(model, UNCACHED)

    cached("posterior", model, UNCACHED, compute, cache=store)
    assert not store.directory.exists()
    _fit(model, store, calls)
    cached("posterior", model, SETTINGS.with_(cache="refresh"), compute, cache=store)
    assert len(calls) == 3
