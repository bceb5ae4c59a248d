"""Simulation studies of the decision rule, run on Dask distributed.

A study simulates surveys from the design under several truth scenarios, fits each, and stores one
small row per moderator and survey: the truth, the posterior mean and 95% interval of delta_fav and
delta_unfav (and whether it covers the truth), the probabilities and verdict of `paradox.verdict`,
convergence, and timings. It is the engine of the operating-characteristics study (`make calibrate`)
and of assurance curves (`paradox plan`).

    scenarios.py        truth scenarios; a survey simulated from one, in memory
    tasks.py            Study and Task: every task's seeds come from the master seed and its key
    fits.py             fit methods (pluggable): the integrated SRP ordinal model, the Gaussian cell model
    compiled.py         compile once per worker: nutpie models kept by structure, data swapped per survey
    compiledir.py       each worker process's own pytensor compile directory
    fit_task.py         one task: simulate, fit (refit once if unconverged), judge, return rows
    store.py            finished rows on disk, one file per task: reruns resume
    runner.py           run_study: LocalCluster or an existing scheduler, progress bar, Ctrl-C

Example (a script; about a minute on 2 cores with a warm compile cache). Dask starts its worker
processes afresh and they import the script's module, so a script needs the `__main__` guard::

    from paradox.design import load_design
    from paradox.settings import SamplerSettings
    from paradox.studies import GaussianCells, Scenario, Study, run_study

    if __name__ == "__main__":
        design = load_design()
        study = Study(
            name="example",
            design=design,
            scenarios=(Scenario.uniform("null", design, 0.0, 0.0),
                       Scenario.uniform("claim", design, 0.7, -0.7),
                       Scenario.uniform("claim-n40", design, 0.7, -0.7, n_per_cell=40)),
            replicates=4,
            method=GaussianCells(pooled=True),   # or IntegratedOrdinal(pooled=False), or your FitMethod
            settings=SamplerSettings(draws=500, tune=500, chains=2),   # its seed is the master seed
        )
        run = run_study(study, "build/studies/example", workers=2)   # run again: nothing is refitted
        rows = run.table()                       # one row per scenario x replicate x moderator
        print(rows.groupby("scenario")[["covers_fav", "covers_unfav"]].mean())
        print(rows.groupby("scenario")["verdict"].value_counts(normalize=True))

`workers` defaults to the number of cores (one thread each; nutpie runs a fit's chains one after the
other). `scheduler="tcp://host:8786"`, or PARADOX_SCHEDULER, runs the same study on an existing cluster
(`dask scheduler`, `dask worker ADDRESS --nthreads 1`, dask-jobqueue, Kubernetes) whose workers have the
same paradox installed. Ctrl-C raises StudyInterrupted (a KeyboardInterrupt) after storing what finished.
"""

from paradox.studies.fits import FitMethod, GaussianCells, IntegratedOrdinal, ObservedPatterns
from paradox.studies.runner import SCHEDULER_ENV, StudyFailed, StudyInterrupted, StudyRun, run_study
from paradox.studies.scenarios import Scenario, design_for, simulated_survey, true_deltas
from paradox.studies.store import ResultStore, StudyMismatch
from paradox.studies.tasks import NOT_CONVERGED, Study, Task, task_seeds

__all__ = [
    "FitMethod", "GaussianCells", "IntegratedOrdinal", "ObservedPatterns", "SCHEDULER_ENV", "StudyFailed", "StudyInterrupted",
    "StudyRun", "run_study", "Scenario", "design_for", "simulated_survey", "true_deltas", "ResultStore",
    "StudyMismatch", "NOT_CONVERGED", "Study", "Task", "task_seeds",
]
