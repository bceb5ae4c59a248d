"""What one fit of `make calibrate` costs: `paradox.studies.fit_task` on the calibration study's first tasks, in
this process (the first fit of each pooling compiles its model, the next reuses it). Run on an idle machine:

    .venv/bin/python benchmarks/calibration_cost.py

Prints one JSON line per fit: compile and sampling seconds, convergence, whether it was refitted (README,
"Operating characteristics: not yet measured")."""
from paradox.studies.compiledir import claim_compile_dir

claim_compile_dir()  # a study's process claims its own compile directory before pytensor is imported

import json  # noqa: E402

from paradox.calibration import study  # noqa: E402
from paradox.design import load_design  # noqa: E402
from paradox.studies.fit_task import fit_task  # noqa: E402

COLUMNS = ("compiled", "prepare_s", "sample_s", "task_s", "max_rhat", "min_ess_bulk", "divergences", "refitted",
           "converged")

if __name__ == "__main__":
    design = load_design()
    for pooled, n_tasks in ((True, 2), (False, 1)):
        the_study = study(design, pooled, 2)
        for task in the_study.tasks()[:n_tasks]:
            row = fit_task(task, the_study)[0]
            print(json.dumps({"pooled": pooled, "task": task.key, **{k: row[k] for k in COLUMNS}}), flush=True)
