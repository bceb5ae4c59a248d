"""What a model compile costs a new process when every operation is already in numba's cache (as in most compiles
of `make test`: a notebook's kernel, a Dask worker, a CLI test), with nutpie's callbacks built three ways
(paradox.models.nutpie_callbacks), all at LLVM level 0:

* `default`: nutpie's own callbacks (array assignment), built afresh, as in every process before;
* `loops`: the package's callbacks (plain loops), built afresh: a model's first compile on this machine;
* `stored`: the package's callbacks loaded from numba's cache, where the previous process stored them.

The model is notebook 07's ordinal regression with 150 respondent intercepts (`paradox fit` on the example
export). One process per measurement, the variants in turn, all in one compile directory that a first,
unmeasured run fills with the model's operations:

    .venv/bin/python benchmarks/callback_build.py            # 3 rounds: prints one JSON line per process

Prints the compile's seconds (wall and CPU of the process), the callbacks built and loaded, and a digest of
2 x 300 draws: equal digests mean bit-identical draws.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROUNDS = 3


def measure(variant: str) -> dict:
    import nutpie

    from paradox.analysis import load_config, prepare
    from paradox.models import nutpie_callbacks
    from paradox.settings import DATA_DIR

    prepared = prepare(DATA_DIR / "examples" / "srp_replication_qualtrics.csv",
                       load_config(DATA_DIR / "examples" / "srp_replication.yaml"))
    nutpie_callbacks.link_callbacks_unoptimised()
    if variant != "default":
        nutpie_callbacks.plain_loop_callbacks()
    wall, cpu = time.perf_counter(), time.process_time()
    compiled = nutpie.compile_pymc_model(prepared.regression.model, backend="numba")
    result = {"variant": variant, "compile_s": round(time.perf_counter() - wall, 2),
              "compile_cpu_s": round(time.process_time() - cpu, 2), **nutpie_callbacks.counts()}
    draws = nutpie.sample(compiled, draws=300, tune=200, chains=2, cores=1, seed=3, progress_bar=False)
    values = draws["posterior"]["respondent_sd"].values.copy(order="C")
    result["draws_sha256"] = hashlib.sha256(values.tobytes()).hexdigest()[:16]
    return result


def main() -> None:
    if len(sys.argv) > 1:  # one measurement, in this process
        print(json.dumps(measure(sys.argv[1])), flush=True)
        return
    compiledir = Path(tempfile.mkdtemp(prefix="callback-build-"))
    env = {**os.environ, "PYTENSOR_FLAGS": f"base_compiledir={compiledir}"}

    def run(variant: str) -> dict:
        out = subprocess.run([sys.executable, __file__, variant], env=env, capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    run("default")  # fills the compile directory: every later compile finds its operations cached
    for _ in range(ROUNDS):
        for variant in ("default", "loops", "stored"):
            if variant == "loops":  # the callbacks the previous round stored: gone, so they are built again
                for stored in (compiledir / "numba").glob("*paradox_nutpie*"):
                    stored.unlink()
            print(json.dumps(run(variant)), flush=True)


if __name__ == "__main__":
    main()
