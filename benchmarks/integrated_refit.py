"""Compile once, refit many: the integrated SRP model over the design's fixed pattern grid, refitted on
new simulated surveys by swapping its pattern counts (`srp.PATTERN_COUNTS`), against building and
compiling the model afresh for each survey as `paradox.models.sampling.sample` does.

    nice -n 19 .venv/bin/python benchmarks/integrated_refit.py [n_surveys] [respondent_sd]

Fast-mode sizes (4 chains x (1,000 tuning + 1,000 draws)), nutpie, the settings' seed. Prints compile
time, sampling time per refit, and the smallest bulk ESS / largest R-hat per refit.
"""

from __future__ import annotations

import dataclasses
import sys
import time

import arviz as az
import nutpie
import numpy as np

from paradox.data import validate
from paradox.design import load_design
from paradox.models import srp
from paradox.models.sampling import sample
from paradox.settings import SamplerSettings


def surveys(n: int, respondent_sd: float):
    design = load_design()
    design = dataclasses.replace(design, simulation=dataclasses.replace(design.simulation, respondent_sd=respondent_sd))
    from paradox.simulate import simulate_survey

    return design, [validate(simulate_survey(design, seed=seed), design.survey_spec()) for seed in range(1, n + 1)]


def main(n_surveys: int = 3, respondent_sd: float = 3.0) -> None:
    settings = SamplerSettings.from_env({"PARADOX_MODE": "fast"})
    design, batch = surveys(n_surveys, respondent_sd)
    grid = srp.pattern_grid(design)
    start = time.perf_counter()
    model = srp.ordinal_model(batch[0], integrate_respondents=True, patterns=grid)
    compiled = nutpie.compile_pymc_model(model)
    compile_s = time.perf_counter() - start
    print(f"pattern grid: {len(grid)} patterns; build + nutpie compile: {compile_s:.1f} s")
    for i, survey in enumerate(batch):
        start = time.perf_counter()
        idata = nutpie.sample(compiled.with_data(**{srp.PATTERN_COUNTS: srp.pattern_counts(survey, grid)}),
                              draws=settings.draws, tune=settings.tune, chains=settings.chains,
                              seed=settings.seed + i, target_accept=settings.target_accept, progress_bar=False)
        seconds = time.perf_counter() - start
        posterior = idata.posterior if hasattr(idata, "posterior") else idata["posterior"]
        names = ["cutpoints", "respondent_sd", "recovery_effect_mean", "recovery_effect_tau", "experiment_baseline"]
        ess = float(min(az.ess(posterior[n]).to_array().min() for n in names))
        rhat = float(max(az.rhat(posterior[n]).to_array().max() for n in names))
        print(f"refit {i + 1}: sampling {seconds:.1f} s, min bulk ESS {ess:.0f}, max R-hat {rhat:.3f}, "
              f"respondent_sd {float(posterior['respondent_sd'].mean()):.2f}")
    # For comparison: the usual path, which builds and compiles the model for the survey it fits.
    for patterns, label in ((None, "observed patterns"), (grid, "pattern grid")):
        start = time.perf_counter()
        sample(srp.ordinal_model(batch[0], integrate_respondents=True, patterns=patterns), settings.with_(cache="off"))
        print(f"one fit through sampling.sample ({label}, compile included): {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main(*(int(sys.argv[1]),) if len(sys.argv) > 1 else (), *(float(sys.argv[2]),) if len(sys.argv) > 2 else ())
