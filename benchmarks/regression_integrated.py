"""`paradox fit`'s ordinal regression with respondent intercepts, sampled against integrated out
(paradox.models.regression, `RegressionSpec.integrate_respondents`), on notebook 07's example export (150
respondents, 3 items, the cell factor and the covariate age), and on the same export without the covariate
(`-factors`: then respondents fall into three cells, whose answer probabilities the integrated form tabulates),
at fast mode's settings: 4 chains, 500 tuning steps, and the draws `fit_survey` gives each form (2,000 for
sampled intercepts, SLOW_MIXING_MIN_DRAWS; 1,000 integrated).

One process per measurement, the forms in turn, in one compile directory that a first, unmeasured run of each
fills (so the compile figures are a warm cache's, as for every process after a machine's first):

    .venv/bin/python benchmarks/regression_integrated.py        # 3 rounds: one JSON line per process

Prints compile and sampling seconds (wall), leapfrog steps per draw, the smallest bulk ESS of the reported
parameters and ESS per second of sampling, and the posterior means of the cell effects and respondent_sd.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

ROUNDS = 3


def measure(form: str) -> dict:
    import dataclasses

    import arviz as az
    import nutpie

    from paradox.analysis import load_config, prepare
    from paradox.models import nutpie_callbacks
    from paradox.models.regression import build_regression
    from paradox.settings import DATA_DIR, SamplerSettings

    prepared = prepare(DATA_DIR / "examples" / "srp_replication_qualtrics.csv",
                       load_config(DATA_DIR / "examples" / "srp_replication.yaml"))
    survey = prepared.survey
    if form.endswith("-factors"):
        survey = dataclasses.replace(survey, spec=dataclasses.replace(survey.spec, covariates=()))
    spec = dataclasses.replace(prepared.regression.spec, integrate_respondents=form.startswith("integrated"))
    fitted = build_regression(survey, spec)
    settings = SamplerSettings.from_env().with_(mode="fast", draws=1000, tune=500, chains=4)
    if fitted.has_random_intercepts:
        settings = settings.for_slow_mixing()
    nutpie_callbacks.install()
    start = time.perf_counter()
    compiled = nutpie.compile_pymc_model(fitted.model, backend="numba")
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    draws = nutpie.sample(compiled, draws=settings.draws, tune=settings.tune, chains=settings.chains, cores=2,
                          seed=settings.seed, progress_bar=False, target_accept=settings.target_accept)
    sample_s = time.perf_counter() - start
    reported = [p for p in fitted.parameters if p in draws["posterior"]]
    ess = az.ess(draws["posterior"].to_dataset()[reported], method="bulk")
    smallest = min(float(ess[v].min()) for v in reported)
    posterior = draws["posterior"]
    return {"form": form, "likelihood_rows": fitted.n_likelihood_rows, "draws": settings.draws,
            "compile_s": round(compile_s, 1), "sample_s": round(sample_s, 1),
            "steps_per_draw": round(float(draws["sample_stats"]["n_steps"].mean()), 1),
            "min_bulk_ess": round(smallest), "min_bulk_ess_per_s": round(smallest / sample_s, 1),
            "cell": [round(float(v), 3) for v in posterior["cell"].mean(("chain", "draw")).values],
            "respondent_sd": round(float(posterior["respondent_sd"].mean()), 3)}


def main() -> None:
    if len(sys.argv) > 1:  # one measurement, in this process
        print(json.dumps(measure(sys.argv[1])), flush=True)
        return
    env = {**os.environ, "PYTENSOR_FLAGS": f"base_compiledir={tempfile.mkdtemp(prefix='regression-integrated-')}"}

    def run(form: str) -> dict:
        out = subprocess.run([sys.executable, __file__, form], env=env, capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    forms = ("sampled", "integrated", "sampled-factors", "integrated-factors")
    for form in forms:
        run(form)  # fills the compile directory
    for _ in range(ROUNDS):
        for form in forms:
            print(json.dumps(run(form)), flush=True)


if __name__ == "__main__":
    main()
