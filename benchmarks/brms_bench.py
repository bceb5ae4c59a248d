"""The package's default SRP fit against the same model in brms, on the same data (issue 12, item 8).

    python benchmarks/brms_bench.py                  # or: make bench-r (installs R and brms when missing)
    python benchmarks/brms_bench.py --quick          # 120 respondents, few draws: checks the scripts only

Each repetition fits, one after the other and each in its own process, (a) the package's hierarchical fit,
`hypotheses.analyse_srp`'s ordinal model with pooled=True (srp.ordinal_model, respondent intercepts integrated out)
with its sampler (nutpie) and settings (`hypotheses.settings_for`), and (b) benchmarks/brms_fit.R, the same
model in brms, with the same chains, warm-up, draws, target acceptance (adapt_delta) and seed. Both read one
survey (workloads.make_survey, written to CSV for R). Reported: medians over the repetitions of the stages'
seconds (build, compile, warm-up, sampling), the smallest bulk and tail ESS over the same population-level
quantities (one function, `worst_ess`, for both) per second of warm-up + sampling, and their ratios.
Writes benchmarks/brms_results.md (tables, machine, versions, `uptime` before and after) and
benchmarks/brms_results.csv (every repetition). Without R or brms it prints a note and fits only ours.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
R_SCRIPT = HERE / "brms_fit.R"
WORK = ROOT / "build" / "brms_bench"
SURVEY_COLUMNS = ["respondent", "item", "answer", "experiment", "cell"]


# --- the package's default fit (run in its own process: `--package-fit JSON`) ------------------------------

def package_fit(job: dict) -> dict:
    import pymc as pm

    from paradox import hypotheses
    from paradox.models import srp
    from paradox.models.sampling import _sampler_options
    from paradox.settings import SamplerSettings
    from workloads import make_survey

    survey = make_survey(job["respondents"])
    written = pd.read_csv(job["survey_csv"], dtype=str).to_numpy()
    if not np.array_equal(written, survey_table(survey).astype(str).to_numpy()):
        raise RuntimeError(f"{job['survey_csv']} is not the survey of {job['respondents']} respondents")
    start = time.perf_counter()
    model = srp.ordinal_model(survey, pooled=True, integrate_respondents=True)  # the hierarchical model, integrated
    build_s = time.perf_counter() - start
    settings = hypotheses.settings_for(model, SamplerSettings.from_env({"PARADOX_MODE": job["mode"]}))
    settings = settings.with_(cache="off", **{k: job[k] for k in ("draws", "tune") if job.get(k)})
    start = time.perf_counter()
    with model:  # as paradox.models.sampling.sample, but keeping the warm-up's statistics (leapfrog steps)
        idata = pm.sample(draws=settings.draws, tune=settings.tune, chains=settings.chains,
                          cores=min(settings.chains, os.cpu_count() or 1), random_seed=settings.seed,
                          nuts_sampler=settings.nuts_sampler, init="auto", **_sampler_options(settings, model),
                          quiet=True, progressbar=False, compute_convergence_checks=False,
                          discard_tuned_samples=False)
    call_s = time.perf_counter() - start
    sampling_s = float(idata["posterior"].attrs["sampling_time"])  # nutpie.sample's wall time: warm-up + draws
    steps_warmup = float(idata["warmup_sample_stats"]["n_steps"].sum())
    steps_draws = float(idata["sample_stats"]["n_steps"].sum())
    posterior = idata["posterior"].to_dataset()[list(COMMON)]
    return {"fit": "package", "n_respondents": len(survey.respondents), "n_answers": len(survey.answers),
            "sampler": settings.nuts_sampler, "chains": settings.chains, "tune": settings.tune,
            "draws": settings.draws, "target_accept": settings.target_accept, "seed": settings.seed,
            "build_s": build_s, "compile_s": call_s - sampling_s, "sampling_s": sampling_s,
            # nutpie reports one time for warm-up and draws together: split in proportion to leapfrog steps
            # (gradient evaluations, nearly all of the cost); checked on Stan, which times both (see README).
            "warmup_s": sampling_s * steps_warmup / (steps_warmup + steps_draws),
            "draws_s": sampling_s * steps_draws / (steps_warmup + steps_draws),
            "leapfrog_warmup": steps_warmup, "leapfrog_sampling": steps_draws,
            "divergences": int(idata["sample_stats"]["diverging"].sum()),
            **worst_ess(posterior, sampling_s), "means": means(posterior)}


def survey_table(survey) -> pd.DataFrame:
    """One row per answer, the columns brms_fit.R reads."""
    table = survey.answers[SURVEY_COLUMNS].copy()
    for column in ("item", "experiment", "cell", "respondent"):
        table[column] = table[column].astype(str)
    return table


# --- the same quantities from both fits, and one definition of their ESS --------------------------------------

#: The population-level quantities of ordinal_model (every sampled or derived variable without a respondent
#: dim), each also derived from brms's draws (`brms_posterior`).
COMMON = ("cutpoints", "respondent_sd", "recovery_effect_mean", "recovery_effect_tau", "recovery_effect_z",
          "recovery_effect", "experiment_baseline")


def worst_ess(posterior, seconds: float) -> dict:
    """The smallest bulk and tail ESS over every element of every variable, the largest R-hat, and ESS per
    second (benchmarks/README.md; the same as workloads.posterior_metrics)."""
    import arviz as az

    def worst(ds, how):
        return float(how([how(np.asarray(da.values, float)) for da in ds.data_vars.values()]))

    bulk, tail = worst(az.ess(posterior, method="bulk"), np.min), worst(az.ess(posterior, method="tail"), np.min)
    return {"ess_bulk": bulk, "ess_tail": tail, "rhat": worst(az.rhat(posterior), np.max),
            "ess_bulk_per_s": bulk / seconds, "ess_tail_per_s": tail / seconds}


def means(posterior) -> dict:
    """Posterior mean and SD of every element, flattened: {name[i,j]: [mean, sd]}."""
    out = {}
    for name, da in posterior.data_vars.items():
        mean, sd = da.mean(("chain", "draw")).values.ravel(), da.std(("chain", "draw")).values.ravel()
        for k, (m, s) in enumerate(zip(mean, sd)):
            out[f"{name}[{k}]"] = [float(m), float(s)]
    return out


def orthonormal_sum_to_zero(n: int) -> np.ndarray:
    """R's contr.helmert(n) with columns scaled to length 1 (brms_fit.R's experiment baselines)."""
    basis = np.zeros((n, n - 1))
    for j in range(n - 1):
        basis[: j + 1, j], basis[j + 1, j] = -1.0, j + 1.0
    return basis / np.linalg.norm(basis, axis=0)


def brms_posterior(draws: pd.DataFrame, items: list[str], experiments: list[str]):
    """brms's draws (brms_fit.R's draws.csv) as the COMMON quantities of ordinal_model, dims (chain, draw, ...)."""
    import xarray as xr

    chains = sorted(draws["chain"].unique())

    def stack(columns) -> np.ndarray:  # (chain, draw, len(columns))
        return np.stack([draws.loc[draws["chain"] == c, columns].to_numpy(float) for c in chains])

    n_cut = sum(c.startswith(f"b_Intercept[{items[0]},") for c in draws.columns)
    cutpoints = stack([f"b_Intercept[{i},{k}]" for i in items for k in range(1, n_cut + 1)])
    levels = ("favourable", "unfavourable")
    mean = stack([f"b_{level}" for level in levels])
    tau = stack(["sd_experiment_level__recovered"])[..., 0]
    deviation = stack([f"r_experiment_level[{e}:{level},recovered]" for e in experiments for level in levels])
    deviation = deviation.reshape(*deviation.shape[:2], len(experiments), 2)
    b_exp = stack([f"b_exp_c{j}" for j in range(1, len(experiments))])
    dims = ("chain", "draw")
    return xr.Dataset({
        "cutpoints": (dims + ("item", "cut"), cutpoints.reshape(*cutpoints.shape[:2], len(items), n_cut)),
        "respondent_sd": (dims, stack(["sd_respondent__Intercept"])[..., 0]),
        "recovery_effect_mean": (dims + ("recovery_level",), mean),
        "recovery_effect_tau": (dims, tau),
        "recovery_effect_z": (dims + ("experiment", "recovery_level"), deviation / tau[..., None, None]),
        "recovery_effect": (dims + ("experiment", "recovery_level"), mean[:, :, None, :] + deviation),
        "experiment_baseline": (dims + ("experiment",), b_exp @ orthonormal_sum_to_zero(len(experiments)).T),
    })


def parse_brms_output(out_dir: Path, items: list[str], experiments: list[str]) -> dict:
    """brms_fit.R's result.json and draws.csv as one row of measurements. Warm-up and sampling seconds are
    Stan's own per-chain times; chains run `cores` at a time, so their wall time is at least the larger of
    (sum over chains / cores) and the longest chain: that lower bound, not the wall time of the whole
    rstan::sampling call (which adds starting R worker processes), is divided into the ESS, in brms's favour."""
    result = json.loads((out_dir / "result.json").read_text())
    draws = pd.read_csv(out_dir / "draws.csv")
    warmup, sample = np.asarray(result["chain_warmup_s"], float), np.asarray(result["chain_sample_s"], float)
    chain_s = warmup + sample
    cores = min(int(result["cores"]), len(chain_s))
    sampling_s = max(chain_s.sum() / cores, chain_s.max())
    posterior = brms_posterior(draws, items, experiments)
    return {"fit": "brms", "n_respondents": result["n_respondents"], "n_answers": result["n_answers"],
            "chains": result["chains"], "tune": result["warmup"], "draws": result["draws"],
            "target_accept": result["adapt_delta"], "seed": result["seed"],
            "build_s": result["build_s"], "compile_s": result["compile_s"], "sampling_s": sampling_s,
            "warmup_s": sampling_s * warmup.sum() / chain_s.sum(), "draws_s": sampling_s * sample.sum() / chain_s.sum(),
            "sampling_call_s": result["sampling_s"], "workers_s": result["sampling_s"] - sampling_s,
            "leapfrog_warmup": result["leapfrog_warmup"], "leapfrog_sampling": result["leapfrog_sampling"],
            "divergences": result["divergences"], **worst_ess(posterior, sampling_s), "means": means(posterior),
            "versions": f"{result['r']}, brms {result['brms']}, rstan {result['rstan']}, Stan {result['stan']}",
            "formula": result["formula"]}


