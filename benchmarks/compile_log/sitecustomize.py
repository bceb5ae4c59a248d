"""Measurement only: log every nutpie compile (time, pid, pytest worker, wall s, CPU s of the main thread, free
variables, current test) to $COMPILE_LOG. Put this directory first on PYTHONPATH of a whole run, e.g.

    PYTHONPATH=$PWD/benchmarks/compile_log COMPILE_LOG=/tmp/compiles.tsv make test

Notebook kernels and Dask workers inherit the environment, so their compiles are logged too (README, Runtime).
cold_make_test_fec5a7d.tsv: the log of the cold run of 2026-11-26 23:40 (fresh clone, empty HOME, default seed).
Columns: unix time, pid, pytest worker, wall s, CPU s, number of free variables, their names, current test."""
import importlib.abc, importlib.machinery, os, sys, time

LOG = os.environ.get("COMPILE_LOG")


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "nutpie" or not LOG:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None:
            return None
        orig = spec.loader.exec_module

        def exec_module(module):
            orig(module)
            if getattr(module, "_timed", False):
                return
            module._timed = True
            real = module.compile_pymc_model

            def timed(model, *a, **k):
                t = time.perf_counter(); c = time.process_time()
                out = real(model, *a, **k)
                with open(LOG, "a") as f:
                    f.write(f"{time.time():.0f}\t{os.getpid()}\t{os.environ.get('PYTEST_XDIST_WORKER','-')}\t{time.perf_counter()-t:.1f}\t{time.process_time()-c:.1f}\t{len(model.free_RVs)}\t{' '.join(sorted(v.name for v in model.free_RVs))[:120]}\t{os.environ.get('PYTEST_CURRENT_TEST','')[:90]}\n")
                return out
            module.compile_pymc_model = timed
        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, _Finder())
