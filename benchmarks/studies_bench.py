"""Simulation studies on Dask (issue 14): fits per minute with 1 and 2 workers, the share of each fit spent
outside sampling, and an assurance curve of 5 sizes x 100 simulated surveys.

    .venv/bin/python benchmarks/studies_bench.py throughput --method gaussian --fits 24
    .venv/bin/python benchmarks/studies_bench.py throughput --method srp --fits 6
    .venv/bin/python benchmarks/studies_bench.py assurance --method gaussian --replicates 100
    .venv/bin/python benchmarks/studies_bench.py assurance --method plan --replicates 100   # paradox plan's fit
    (add --quick to check the script with tiny sizes)

Throughput: for each worker count a LocalCluster is started, every worker fits one warm-up survey
(its compile, and the cluster's start, are left out: they happen once per study, not per fit), then
`--fits` more surveys are timed from submission to the last stored row. "Outside sampling" is, per fit,
1 - (nutpie's sampling seconds) / (the task's seconds on the worker: simulating and checking the survey,
building the model, hashing its structure, compiling or swapping data, sampling, summaries), median
over fits; the warm-up fits are reported apart. The assurance curve is one study (5 cell sizes x
`--replicates` surveys, effects of the design file) timed end to end, cluster start and compiles
included. Every run appends its numbers, machine, versions and load average to
benchmarks/studies_results.csv and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "studies_results.csv"
SIZES = (20, 40, 80, 120, 160)


def _method(name: str, pooled: bool = True):
    from paradox.studies import GaussianCells, IntegratedOrdinal

    return {"gaussian": GaussianCells, "srp": IntegratedOrdinal}[name](pooled=pooled)


def _settings(quick: bool):
    from paradox.settings import SamplerSettings

    # Fast mode's draws (4 chains x 1,000 + 1,000), what `make calibrate` would use in fast mode.
    return SamplerSettings(draws=100, tune=100, chains=2) if quick else SamplerSettings(draws=1000, tune=1000, chains=4)


def _machine() -> dict:
    import nutpie
    import pymc

    import distributed

    return {"date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()), "cpus": os.cpu_count(),
            "python": platform.python_version(), "pymc": pymc.__version__, "nutpie": nutpie.__version__,
            "distributed": distributed.__version__}


def throughput(method_name: str, fits: int, worker_counts: list[int], quick: bool) -> list[dict]:
    from distributed import LocalCluster

    from paradox.design import load_design
    from paradox.studies import Scenario, Study, run_study

    design = load_design()
    rows = []
    for workers in worker_counts:
        load = os.getloadavg()[0]
        with tempfile.TemporaryDirectory() as scratch, LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                silence_logs=logging.ERROR) as cluster:
            scenario = Scenario.uniform("design", design, 0.7, -0.7)

            def study(name, replicates):
                return Study(name=name, design=design, scenarios=(scenario,), replicates=replicates,
                             method=_method(method_name), settings=_settings(quick))

            # Warm-up: one survey per worker, so each compiles (or, for a model without pm.Data, just warms
            # numba's cache) before the clock starts. Submitted together, they land one per worker.
            warm = run_study(study("warmup", workers), Path(scratch) / "warmup",
                             scheduler=cluster.scheduler_address, progress=False).table()
            start = time.perf_counter()
            run = run_study(study("timed", fits), Path(scratch) / "timed", scheduler=cluster.scheduler_address,
                            progress=False)
            wall = time.perf_counter() - start
            timed = run.table().drop_duplicates(["scenario", "replicate"])
        outside = 1 - timed["sample_s"] / timed["task_s"]
        rows.append({
            "benchmark": "throughput", "method": _method(method_name).name, "workers": workers, "fits": len(timed),
            "wall_s": round(wall, 1), "fits_per_min": round(60 * len(timed) / wall, 2),
            "compiled_in_timed": int(timed["compiled"].sum()),
            "median_task_s": round(timed["task_s"].median(), 2), "median_sample_s": round(timed["sample_s"].median(), 2),
            "median_outside_sampling": round(outside.median(), 3), "max_outside_sampling": round(outside.max(), 3),
            "warmup_task_s": round(warm.drop_duplicates("replicate")["task_s"].median(), 1),
            "load_at_start": round(load, 2), "load_at_end": round(os.getloadavg()[0], 2),
            "draws": f"{_settings(quick).chains}x({_settings(quick).tune}+{_settings(quick).draws})",
        })
        print(rows[-1], flush=True)
    return rows


def assurance(method_name: str, replicates: int, workers: int, quick: bool) -> list[dict]:
    from paradox.design import load_design
    from paradox.studies import Scenario, Study, run_study

    design = load_design()
    if method_name == "plan":
        # What `paradox plan --hypotheses H1` fits: the severity experiment alone (ObservedPatterns), the
        # design's effects, paradox.planning.PLAN_DRAWS (2 x (300 + 500), target acceptance 0.8); scenarios
        # s<sim>_n<size>.
        from paradox import planning

        study = planning.plan_study(design, planning.priors_from_design(design, ["H1"])[0], list(SIZES),
                                    2 if quick else replicates,
                                    _settings(True) if quick else planning.plan_settings({}))
    else:
        scenarios = tuple(Scenario((f"n{n}"), (), n_per_cell=n) for n in SIZES)
        study = Study(name="assurance", design=design, scenarios=scenarios, replicates=replicates,
                      method=_method(method_name), settings=_settings(quick))
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as scratch:
        start = time.perf_counter()
        run = run_study(study, Path(scratch) / "assurance", workers=workers)
        wall = time.perf_counter() - start
        table = run.table()
    # The cell size of each row: scenario n<size>, or s<simulation>_n<size> for the plan's study.
    table = table.assign(size="n" + table["scenario"].str.extract(r"n0*(\d+)$", expand=False))
    per_task = table.drop_duplicates(["scenario", "replicate"])
    claim = table.assign(claim=table["verdict"] == "claim holds").groupby("size")["claim"].mean()
    sample_s = per_task.groupby("size")["sample_s"].median()
    return [{
        "benchmark": "assurance", "method": study.method.name, "workers": workers, "fits": len(per_task),
        "wall_s": round(wall, 1), "fits_per_min": round(60 * len(per_task) / wall, 2),
        "compiled_in_timed": int(per_task["compiled"].sum()),
        "median_task_s": round(per_task["task_s"].median(), 2),
        "median_sample_s": round(per_task["sample_s"].median(), 2),
        "median_outside_sampling": round((1 - per_task["sample_s"] / per_task["task_s"]).median(), 3),
        "max_outside_sampling": round((1 - per_task["sample_s"] / per_task["task_s"]).max(), 3),
        "load_at_start": round(load, 2), "load_at_end": round(os.getloadavg()[0], 2),
        "draws": f"{study.settings.chains}x({study.settings.tune}+{study.settings.draws})",
        "target_accept": study.settings.target_accept,
        "p_claim_by_size": "; ".join(f"{s}: {claim[s]:.2f}" for s in [f"n{n}" for n in SIZES]),
        "sims_per_size": len(per_task) // len(SIZES),
        "median_sample_s_by_size": "; ".join(f"n{n}: {sample_s[f'n{n}']:.1f}" for n in SIZES),
        "compiles_per_worker": per_task.groupby("worker")["compiled"].sum().to_dict().__repr__(),
        "max_rhat": round(table["max_rhat"].max(), 4), "divergent_fits": int((per_task["divergences"] > 0).sum()),
        # refitted with twice the chains after failing a check (paradox.studies.fit_task): what the refits cost
        "share_refitted": round(float(per_task["refitted"].mean()), 3),
        "share_not_converged": round(float((~per_task["converged"]).mean()), 3),
    }]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["throughput", "assurance"])
    parser.add_argument("--method", choices=["gaussian", "srp", "plan"], default="gaussian")
    parser.add_argument("--fits", type=int, default=24, help="timed fits per worker count (throughput)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--replicates", type=int, default=100, help="surveys per size (assurance)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the script only")
    args = parser.parse_args(argv)
    if args.what == "throughput":
        rows = throughput(args.method, args.fits, args.workers, args.quick)
    else:
        rows = assurance(args.method, args.replicates, args.workers[-1], args.quick)
    frame = pd.DataFrame([{**row, **_machine(), "quick": args.quick} for row in rows])
    print(frame.drop(columns=["python", "pymc", "nutpie", "distributed", "quick"]).to_markdown(index=False)
          if _has_tabulate() else frame.to_string(index=False))
    if not args.quick:
        # Rows of the two benchmarks have different columns: rewrite the file with the union of them.
        if RESULTS.exists():
            frame = pd.concat([pd.read_csv(RESULTS), frame], ignore_index=True)
        frame.to_csv(RESULTS, index=False)
    return 0


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
        return True
    except ImportError:
        return False


if __name__ == "__main__":
    sys.exit(main())