# --- running both ------------------------------------------------------------------------------------------

def brms_available() -> str | None:
    """None if Rscript and brms are there, else why not."""
    if not shutil.which("Rscript"):
        return "Rscript not found"
    check = subprocess.run(["Rscript", "-e", "library(brms); library(rstan)"], capture_output=True, text=True)
    return None if check.returncode == 0 else "the R package brms (or rstan) is not installed"


def run_package(job: dict, timeout: float) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--package-fit", json.dumps(job)], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode or not lines:
        raise RuntimeError(f"the package's fit failed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def run_brms(job: dict, out_dir: Path, items, experiments, timeout: float) -> dict:
    shutil.rmtree(out_dir, ignore_errors=True)
    args = [job["survey_csv"], out_dir, job["chains"], job["tune"], job["draws"], job["target_accept"], job["seed"],
            job["cores"]]
    proc = subprocess.run(["Rscript", str(R_SCRIPT), *map(str, args)], capture_output=True, text=True, timeout=timeout)
    if proc.returncode:
        raise RuntimeError(f"brms_fit.R failed:\n{proc.stderr[-3000:]}")
    return parse_brms_output(out_dir, items, experiments)


def machine_info() -> dict:
    """runner.machine(), with the versions of what this benchmark uses (the `bench` extra is not needed)."""
    from importlib.metadata import PackageNotFoundError, version

    import runner

    def known(package):
        try:
            return f"{package} {version(package)}"
        except PackageNotFoundError:
            return None

    try:
        return runner.machine()
    except PackageNotFoundError:
        info = {"date": time.strftime("%Y-%m-%dT%H:%M:%S"), "python": sys.version.split()[0],
                "machine": f"{os.cpu_count()} cores, {os.uname().sysname} {os.uname().release}"}
        info["versions"] = ", ".join(filter(None, map(known, ["pymc", "pytensor", "nutpie", "numba", "arviz", "numpy"])))
        return info


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def mean_gap(a: dict, b: dict) -> float:
    """Largest |difference of posterior means| over the common quantities, in posterior SDs (the larger SD)."""
    return max(abs(a[k][0] - b[k][0]) / max(a[k][1], b[k][1]) for k in a if k in b)


STAGES = [("build s", "build_s"), ("compile s", "compile_s"), ("warm-up s", "warmup_s"), ("draws s", "draws_s"),
          ("warm-up + draws s", "sampling_s"), ("bulk ESS", "ess_bulk"), ("tail ESS", "ess_tail"),
          ("bulk ESS/s", "ess_bulk_per_s"), ("tail ESS/s", "ess_tail_per_s"), ("max R-hat", "rhat"),
          ("divergences", "divergences"), ("leapfrog steps, warm-up", "leapfrog_warmup"),
          ("leapfrog steps, draws", "leapfrog_sampling")]


def summary_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Medians over repetitions, one row per fit."""
    rows = []
    for fit, group in runs.groupby("fit", sort=False):
        row = {"fit": fit, "repeats": len(group)}
        row.update({label: statistics.median(group[key]) for label, key in STAGES})
        if fit == "brms":
            row["R worker start-up s"] = statistics.median(group["workers_s"])
        rows.append(row)
    return pd.DataFrame(rows)


def ratio_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Package / brms: ratio of the medians, and the range of the paired (same repetition) ratios."""
    ours, brms = (runs[runs["fit"] == f].set_index("repeat") for f in ("package", "brms"))
    paired = ours.index.intersection(brms.index)
    rows = []
    for label, key in [("bulk ESS/s", "ess_bulk_per_s"), ("tail ESS/s", "ess_tail_per_s"),
                       ("compile s", "compile_s"), ("warm-up + draws s", "sampling_s")]:
        each = ours.loc[paired, key] / brms.loc[paired, key]
        rows.append({"package / brms": label, "ratio of medians": ours[key].median() / brms[key].median(),
                     "median of paired ratios": each.median(), "lowest": each.min(), "highest": each.max()})
    return pd.DataFrame(rows)


def main() -> None:
    from runner import markdown
    from workloads import make_survey

    from paradox.settings import SEED

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--respondents", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--mode", default="fast", choices=["fast", "full"],
                        help="the package's settings of that mode (default fast: 4 chains x (500 + 2,000))")
    parser.add_argument("--cores", type=int, default=min(4, os.cpu_count() or 1), help="parallel chains in Stan")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds before a fit is abandoned")
    parser.add_argument("--quick", action="store_true", help="120 respondents, 100 + 100 draws: checks the scripts")
    parser.add_argument("--out", type=Path, default=HERE / "brms_results.md")
    parser.add_argument("--append", action="store_true",
                        help="add the repetitions to those in --out's CSV (same survey and settings): a run of 3 "
                             "repetitions (over an hour) can be made in parts; the tables cover them all")
    args = parser.parse_args()
    respondents = 120 if args.quick else args.respondents
    sizes = {"draws": 100, "tune": 100} if args.quick else {}
    WORK.mkdir(parents=True, exist_ok=True)
    survey = make_survey(respondents)
    survey_csv = WORK / f"survey_{respondents}.csv"
    survey_table(survey).to_csv(survey_csv, index=False)
    items = list(survey.items)
    experiments = list(dict.fromkeys(survey_table(survey)["experiment"]))
    missing_r = brms_available()
    if missing_r:
        print(f"NOTE: brms skipped ({missing_r}; `make bench-r` installs it as root). Fitting the package only.")
    info = machine_info()
    before = uptime()
    print(f"uptime before: {before}", flush=True)
    if args.append and not args.out.with_suffix(".csv").exists():
        raise SystemExit(f"--append: no earlier repetitions in {args.out.with_suffix('.csv')}; "
                         "run without --append first")
    earlier = pd.read_csv(args.out.with_suffix(".csv")) if args.append else pd.DataFrame()
    n_respondents = survey.answers["respondent"].nunique()  # make_survey rounds to whole cells
    if len(earlier) and set(earlier["n_respondents"]) != {n_respondents}:
        raise SystemExit(f"--append: {args.out.with_suffix('.csv')} holds other surveys "
                         f"({sorted(set(earlier['n_respondents']))} respondents), not {n_respondents}")
    first_repeat = int(earlier["repeat"].max()) + 1 if len(earlier) else 1
    runs = []
    for repeat in range(first_repeat, first_repeat + args.repeats):
        job = {"respondents": respondents, "survey_csv": str(survey_csv), "mode": args.mode, **sizes}
        load = os.getloadavg()[0]
        ours = run_package(job, args.timeout)
        runs.append({**ours, "repeat": repeat, "load_at_start": load})
        print(f"  package, repeat {repeat}: {json.dumps({k: v for k, v in ours.items() if k != 'means'})}", flush=True)
        if missing_r:
            continue
        same = {"survey_csv": str(survey_csv), "cores": args.cores,
                **{k: ours[k] for k in ("chains", "tune", "draws", "target_accept", "seed")}}
        load = os.getloadavg()[0]
        theirs = run_brms(same, WORK / f"brms_out_{repeat}", items, experiments, args.timeout)
        theirs["mean_gap_sd"] = mean_gap(ours["means"], theirs["means"])
        runs.append({**theirs, "repeat": repeat, "load_at_start": load})
        print(f"  brms, repeat {repeat}: {json.dumps({k: v for k, v in theirs.items() if k != 'means'})}", flush=True)
    after = uptime()
    print(f"uptime after: {after}", flush=True)
    table = pd.concat([earlier, pd.DataFrame(runs).drop(columns="means")], ignore_index=True)
    first = table.iloc[0]
    n_repeats = int(table["repeat"].nunique())
    lines = [f"# The package's default SRP fit vs brms, {info['date']}", "",
             *(f"- {k}: {v}" for k, v in info.items() if k not in ("date", "load_average")),
             f"- uptime before: {before}", f"- uptime after: {after}"
             + (" (of the last part; each repetition's load is in the table)" if args.append else ""),
             f"- data: workloads.make_survey({respondents}): {first['n_respondents']} respondents, "
             f"{first['n_answers']} answers ({survey_csv.relative_to(ROOT)})",
             f"- both: {first['chains']} chains x ({first['tune']} warm-up + {first['draws']} draws), target "
             f"acceptance (adapt_delta) {first['target_accept']}, seed {SEED}; package: {first['sampler']}; "
             f"{n_repeats} repetition(s), medians", ""]
    if missing_r:
        lines += [f"brms skipped: {missing_r}.", ""]
    else:
        brms_row = table[table["fit"] == "brms"].iloc[0]
        lines += [f"- brms: {brms_row['versions']}, {args.cores} chains at a time; formula `{brms_row['formula']}`",
                  f"- largest |difference of posterior means| package vs brms, in posterior SDs, per repetition: "
                  + ", ".join(f"{v:.2f}" for v in table.loc[table['fit'] == 'brms', 'mean_gap_sd']), ""]
    lines += ["## Medians", "", markdown(summary_table(table)), ""]
    if not missing_r:
        lines += ["## Package / brms", "", markdown(ratio_table(table)), ""]
    shown = ["repeat", "fit", "load_at_start", *(key for _, key in STAGES)]
    lines += ["## Every repetition", "", markdown(table[[c for c in shown if c in table]]), ""]
    text = "\n".join(lines)
    print(text)
    if not args.quick:
        args.out.write_text(text)
        table.to_csv(args.out.with_suffix(".csv"), index=False)
        print(f"wrote {args.out} and {args.out.with_suffix('.csv')}")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    if len(sys.argv) == 3 and sys.argv[1] == "--package-fit":
        print("RESULT " + json.dumps(package_fit(json.loads(sys.argv[2]))), flush=True)
    else:
        main()
