"""paradox.models.nutpie_callbacks: nutpie's two callbacks are built at LLVM level 0, and the draws do not change.

Each variant runs in a process of its own (the level-0 build is installed once per process and stays), one
after the other in this worker's compile directory."""

import json
import subprocess
import sys

PROGRAM = """
import hashlib, json, sys
import numpy as np, nutpie, pymc as pm
from paradox.models import nutpie_callbacks
if sys.argv[1] == "level0":
    nutpie_callbacks.link_callbacks_unoptimised()
with pm.Model() as model:
    mu = pm.Normal("mu", 0.0, 1.0, shape=3)
    sd = pm.HalfNormal("sd", 1.0)
    pm.Normal("y", mu.sum() + mu[0] ** 2, sd, observed=[0.3, -1.2, 2.0, 0.7])
draws = nutpie.sample(nutpie.compile_pymc_model(model, backend="numba"), draws=200, tune=200, chains=1, seed=3,
                      progress_bar=False)
values = np.ascontiguousarray(draws["posterior"]["mu"].values)
print(json.dumps({"level0": nutpie_callbacks.counts()["callbacks"], "sum": float(values.sum()),
                  "sha256": hashlib.sha256(values.tobytes()).hexdigest()}))
"""


def _run(variant: str) -> dict:
    out = subprocess.run([sys.executable, "-c", PROGRAM, variant], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_callbacks_are_built_at_level_0_with_the_same_draws():
    default, level0 = _run("default"), _run("level0")
    # Both of nutpie's callbacks (log density and expansion) were found by name: a nutpie that builds them
    # differently fails here instead of silently losing the saving.
    assert (default["level0"], level0["level0"]) == (0, 2)
    assert level0["sha256"] == default["sha256"], (level0["sum"], default["sum"])
