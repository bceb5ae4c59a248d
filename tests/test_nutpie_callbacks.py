"""paradox.models.nutpie_callbacks: nutpie's two callbacks are built at LLVM level 0 and with plain loops, stored in
numba's cache and loaded from it in the next process (also by a model with other data), and neither the draws nor
the callbacks' answers change.

Each variant runs in a process of its own (the builders are installed once per process and stay), one after
the other, in a compile directory that has this worker's compiled operations but none of the callbacks."""

import json
import os
import subprocess
import sys

import pytensor
import pytest

from paradox.numba_cache import NUMBA_SUBDIR, add_missing_entries

PROGRAM = """
import ctypes, hashlib, json, sys
import numpy as np, nutpie, pymc as pm, pytensor.tensor as pt
from paradox.models import nutpie_callbacks
if sys.argv[1] == "installed":
    nutpie_callbacks.install()
with pm.Model() as model:
    mu = pm.Normal("mu", 0.0, 1.0, shape=3)
    sd = pm.HalfNormal("sd", 1.0)
    pm.Normal("y", mu.sum() + mu[0] ** 2, sd, observed=[0.3, -1.2, 2.0, 0.7])
draws = nutpie.sample(nutpie.compile_pymc_model(model, backend="numba"), draws=200, tune=200, chains=1, seed=3,
                      progress_bar=False)
values = np.ascontiguousarray(draws["posterior"]["mu"].values)

# The callbacks' return codes, called as nutpie's sampler calls them: log density and gradient finite (0), the
# gradient not (3), the log density not (4), a wrong size (-1); and the expansion's.
with pm.Model() as edges:
    x = pm.Normal("x", 0.0, 1.0, shape=2)
    pm.Potential("root", pt.sqrt(x[0]))                      # x[0] < 0: NaN, and a NaN gradient
    pm.Potential("wall", pt.switch(x[1] > 0, 0.0, -np.inf))  # x[1] <= 0: -inf, with a finite gradient
compiled = nutpie.compile_pymc_model(edges, backend="numba")
double_p = ctypes.POINTER(ctypes.c_double)
logp_fn = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_uint64, double_p, double_p, double_p, ctypes.c_void_p)(
    compiled.compiled_logp_func.address)
expand_fn = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_uint64, ctypes.c_uint64, double_p, double_p, ctypes.c_void_p)(
    compiled.compiled_expand_func.address)
codes = []
for point, dim in (([1.0, 1.0], 2), ([-1.0, 1.0], 2), ([1.0, -1.0], 2), ([1.0, 1.0], 1)):
    x_, out, logp = np.array(point), np.zeros(2), np.zeros(1)
    code = logp_fn(dim, x_.ctypes.data_as(double_p), out.ctypes.data_as(double_p), logp.ctypes.data_as(double_p),
                   compiled.user_data.ctypes.data)
    codes.append([int(code), [float(v) for v in out], float(logp[0])])
x_, out = np.array([0.5, 2.0]), np.zeros(compiled.n_expanded)
codes.append([int(expand_fn(2, compiled.n_expanded, x_.ctypes.data_as(double_p), out.ctypes.data_as(double_p),
                            compiled.user_data.ctypes.data)), [float(v) for v in out]])
codes.append([int(expand_fn(2, compiled.n_expanded + 1, x_.ctypes.data_as(double_p), out.ctypes.data_as(double_p),
                            compiled.user_data.ctypes.data))])
# A model with data (pm.Data, which nutpie hands the callbacks through pointers): compiled with the data set
# sys.argv[2] names; a stored callback built with the other set must read these.
with pm.Model() as with_data:
    y = pm.Data("y", {"a": [0.5, 1.5, -0.2], "b": [2.0, 2.5, 1.0, 3.0, 2.2]}[sys.argv[2]])
    pm.Normal("obs", pm.Normal("m", 0.0, 1.0), 1.0, observed=y)
data_draws = nutpie.sample(nutpie.compile_pymc_model(with_data, backend="numba"), draws=200, tune=200, chains=1,
                           seed=4, progress_bar=False)
m = np.ascontiguousarray(data_draws["posterior"]["m"].values)
print(json.dumps({**nutpie_callbacks.counts(), "sum": float(values.sum()),
                  "sha256": hashlib.sha256(values.tobytes()).hexdigest(), "codes": codes,
                  "data_mean": float(m.mean()), "data_sha256": hashlib.sha256(m.tobytes()).hexdigest()}))
"""


def _run(variant: str, data: str, compiledir) -> dict:
    env = {**os.environ, "PYTENSOR_FLAGS": f"base_compiledir={compiledir}"}
    out = subprocess.run([sys.executable, "-c", PROGRAM, variant, data], capture_output=True, text=True, timeout=600,
                         env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_callbacks_are_built_for_less_stored_and_loaded_with_the_same_draws_and_answers(tmp_path):
    own = pytensor.config.base_compiledir / NUMBA_SUBDIR
    add_missing_entries(own, tmp_path / NUMBA_SUBDIR)  # the operations compiled (saves minutes) ...
    for stored in (tmp_path / NUMBA_SUBDIR).glob("*paradox_nutpie*"):
        stored.unlink()  # ... but not the callbacks
    default, built, loaded = (_run(v, d, tmp_path) for v, d in (("default", "b"), ("installed", "a"),
                                                                   ("installed", "b")))
    # nutpie's callbacks (log density and expansion, three models) were found by name, built at level 0 and
    # stored, then loaded by the next process: a nutpie that builds them differently fails here instead of
    # silently losing the saving.
    assert (default["callbacks"], default["loaded"]) == (0, 0)
    assert (built["callbacks"], built["loaded"]) == (6, 0)
    assert (loaded["callbacks"], loaded["loaded"]) == (0, 6)
    # built with data set a, loaded and run on set b (other values, other length): nutpie's own callbacks' draws
    assert loaded["data_sha256"] == default["data_sha256"], (loaded["data_mean"], default["data_mean"])
    assert built["data_sha256"] != default["data_sha256"]
    assert [c[0] for c in default["codes"]] == [0, 3, 4, -1, 0, -1]  # nutpie's own codes, as documented
    for run in (built, loaded):  # the same draws, bit for bit; the same answers at every edge (two models in one
        # directory: one model loading the other's callback would fail here)
        assert run["sha256"] == default["sha256"], (run["sum"], default["sum"])
        assert run["codes"] == default["codes"]
