"""nutpie's low-rank mass matrix against the diagonal one, by model size: where settings.LOW_RANK_MAX_PARAMETERS
comes from.

Three models the package samples, each compiled once, then sampled with each adaptation at two seeds: 2 chains on
2 cores, `--tune` warm-up and `--draws` draws per chain, target acceptance 0.95 (the package's default):
  srp_integrated   the pooled SRP model of the committed stand-in, intercepts integrated out (about 36 parameters)
  fit_regression   notebook 07's `paradox fit` regression: 150 respondents' sampled intercepts (161 parameters)
  srp_respondents  the per-respondent SRP model of two experiments of 450 respondents, respondent SD 3.2 (about
                   900 parameters; tests/test_srp_models.py's known-effects survey)
Per run: wall seconds of nutpie.sample, leapfrog steps per draw, the smallest bulk ESS over the population-level
parameters (every variable without a respondent dim), and that ESS per second.

    .venv/bin/python benchmarks/mass_matrix.py                  # all three, about 15 minutes here
    .venv/bin/python benchmarks/mass_matrix.py fit_regression   # one

Run it on a quiet machine: both adaptations of one model share its load, but seconds are seconds.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import arviz as az
import nutpie

from paradox.data import load_survey
from paradox.design import load_design
from paradox.models import srp
from paradox.models.sampling import free_parameter_count
from paradox.settings import DATA_DIR
from paradox.simulate import DEFAULT_OUTPUT, simulate_survey


def srp_integrated():
    design = load_design()
    return srp.ordinal_model(load_survey(DEFAULT_OUTPUT, design.survey_spec()), integrate_respondents=True)


def fit_regression():
    from paradox.fit.run import prepare

    examples = DATA_DIR / "examples"
    return prepare(examples / "srp_replication_qualtrics.csv", examples / "srp_replication.yaml").regression.model


def srp_respondents():
    design = load_design()  # as tests/test_srp_models.py's known_effects
    experiments = tuple(dataclasses.replace(design.experiment(m), n_per_cell=150) for m in ("severity", "prior_failure"))
    effects = {"severity": {"recovery_favourable": 2.0, "recovery_unfavourable": -1.5},
               "prior_failure": {"recovery_favourable": -0.3, "recovery_unfavourable": -1.5}}
    small = dataclasses.replace(design, experiments=experiments,
                                simulation=dataclasses.replace(design.simulation, seed=11, effects=effects))
    path = Path(tempfile.mkdtemp()) / "survey.csv"
    simulate_survey(small).to_csv(path, index=False)
    return srp.ordinal_model(load_survey(path, small.survey_spec()), pooled=False)


WORKLOADS = {f.__name__: f for f in (srp_integrated, fit_regression, srp_respondents)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", help=f"some of {', '.join(WORKLOADS)} (default: all)")
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    unknown = sorted(set(args.workloads) - set(WORKLOADS))
    if unknown:
        parser.error(f"unknown workload {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")
    print("| model | parameters | mass matrix | seed | seconds | steps per draw | min bulk ESS | ESS per s |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.workloads or WORKLOADS:
        model = WORKLOADS[name]()
        n = free_parameter_count(model)
        compiled = nutpie.compile_pymc_model(model)
        population = [v.name for v in model.free_RVs + model.deterministics
                      if "respondent" not in model.named_vars_to_dims.get(v.name, ())]
        for adaptation in ("low_rank", "diag"):
            for seed in args.seeds:
                start = time.perf_counter()
                trace = nutpie.sample(compiled, chains=2, cores=2, tune=args.tune, draws=args.draws, seed=seed,
                                      target_accept=0.95, adaptation=adaptation, progress_bar=False)
                seconds = time.perf_counter() - start
                ess = az.ess(trace["posterior"], var_names=population)
                worst = min(float(ess[v].min()) for v in ess.data_vars)
                steps = float(trace["sample_stats"]["n_steps"].mean())
                print(f"| {name} | {n} | {adaptation} | {seed} | {seconds:.1f} | {steps:.1f} | {worst:.0f} | "
                      f"{worst / seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
