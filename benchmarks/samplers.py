"""Which NUTS implementation: PyMC's own, nutpie or numpyro, on the package's models.

    python benchmarks/samplers.py [--respondents 1000] [--draws 1000] [--tune 1000] [--repeats 1]

One fresh process per (model, sampler), so compile time is paid every time, as on a first run.
ESS is the smallest over all population-level parameters (respondent intercepts left out), per
second of tuning + drawing; compile is the rest of the pm.sample call.
"""

from __future__ import annotations

import argparse

import pandas as pd

from runner import markdown, median_of, run_fit

SAMPLERS = ("pymc", "nutpie", "numpyro")
MODELS = {
    "srp": "hierarchical ordinal SRP model (ordinal_model)",
    "srp_integrated": "same model, respondent intercepts integrated out (integrate_respondents=True)",
    "regression": "fixed-effects ordinal regression, collapsed counts",
}


def compare(respondents: int, draws: int, tune: int, repeats: int, fit_once=None) -> pd.DataFrame:
    """`fit_once(**job)`, when given, runs (or reuses) a fit; by default each job runs `repeats` times."""
    fit_once = fit_once or (lambda **job: median_of([run_fit(job) for _ in range(repeats)]))
    rows = [fit_once(fit=fit, respondents=respondents, draws=draws, tune=tune, sampler=sampler)
            for fit in MODELS for sampler in SAMPLERS]
    table = pd.DataFrame(rows)
    columns = {"fit": "model", "sampler": "sampler", "compile_s": "compile s", "sampling_s": "sampling s",
               "ess_bulk_per_s": "bulk ESS/s", "ess_tail_per_s": "tail ESS/s", "ess_bulk": "min bulk ESS",
               "rhat": "max R-hat", "divergences": "divergences", "peak_gib": "peak GiB", "error": "error"}
    return table.reindex(columns=list(columns)).rename(columns=columns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--respondents", type=int, default=1000)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    print(markdown(compare(args.respondents, args.draws, args.tune, args.repeats)))


if __name__ == "__main__":
    main()
