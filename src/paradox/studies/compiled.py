"""Compile once per worker: nutpie's compiled models, kept in the worker process and keyed by structure.

The key is `paradox.cache.model_fingerprint(model, data_values=False)`: the graphs of the log density and the
Deterministics with every constant in them, the coords of the drawn variables, and the names, types and ranks
of the pm.Data, but not their values, nor their shapes when the coords give every drawn variable's shape. Two
surveys whose models differ only in pm.Data values and lengths get the same key, and the second is sampled on
the first's compiled model with its own data swapped in (nutpie's `with_data`), which costs milliseconds
instead of seconds. A model whose data are constants (no pm.Data) has a key of its own for
every survey, so it is compiled afresh each time and not kept.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import nutpie
import pymc as pm
import xarray as xr

from paradox.cache import model_fingerprint
from paradox.models import nutpie_callbacks
from paradox.settings import SamplerSettings

#: Compiled models kept per process (a study uses one or two; the bound only caps memory).
MAX_KEPT = 8
_kept: OrderedDict[str, object] = OrderedDict()


def _data_values(model: pm.Model) -> dict[str, np.ndarray]:
    return {var.name: np.asarray(var.get_value()) for var in model.data_vars}


@dataclass(frozen=True)
class Fitted:
    posterior: xr.DataTree
    compiled: bool          # False: an earlier fit's compiled model was reused with this survey's data
    prepare_seconds: float  # graph hashing and compiling (or swapping data)
    sample_seconds: float


def compiled_for(model: pm.Model) -> tuple[object, bool]:
    """(nutpie compiled model, whether it was compiled now) for this model and its current data."""
    data = _data_values(model)
    key = model_fingerprint(model, data_values=False) if data else None
    if key is not None and key in _kept:
        _kept.move_to_end(key)
        return _kept[key].with_data(**data), False
    nutpie_callbacks.install()  # the callbacks are built for less (models.nutpie_callbacks)
    compiled = nutpie.compile_pymc_model(model, backend="numba")
    if key is not None:
        _kept[key] = compiled
        while len(_kept) > MAX_KEPT:
            _kept.popitem(last=False)
    return compiled, True


def sample(model: pm.Model, settings: SamplerSettings, seed: int) -> Fitted:
    """NUTS (nutpie) with the settings' draws, tune, chains and target_accept; chains one after another,
    because a study's parallelism is its worker processes (one core each)."""
    start = time.perf_counter()
    compiled, fresh = compiled_for(model)
    prepared = time.perf_counter()
    posterior = nutpie.sample(compiled, draws=settings.draws, tune=settings.tune, chains=settings.chains, cores=1,
                              seed=seed, progress_bar=False, **settings.nutpie_options(compiled.n_dim))
    return Fitted(posterior, fresh, prepared - start, time.perf_counter() - prepared)


def forget_compiled() -> None:
    """Drop every kept compiled model (benchmarks measure cold fits with it)."""
    _kept.clear()
