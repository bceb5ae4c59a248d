"""nutpie's callbacks optimised at LLVM level 0 (paradox.models.nutpie_callbacks) against numba's default (-O3):
the integrated SRP model of the whole synthetic survey (unpooled) compiled with an empty compile directory
(cold), compiled again in the same process (warm: every operation is compiled, only the callbacks are built),
and sampled (4 chains x 1,500 on 2 cores). One process per variant, each with its own empty directory:

    for v in default level0; do HOME=$(mktemp -d) .venv/bin/python benchmarks/callback_opt.py $v; done

Prints seconds (wall and CPU of this process), leapfrog steps per draw, and a digest of the draws: equal
digests mean bit-identical draws.
"""
import hashlib
import json
import os
import sys
import tempfile
import time

variant = sys.argv[1] if len(sys.argv) > 1 else "default"
if variant not in ("default", "level0"):
    sys.exit("usage: callback_opt.py default|level0")
os.environ.setdefault("PYTENSOR_FLAGS", f"base_compiledir={tempfile.mkdtemp(prefix='callback-opt-')}")

import numpy as np  # noqa: E402
import nutpie  # noqa: E402

from paradox.data import load_survey  # noqa: E402
from paradox.design import load_design  # noqa: E402
from paradox.models.nutpie_callbacks import counts, link_callbacks_unoptimised  # noqa: E402
from paradox.models.srp import ordinal_model  # noqa: E402
from paradox.simulate import DEFAULT_OUTPUT  # noqa: E402

if variant == "level0":
    link_callbacks_unoptimised()
design = load_design()
model = ordinal_model(load_survey(DEFAULT_OUTPUT, design.survey_spec()), pooled=False, integrate_respondents=True)


def timed(step):
    wall, cpu = time.perf_counter(), time.process_time()
    out = step()
    return out, round(time.perf_counter() - wall, 1), round(time.process_time() - cpu, 1)


result = {"variant": variant}
_, result["cold_s"], result["cold_cpu_s"] = timed(lambda: nutpie.compile_pymc_model(model, backend="numba"))
compiled, result["warm_s"], result["warm_cpu_s"] = timed(lambda: nutpie.compile_pymc_model(model, backend="numba"))
draws, result["sampling_s"], _ = timed(lambda: nutpie.sample(compiled, draws=1000, tune=500, chains=4, cores=2, seed=1,
                                                            progress_bar=False, target_accept=0.95))
result["steps_per_draw"] = round(float(draws["sample_stats"]["n_steps"].mean()), 3)
effect = np.ascontiguousarray(draws["posterior"]["recovery_effect"].values)
result["recovery_effect_mean"] = round(float(effect.mean()), 5)
result["draws_sha256"] = hashlib.sha256(effect.tobytes()).hexdigest()[:16]
result["callbacks_at_level0"] = counts()["callbacks"]
print(json.dumps(result), flush=True)
