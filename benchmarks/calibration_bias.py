"""Is a bias the calibration study shows in the likelihood, or in its own surveys? Posterior modes on fresh surveys.

For one truth of `paradox.calibration` (e.g. just_inside), simulates surveys from the design with seeds of its
own (`--first-seed` on, not the study's), finds each survey's posterior mode of the unpooled ordinal model over
its observed answer patterns (the study's model) under flat effect and baseline priors (sd 100), and prints the
mean of (mode - truth) for delta_fav and delta_unfav with its SE, at the design's respondents per cell and at
`--factor` times as many. A finite-sample bias of the likelihood shrinks like 1/n; one that is the same on
fresh surveys as on the study's is not the study's luck.

    .venv/bin/python benchmarks/calibration_bias.py just_inside --surveys 40 --factor 4
    .venv/bin/python benchmarks/calibration_bias.py just_inside --surveys 80 --first-seed 20000

2026-11-28: at just_inside (truth 0.15, -1.2) the study's own first 76 surveys gave modes 0.072 +/- 0.025 above
the truth for delta_fav (flat priors; posterior means 0.093 +/- 0.024), fresh surveys -0.027 +/- 0.035 (40,
seeds 10000-10039) and -0.030 +/- 0.026 (80, seeds 20000-20079) at 120 per cell, and -0.021 +/- 0.018 at 480
per cell: no bias in the likelihood at the design's size; the study's figure is a deviation of its own surveys
(about 3 SEs from the fresh surveys' figure, the largest of its 12 bias figures).
"""

from __future__ import annotations

import argparse

import numpy as np
import pymc as pm
from pytensor.compile.mode import Mode

from paradox import calibration
from paradox.design import load_design
from paradox.models import srp
from paradox.studies import Scenario
from paradox.studies.scenarios import design_for, simulated_survey, true_deltas

#: Modes need no compiled gradient speed: the Python linker skips minutes of numba compiling.
FORWARD = Mode(linker="py", optimizer="fast_compile")
FLAT = srp.OrdinalPriors(effect_sd=100.0, baseline_sd=100.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", help="a truth of paradox.calibration (null, just_inside, ...)")
    parser.add_argument("--surveys", type=int, default=40)
    parser.add_argument("--factor", type=int, default=1, help="also at this many times the respondents per cell")
    parser.add_argument("--first-seed", type=int, default=10_000)
    args = parser.parse_args()
    study = calibration.study(load_design(), pooled=False, replicates=1)
    scenario = study.scenario(args.scenario)
    base_n = study.design.experiments[0].n_per_cell
    for n in sorted({base_n, args.factor * base_n}):
        design = design_for(study.design, Scenario(scenario.name, scenario.effects, n_per_cell=n))
        truth = np.array([true_deltas(design, "logit")[m] for m in design.moderators])  # moderator x level
        errors = []
        for seed in range(args.first_seed, args.first_seed + args.surveys):
            model = srp.observed_patterns_model(simulated_survey(design, seed), FLAT, pooled=False)
            mode = pm.find_MAP(model=model, progressbar=False, jitter=False, compile_kwargs={"mode": FORWARD})
            errors.append(np.asarray(mode["recovery_effect"]) - truth)
        x = np.array(errors).reshape(-1, 2)
        se = x.std(axis=0, ddof=1) / np.sqrt(len(x))
        print(f"{args.scenario}, {n} per cell, {args.surveys} surveys from seed {args.first_seed}: mode - truth "
              f"delta_fav {x[:, 0].mean():+.3f} +/- {se[0]:.3f}, delta_unfav {x[:, 1].mean():+.3f} +/- {se[1]:.3f}",
              flush=True)


if __name__ == "__main__":
    main()
