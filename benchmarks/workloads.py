"""The fits the benchmarks time, each runnable on its own in a fresh process.

    python benchmarks/workloads.py '{"fit": "srp", "respondents": 1000, "sampler": "pymc"}'

prints one JSON line of measurements. run_benchmarks.py and samplers.py start one process per
fit so that every fit pays its own compile time and its peak memory is its own.

Fits:
  srp         paradox.models.srp.ordinal_model, the hierarchical ordinal SRP model
  srp_marginal ordinal_model with the respondent intercepts integrated out (a proposal; see marginal_model)
  srp_shared  the same model with ONE set of cutpoints plus item shifts: the form bambi can write
  bambi       bambi, family="cumulative": answer ~ item + experiment_cell + (1|respondent)
  regression  paradox.models.regression fixed-effects ordinal model (answers collapsed into counts)
  orderedmodel statsmodels OrderedModel (logit, BFGS maximum likelihood) of the same model
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import sys
import time
from functools import partial

import numpy as np
import pandas as pd

# numpyro runs chains in parallel only on as many XLA devices as chains (else one after another).
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=4")

from paradox.data import validate
from paradox.design import CELL, EXPERIMENT, load_design
from paradox.settings import SEED, SamplerSettings
from paradox.simulate import simulate_survey

N_CELLS = 12  # 4 experiments x 3 cells in the SRP design
SURVEY_SEED = 2026  # the benchmark surveys' own seed (the committed survey keeps the design's)


def make_survey(respondents: int):
    """An SRP survey of about `respondents` respondents (3 items each): the design's 12 cells,
    each with ceil(respondents / 12) respondents, so 1,000 -> 1,008."""
    design = load_design()
    per_cell = math.ceil(respondents / N_CELLS)
    design = dataclasses.replace(
        design, experiments=[dataclasses.replace(e, n_per_cell=per_cell) for e in design.experiments]
    )
    frame = simulate_survey(design, seed=SURVEY_SEED)
    frame.index = pd.RangeIndex(2, 2 + len(frame))  # spreadsheet rows, as read from a file
    return validate(frame, design.survey_spec())


def _settings(args: dict) -> SamplerSettings:
    # cache="off": a benchmark that read the result cache would time a file read.
    return SamplerSettings(draws=args.get("draws", 1000), tune=args.get("tune", 1000), chains=args.get("chains", 4),
                           seed=SEED, nuts_sampler=args.get("sampler", "pymc"), cache="off",
                           init=args.get("init", SamplerSettings.init))


def posterior_metrics(idata, var_names: list[str], seconds: float, common: str | None = None) -> dict:
    """Worst-case bulk/tail ESS, R-hat and divergences over `var_names`, and ESS per second of sampling."""
    import arviz as az

    posterior = idata["posterior"].to_dataset()[var_names]

    def worst(ds, how):
        return float(how([how(np.asarray(da.values, float)) for da in ds.data_vars.values()]))

    bulk = worst(az.ess(posterior, method="bulk"), np.min)
    tail = worst(az.ess(posterior, method="tail"), np.min)
    out = {
        "ess_bulk": bulk, "ess_tail": tail, "rhat": worst(az.rhat(posterior), np.max),
        "divergences": int(idata["sample_stats"]["diverging"].sum()),
        "ess_bulk_per_s": bulk / seconds, "ess_tail_per_s": tail / seconds,
    }
    if common:  # one parameter both models share, compared like for like
        out["common_ess_bulk_per_s"] = float(az.ess(posterior[[common]], method="bulk")[common]) / seconds
        out["common_mean"] = float(posterior[common].mean())
    return out


def _population_vars(idata) -> list[str]:
    """Every sampled quantity without a per-respondent or per-answer dim."""
    posterior = idata["posterior"].to_dataset()
    return [v for v, da in posterior.data_vars.items()
            if not {d for d in da.dims if "respondent" in d or "__obs__" in d or d == "answer"}]


def _sample_pymc_model(model, settings: SamplerSettings) -> tuple[object, dict]:
    """pm.sample through the package (always names the sampler), timed."""
    from paradox.models.sampling import sample

    start = time.perf_counter()
    idata = sample(model, settings)
    total = time.perf_counter() - start
    # PyMC and numpyro record the time spent tuning + drawing; the rest of the call is compilation.
    sampling = float(idata["posterior"].attrs.get("sampling_time", total))
    return idata, {"sample_call_s": total, "sampling_s": sampling, "compile_s": total - sampling}


def fit_srp(args: dict, shared_cutpoints: bool = False) -> dict:
    from paradox.models.srp import ordinal_model

    start = time.perf_counter()
    survey = make_survey(args["respondents"])
    data_s = time.perf_counter() - start
    start = time.perf_counter()
    model = shared_threshold_model(survey) if shared_cutpoints else ordinal_model(survey)
    build_s = time.perf_counter() - start
    idata, times = _sample_pymc_model(model, _settings(args))
    wall = data_s + build_s + times["sample_call_s"]
    return {"n_respondents": len(survey.respondents), "n_answers": len(survey.answers), "data_s": data_s,
            "build_s": build_s, **times, "wall_s": wall,
            **posterior_metrics(idata, _population_vars(idata), times["sampling_s"], "respondent_sd"),
            "means": _means(idata, ["recovery_effect_mean", "recovery_effect_tau", "respondent_sd"])}


def shared_threshold_model(survey):
    """ordinal_model restricted to what bambi's cumulative family can say: one set of cutpoints for
    all items, with an additive shift per item (the first item's fixed at 0). Everything else is
    ordinal_model's: non-centred zero-sum respondent intercepts, pooled recovery effects."""
    import pymc as pm

    from paradox.models import srp

    answers = survey.answers
    coords = srp.coords_for(survey)
    respondent_codes, respondents = pd.factorize(answers["respondent"], sort=False)
    coords["respondent"] = list(respondents)
    coords["other_item"] = coords["item"][1:]
    exp_idx = pd.Categorical(answers[EXPERIMENT].astype(str), categories=coords["experiment"]).codes
    cell_idx = pd.Categorical(answers[CELL].astype(str), categories=list(srp.CELLS)).codes
    item_idx = answers["item"].cat.codes.to_numpy()
    priors = srp.OrdinalPriors()
    n_cut = survey.spec.n_categories - 1
    with pm.Model(coords=coords) as model:
        cutpoints = pm.Normal("cutpoints", 0.0, priors.cutpoint_sd, dims="cut",
                              transform=pm.distributions.transforms.ordered, initval=np.linspace(-2.0, 2.0, n_cut))
        item_shift = pm.Normal("item_shift", 0.0, 1.0, dims="other_item")
        respondent_sd = pm.HalfNormal("respondent_sd", priors.respondent_sd)
        respondent_z = pm.ZeroSumNormal("respondent_z", 1.0, dims="respondent")
        effects = srp._recovery_effects(len(coords["experiment"]), priors.effect_sd, priors.effect_spread, True)
        baseline = pm.ZeroSumNormal("experiment_baseline", priors.baseline_sd, dims="experiment")
        shift = pm.math.concatenate([np.zeros(1), item_shift])
        eta = (respondent_sd * respondent_z[respondent_codes] + srp._cell_shift(effects)[exp_idx, cell_idx]
               + baseline[exp_idx] + shift[item_idx])
        pm.OrderedLogistic("satisfaction", eta=eta, cutpoints=cutpoints, compute_p=False,
                           observed=answers["answer"].to_numpy() - survey.spec.scale[0])
    return model


def answer_patterns(survey) -> tuple[pd.DataFrame, np.ndarray]:
    """One row per distinct (experiment, cell, answers to every item), with how many respondents gave it.
    Answers are 0-based categories; -1 marks an item the respondent skipped."""
    wide = survey.answers.pivot(index="respondent", columns="item", values="answer")
    wide = (wide - survey.spec.scale[0]).fillna(-1).astype(int)
    factors = survey.answers.groupby("respondent", observed=True)[[EXPERIMENT, CELL]].first()
    table = pd.concat([factors.loc[wide.index].astype(str), wide], axis=1)
    patterns = table.value_counts(sort=False).rename("n").reset_index()
    return patterns, patterns[survey.items].to_numpy()


def marginal_model(survey, nodes: int = 24):
    """ordinal_model with the respondent intercepts integrated out instead of sampled.

    A respondent's intercept enters only their own answers, so their likelihood given the
    population parameters is  L = integral of prod_items P(answer_i | eta + sd * z) N(z; 0, 1) dz,
    computed by Gauss-Hermite quadrature. Respondents of the same cell with the same answers have
    the same L, so the likelihood is a sum over distinct answer patterns weighted by their counts
    (at most 12 cells x 7^3 patterns for 3 items on 7 points): its cost stops growing with respondents,
    and the sampler no longer carries one parameter per respondent. Intercepts here are iid
    N(0, sd) rather than zero-sum: with the intercepts integrated out the two agree but for one
    degree of freedom out of n. Everything else is ordinal_model's."""
    import pymc as pm
    import pytensor.tensor as pt

    from paradox.models import srp

    patterns, answers = answer_patterns(survey)
    coords = srp.coords_for(survey)
    n_items, n_cut = len(coords["item"]), survey.spec.n_categories - 1
    exp_idx = pd.Categorical(patterns[EXPERIMENT], categories=coords["experiment"]).codes
    cell_idx = pd.Categorical(patterns[CELL], categories=list(srp.CELLS)).codes
    group_idx = exp_idx * len(srp.CELLS) + cell_idx                      # experiment x cell, flattened
    answers = np.where(answers < 0, n_cut + 1, answers)                   # a skipped item: log P = 0, below
    x, w = np.polynomial.hermite.hermgauss(nodes)  # integral of f(x) exp(-x^2): z = sqrt(2) x
    log_w = np.log(w) - 0.5 * np.log(np.pi)
    priors = srp.OrdinalPriors()
    n_groups = len(coords["experiment"]) * len(srp.CELLS)
    with pm.Model(coords=coords) as model:
        cutpoints = pm.Normal(
            "cutpoints", 0.0, priors.cutpoint_sd, dims=("item", "cut"), transform=pm.distributions.transforms.ordered,
            initval=np.tile(np.linspace(-2.0, 2.0, n_cut), (n_items, 1)))
        respondent_sd = pm.HalfNormal("respondent_sd", priors.respondent_sd)
        effects = srp._recovery_effects(len(coords["experiment"]), priors.effect_sd, priors.effect_spread, True)
        baseline = pm.ZeroSumNormal("experiment_baseline", priors.baseline_sd, dims="experiment")
        group_eta = (srp._cell_shift(effects) + baseline[:, None]).flatten()
        # log P(category | group, node) for every item: a small table (12 x 3 x 8 x nodes) whatever the sample size
        eta = group_eta[:, None] + respondent_sd * np.sqrt(2.0) * x[None, :]              # (group, node)
        # P(k) = s(c[k+1] - eta) - s(c[k] - eta) = s(c[k+1] - eta) s(eta - c[k]) (1 - exp(c[k] - c[k+1])),
        # stable in both tails; at the two end categories the missing cutpoint's factors are 1.
        distance = cutpoints[None, :, :, None] - eta[:, None, None, :]                     # (group, item, cut, node)
        end = np.zeros((n_groups, n_items, 1, nodes))
        log_p = (pt.concatenate([-pt.softplus(-distance), end], axis=2)
                 + pt.concatenate([end, -pt.softplus(distance)], axis=2))
        edge = np.zeros((n_items, 1))
        log_gap = pt.concatenate([edge, pt.log1p(-pt.exp(cutpoints[:, :-1] - cutpoints[:, 1:])), edge], axis=1)
        log_p = log_p + log_gap[None, :, :, None]                                          # (group, item, category, node)
        log_p = pt.concatenate([log_p, end], axis=2)
        per_node = log_p[group_idx[:, None], np.arange(n_items)[None, :], answers].sum(axis=1)  # (pattern, node)
        log_lik = pt.logsumexp(per_node + log_w[None, :], axis=1)
        pm.Potential("answers_marginal", pt.dot(patterns["n"].to_numpy(dtype=float), log_lik))
    return model, len(patterns)


def fit_marginal(args: dict) -> dict:
    start = time.perf_counter()
    survey = make_survey(args["respondents"])
    data_s = time.perf_counter() - start
    start = time.perf_counter()
    model, n_patterns = marginal_model(survey, args.get("nodes", 24))
    build_s = time.perf_counter() - start
    idata, times = _sample_pymc_model(model, _settings(args))
    return {"n_respondents": len(survey.respondents), "n_answers": len(survey.answers), "n_patterns": n_patterns,
            "data_s": data_s, "build_s": build_s, **times, "wall_s": data_s + build_s + times["sample_call_s"],
            **posterior_metrics(idata, _population_vars(idata), times["sampling_s"], "respondent_sd"),
            "means": _means(idata, ["recovery_effect_mean", "recovery_effect_tau", "respondent_sd"])}


def _means(idata, names: list[str]) -> dict:
    posterior = idata["posterior"]
    return {name: np.round(posterior[name].mean(("chain", "draw")).values, 3).tolist() for name in names}


def fit_bambi(args: dict) -> dict:
    import bambi as bmb

    start = time.perf_counter()
    survey = make_survey(args["respondents"])
    data = survey.answers[["respondent", "item", "answer", EXPERIMENT, CELL]].copy()
    # One factor for the 12 experiment x cell groups: the same means as baseline + shift in ordinal_model.
    data["experiment_cell"] = (data[EXPERIMENT].astype(str) + ":" + data[CELL].astype(str)).astype("category")
    data["respondent"] = data["respondent"].astype(str).astype("category")
    data["answer"] = pd.Categorical(data["answer"], categories=sorted(data["answer"].unique()), ordered=True)
    data_s = time.perf_counter() - start
    start = time.perf_counter()
    model = bmb.Model("answer ~ item + experiment_cell + (1|respondent)", data, family="cumulative")
    model.build()
    build_s = time.perf_counter() - start
    settings = _settings(args)
    start = time.perf_counter()
    idata = model.fit(draws=settings.draws, tune=settings.tune, chains=settings.chains, cores=2,
                      random_seed=settings.seed, target_accept=settings.target_accept, init=settings.init,
                      inference_method=settings.nuts_sampler, progressbar=False)  # bambi passes it as nuts_sampler
    total = time.perf_counter() - start
    sampling = float(idata["posterior"].attrs.get("sampling_time", total))
    posterior = idata["posterior"].to_dataset()
    # bambi's names for the respondent sd; renamed so both models report the same quantity.
    idata["posterior"] = idata["posterior"].to_dataset().rename({"1|respondent_sigma": "respondent_sd"})
    names = [v for v in _population_vars(idata) if v in posterior or v == "respondent_sd"]
    return {"n_respondents": len(survey.respondents), "n_answers": len(survey.answers), "data_s": data_s,
            "build_s": build_s, "sample_call_s": total, "sampling_s": sampling, "compile_s": total - sampling,
            "wall_s": data_s + build_s + total,
            **posterior_metrics(idata, names, sampling, "respondent_sd")}


def fit_regression(args: dict) -> dict:
    """The fixed-effects ordinal model: item + experiment + cell, answers collapsed into counts."""
    from paradox.models.regression import RegressionSpec, build_regression

    survey = make_survey(args["respondents"])
    start = time.perf_counter()
    fitted = build_regression(survey, RegressionSpec(family="ordinal"))
    counts_s = time.perf_counter() - start  # forming the counts (and building the model)
    idata, times = _sample_pymc_model(fitted.model, _settings(args))
    return {"n_respondents": len(survey.respondents), "n_answers": len(survey.answers),
            "n_patterns": fitted.n_likelihood_rows, "counts_s": counts_s, **times,
            "fit_s": times["sample_call_s"], "wall_s": counts_s + times["sample_call_s"],
            **posterior_metrics(idata, fitted.parameters, times["sampling_s"]),
            "estimates": {f"{name}[{c}]": float(v) for name in ("item", EXPERIMENT, CELL)
                          for c, v in zip(idata["posterior"][name].coords[f"{name}_level"].values,
                                          idata["posterior"][name].mean(("chain", "draw")).values)}}


def fit_orderedmodel(args: dict) -> dict:
    """statsmodels' OrderedModel on one row per answer, treatment dummies of item, experiment, cell."""
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    survey = make_survey(args["respondents"])
    answers = survey.answers
    start = time.perf_counter()
    exog = pd.get_dummies(answers[["item", EXPERIMENT, CELL]], drop_first=True, dtype=float, prefix_sep="[")
    exog.columns = [f"{c}]" for c in exog.columns]
    result = OrderedModel(answers["answer"].to_numpy(), exog, distr="logit").fit(method="bfgs", disp=False, maxiter=2000)
    fit_s = time.perf_counter() - start
    return {"n_respondents": len(survey.respondents), "n_answers": len(answers), "fit_s": fit_s, "wall_s": fit_s,
            "converged": bool(result.mle_retvals.get("converged", False)),
            "estimates": {name: float(result.params[name]) for name in exog.columns}}


FITS = {"srp": fit_srp, "srp_shared": partial(fit_srp, shared_cutpoints=True), "srp_marginal": fit_marginal, "bambi": fit_bambi,
        "regression": fit_regression, "orderedmodel": fit_orderedmodel}


if __name__ == "__main__":
    job = json.loads(sys.argv[1])
    result = FITS[job["fit"]](job)
    print("RESULT " + json.dumps({**job, **result}), flush=True)
