"""Does notebook 06's tau reach R-hat < 1.01 at fast mode's 1,000 draws, or does it need SLOW_MIXING_MIN_DRAWS?

Fits the pooled model of notebook 06 (the integrated ordinal one, or the Gaussian one of scale means) at the
settings its notebook uses (`hypotheses.settings_for`: target acceptance 0.99, depth 6, 4 chains) but with
`--draws` draws per chain, once per seed, and prints tau's R-hat and bulk ESS and the largest R-hat of the
common means. Any R-hat of 1.01 or more fails `assert_converged` in the notebook, so the fraction of seeds
passing 1.01 is the chance that `make test` fails by the sampler's luck at that number of draws.

    .venv/bin/python benchmarks/slow_mixing_draws.py ordinal --draws 1000 --seeds 1 2 3 4 5 6 7 8
    .venv/bin/python benchmarks/slow_mixing_draws.py gaussian --draws 1000 --seeds 1 2 3 4 5 6 7 8 9 10 11 12

2026-11-28 (committed survey, nutpie): at 1,000 draws the ordinal tau passed 1.01 at seeds 1 and 7 of 1-8
(1.0142, 1.0109; bulk ESS 495-915), the Gaussian one at seeds 3 and 8 of 1-12 (1.0122, 1.0138): 2,000 it stays.
"""

from __future__ import annotations

import argparse
import time

import arviz as az

from paradox import hypotheses
from paradox.data import load_survey
from paradox.design import load_design
from paradox.models import srp
from paradox.models.sampling import sample
from paradox.settings import SamplerSettings
from paradox.simulate import DEFAULT_OUTPUT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=["ordinal", "gaussian"])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4])
    args = parser.parse_args()
    design = load_design()
    survey = load_survey(DEFAULT_OUTPUT, design.survey_spec())
    if args.model == "ordinal":
        model = srp.ordinal_model(survey, pooled=True, integrate_respondents=True)
    else:
        model = srp.gaussian_model(srp.cell_statistics(survey), scale_points=design.scale_points, pooled=True)
    fast = SamplerSettings.from_env({"PARADOX_MODE": "fast", "PARADOX_CACHE": "off"})
    settings = hypotheses.settings_for(model, fast).with_(draws=args.draws)
    for seed in args.seeds:
        start = time.perf_counter()
        idata = sample(model, settings.with_(seed=seed))
        seconds = time.perf_counter() - start
        posterior = idata["posterior"].to_dataset()[["recovery_effect_tau", "recovery_effect_mean"]]
        ess, rhat = az.ess(posterior), az.rhat(posterior)
        print(f"{args.model} draws={args.draws} seed={seed} {seconds:.0f} s: tau R-hat "
              f"{float(rhat['recovery_effect_tau']):.4f}, bulk ESS {float(ess['recovery_effect_tau']):.0f}; "
              f"largest R-hat of the means {float(rhat['recovery_effect_mean'].max()):.4f}; "
              f"divergences {int(idata['sample_stats']['diverging'].sum())}", flush=True)


if __name__ == "__main__":
    main()
