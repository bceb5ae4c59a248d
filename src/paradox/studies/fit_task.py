"""One task of a study, as a Dask worker runs it: simulate a survey, fit it, judge it, return small rows.

No draws leave the worker: each moderator gives one row with the truth, the posterior mean and 95%
equal-tailed interval of delta_fav and delta_unfav (and whether it covers the truth), the
probabilities and verdict of `paradox.verdict.judge`, the convergence checks, and where the time went.

A study's fits are short (2 chains of 500 draws), and the largest R-hat over every parameter of two short chains
passes 1.01 by chance in some fits whose ESS is well above what the checks ask (notebook 09's plan, 2026-11-27:
6 of 32 fits, R-hat up to 1.022 at bulk ESS above 1,100). Such a verdict is not counted as it is: a fit that
fails any check of `paradox.models.sampling.convergence_report` is refitted once with REFIT_CHAIN_FACTOR times
the chains (its own seed, `Task.refit_seed`; at `Study.refit_target_accept` where the study sets one), and if
that fit fails too, the row's verdict is NOT_CONVERGED,
which is no conclusion (an assurance does not count it; an error rate reports its share). With this rule,
notebook 09's plan refitted 4 of its 32 fits, and all 4 converged.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import time

from paradox.studies.compiledir import claim_compile_dir
from paradox.studies.tasks import NOT_CONVERGED, Study, Task

#: Width of the intervals whose coverage a study reports.
INTERVAL = 0.95
#: Row columns that describe how a fit ran rather than what it found (they differ between runs).
TIMING_COLUMNS = ("worker", "compiled", "prepare_s", "sample_s", "task_s")


def _claim_mcse(effects, rope: float) -> float:
    """Monte Carlo SE of P(claim) from the chains' draws: how far the verdict's probability could move with other
    draws, next to the decision threshold."""
    from paradox.verdict import event_mcse

    fav, unfav = (effects.sel(recovery_level=level).values for level in ("favourable", "unfavourable"))
    return event_mcse(fav, unfav, rope, events=("p_claim",))["p_claim"]


def fit_task(task: Task, study: Study) -> list[dict]:
    start = time.perf_counter()
    claim_compile_dir()  # before the first import of pytensor in this process
    import numpy as np

    from paradox.models.sampling import convergence_report
    from paradox.studies.compiled import sample
    from paradox.studies.scenarios import design_for, simulated_survey, true_deltas
    from paradox.verdict import judge

    design = design_for(study.design, study.scenario(task.scenario))
    survey = simulated_survey(design, task.data_seed)
    model = study.method.build(survey, design)
    fitted = sample(model, study.settings, task.sampler_seed)
    report = convergence_report(fitted.posterior)
    refitted = not report["passed"].all()
    if refitted:
        again = sample(model, study.refit_settings, task.refit_seed)
        fitted = dataclasses.replace(again, compiled=fitted.compiled,  # timings: both fits together
                                     prepare_seconds=fitted.prepare_seconds + again.prepare_seconds,
                                     sample_seconds=fitted.sample_seconds + again.sample_seconds)
        report = convergence_report(fitted.posterior)
    converged = bool(report["passed"].all())
    effects = fitted.posterior["posterior"]["recovery_effect"]
    truth = true_deltas(design, study.method.scale)
    lo, hi = (1 - INTERVAL) / 2, 1 - (1 - INTERVAL) / 2
    rows = []
    for moderator in design.moderators:
        draws = {level: effects.sel(experiment=moderator, recovery_level=level).values.ravel()
                 for level in ("favourable", "unfavourable")}
        row = {"study": study.name, "method": study.method.name, "scenario": task.scenario,
               "replicate": task.replicate, "data_seed": task.data_seed, "sampler_seed": task.sampler_seed,
               "moderator": moderator}
        for short, level in (("fav", "favourable"), ("unfav", "unfavourable")):
            x, true = draws[level], truth[moderator][0 if short == "fav" else 1]
            lower, upper = np.quantile(x, [lo, hi])
            row |= {f"true_delta_{short}": true, f"delta_{short}_mean": float(x.mean()),
                    f"delta_{short}_lower": float(lower), f"delta_{short}_upper": float(upper),
                    f"covers_{short}": bool(lower <= true <= upper)}
        row |= judge(draws["favourable"], draws["unfavourable"], study.decision_rule)
        row["decision_probability"] = study.decision_rule.probability  # what the stored verdict was judged at
        if not converged:
            row["verdict"] = NOT_CONVERGED
        row["p_claim_mcse"] = _claim_mcse(effects.sel(experiment=moderator), study.decision_rule.rope)
        row |= {"max_rhat": float(report.at["max R-hat", "value"]),
                "min_ess_bulk": float(report.at["min bulk ESS", "value"]),
                "min_ess_tail": float(report.at["min tail ESS", "value"]),
                "divergences": int(report.at["divergences", "value"]),
                "refitted": refitted, "converged": converged}
        rows.append(row)
    worker = f"{socket.gethostname()}:{os.getpid()}"
    timing = {"worker": worker, "compiled": fitted.compiled, "prepare_s": fitted.prepare_seconds,
              "sample_s": fitted.sample_seconds, "task_s": time.perf_counter() - start}
    return [row | timing for row in rows]
