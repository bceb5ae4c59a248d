"""The fits the benchmarks time, each runnable on its own in a fresh process.

    python benchmarks/workloads.py '{"fit": "srp", "respondents": 1000, "sampler": "pymc"}'

prints one JSON line of measurements. run_benchmarks.py and samplers.py start one process per
fit so that every fit pays its own compile time and its peak memory is its own.

Fits:
  srp         paradox.models.srp.ordinal_model, the hierarchical ordinal SRP model
  srp_integrated ordinal_model(..., integrate_respondents=True): the same model, intercepts integrated out
  srp_shared  the same model with ONE set of cutpoints plus item shifts: the form bambi can write
  bambi       bambi, family="cumulative", with {"formula": "cells" | "pooled"} (BAMBI_FORMULAS)
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


def fit_srp(args: dict, form: str = "respondents") -> dict:
    """The hierarchical ordinal SRP model in one of its forms: "respondents" (ordinal_model as the
    notebooks fit it), "integrated" (integrate_respondents=True) or "shared" (bambi's restricted form)."""
    from paradox.models import srp

    start = time.perf_counter()
    survey = make_survey(args["respondents"])
    data_s = time.perf_counter() - start
    start = time.perf_counter()
    model = (shared_threshold_model(survey) if form == "shared"
             else srp.ordinal_model(survey, integrate_respondents=form == "integrated"))
    build_s = time.perf_counter() - start
    idata, times = _sample_pymc_model(model, _settings(args))
    patterns = {"n_patterns": len(srp.answer_patterns(survey)[0])} if form == "integrated" else {}
    return {"n_respondents": len(survey.respondents), "n_answers": len(survey.answers), **patterns, "data_s": data_s,
            "build_s": build_s, **times, "wall_s": data_s + build_s + times["sample_call_s"],
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


def _means(idata, names: list[str]) -> dict:
    posterior = idata["posterior"]
    return {name: np.round(posterior[name].mean(("chain", "draw")).values, 3).tolist() for name in names}


#: bambi formulas. "cells": the issue's model, one fixed effect per experiment x cell (the same 12 group
#: means as baseline + shift in ordinal_model, but unpooled). "pooled": as near ordinal_model's hierarchy as
#: bambi's syntax goes: recovery effects varying by experiment around their means (a spread per level, where
#: ordinal_model has one) and random experiment baselines (ordinal_model's are zero-sum).
BAMBI_FORMULAS = {
    "cells": "answer ~ item + experiment_cell + (1|respondent)",
    "pooled": "answer ~ item + favourable + unfavourable + (1|experiment) + (0 + favourable|experiment)"
              " + (0 + unfavourable|experiment) + (1|respondent)",
}


def fit_bambi(args: dict) -> dict:
    import bambi as bmb

    start = time.perf_counter()
    survey = make_survey(args["respondents"])
    data = survey.answers[["respondent", "item", "answer", EXPERIMENT, CELL]].copy()
    data["experiment_cell"] = (data[EXPERIMENT].astype(str) + ":" + data[CELL].astype(str)).astype("category")
    data["experiment"] = data[EXPERIMENT].astype(str).astype("category")
    for level in ("favourable", "unfavourable"):
        data[level] = (data[CELL].astype(str) == f"recovery_{level}").astype(float)
    data["respondent"] = data["respondent"].astype(str).astype("category")
    data["answer"] = pd.Categorical(data["answer"], categories=sorted(data["answer"].unique()), ordered=True)
    data_s = time.perf_counter() - start
    start = time.perf_counter()
    model = bmb.Model(BAMBI_FORMULAS[args.get("formula", "cells")], data, family="cumulative")
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


FITS = {"srp": fit_srp, "srp_integrated": partial(fit_srp, form="integrated"), "srp_shared": partial(fit_srp, form="shared"),
        "bambi": fit_bambi, "regression": fit_regression, "orderedmodel": fit_orderedmodel}


if __name__ == "__main__":
    job = json.loads(sys.argv[1])
    result = FITS[job["fit"]](job)
    print("RESULT " + json.dumps({**job, **result}), flush=True)
