"""The one ordinal engine (paradox.models.ordinal): every builder's model is the one it made before the engine.

tests/engine_baseline.py recorded, from the code before the refactoring, each builder's log density and
gradient at random points and its fingerprint (paradox.cache.model_fingerprint, the result cache's key).
Rebuilt through the engine, every model must give the same numbers (1e-10) and the same fingerprint: a
change of either fails here. A deliberate change of the fingerprint re-records the fingerprints only (see
tests/engine_baseline.py; done on 2026-11-27) and goes with a `make reproduce`. No model is compiled for
sampling here (pytensor's Python mode): a few seconds.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import engine_baseline
from paradox.cache import model_fingerprint

BASELINE = json.loads(engine_baseline.FIXTURE.read_text())
CASES = engine_baseline.cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_builder_keeps_its_log_density_and_gradient(name):
    from paradox.models.sampling import FORWARD_MODE

    model = CASES[name]()
    recorded = BASELINE[name]
    logp, dlogp = model.compile_logp(mode=FORWARD_MODE), model.compile_dlogp(mode=FORWARD_MODE)
    for record in recorded["points"]:
        point = {k: np.asarray(v) for k, v in record["point"].items()}
        assert logp(point) == pytest.approx(record["logp"], abs=1e-10, rel=1e-12)
        np.testing.assert_allclose(dlogp(point), record["dlogp"], atol=1e-10, rtol=1e-12)
    assert model_fingerprint(model) == recorded["fingerprint"]


def test_the_notebook_models_keep_their_fingerprints():
    """The models the notebooks sample (the committed survey): same key in the result cache."""
    for name, build in engine_baseline.notebook_models().items():
        assert model_fingerprint(build()) == BASELINE[name]["fingerprint"], name
