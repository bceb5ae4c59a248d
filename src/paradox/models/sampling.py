"""Running the sampler and checking that it converged, the same way everywhere."""

from __future__ import annotations

import os
from dataclasses import dataclass

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr

from paradox.cache import cached, datatree_fingerprint
from paradox.models import nutpie_callbacks
from paradox.models.nutpie_memo import reusing_compiled_models
from paradox.settings import SamplerSettings


#: pytensor mode of the prior predictive draws and of one-off log-density evaluations: Python's linker,
#: which compiles nothing. numba, the default, spends about 20 s compiling each such graph on a new machine
#: (measured: the SRP model's prior predictive took 19.7 s with numba, 2.0 s here), and its speed is not
#: needed for a few hundred draws made in one call. The draws are the same: both use NumPy's generators
#: with the same seeds. Posterior predictive draws stay compiled: they are made one posterior draw at a
#: time, thousands of calls, where Python's linker was slower (40 s against 6 s for notebook 06).
FORWARD_MODE = "FAST_COMPILE"


class ConvergenceError(RuntimeError):
    """Raised when R-hat, ESS or divergences fail their thresholds."""


class SamplingStopped(KeyboardInterrupt):
    """The sampler returned fewer chains or draws than asked for: it was interrupted (Ctrl-C, or a notebook
    cell's timeout), and PyMC's and nutpie's samplers return the draws made so far instead of raising."""


@dataclass(frozen=True)
class ConvergenceThresholds:
    """Thresholds after Vehtari et al. (2021): R-hat below 1.01, bulk and tail ESS of
    at least 100 per chain, and no divergent transitions."""

    max_rhat: float = 1.01
    min_ess_per_chain: float = 100.0
    max_divergences: int = 0


def sample(
    model: pm.Model,
    settings: SamplerSettings,
    *,
    var_names: list[str] | None = None,
    log_likelihood: bool = False,
) -> xr.DataTree:
    """Draw from the posterior of `model` with the settings' sampler, seed and sizes.

    The NUTS implementation is always passed explicitly (see settings.DEFAULT_NUTS_SAMPLER). With nutpie, a
    model sampled before in this process is not compiled again (paradox.models.nutpie_memo).
    Unchanged runs are served from the result cache when settings.cache allows (paradox.cache).
    """

    options = _sampler_options(settings, model)
    adaptation = options["nuts"].get("adaptation")  # nutpie's mass matrix (SamplerSettings.mass_matrix)

    def run() -> xr.DataTree:
        if settings.nuts_sampler == "nutpie":
            reusing_compiled_models()  # an unchanged model is compiled once per process (models.nutpie_memo)
            nutpie_callbacks.install()  # and its callbacks are built for less (models.nutpie_callbacks)
        with model:
            idata = pm.sample(
                draws=settings.draws,
                tune=settings.tune,
                chains=settings.chains,
                cores=min(settings.chains, os.cpu_count() or 1),
                random_seed=settings.seed,
                nuts_sampler=settings.nuts_sampler,
                # Other samplers ignore init, and PyMC warns when one is given to them.
                init=settings.init if settings.nuts_sampler == "pymc" else "auto",
                **options,
                var_names=var_names,
                quiet=True,
                progressbar=False,
                compute_convergence_checks=False,
            )
            _check_complete(idata, settings)
            if adaptation:
                idata["posterior"].attrs["mass_matrix"] = adaptation
            if log_likelihood:
                pm.compute_log_likelihood(idata, progressbar=False)
        return idata

    extra = {"var_names": var_names, "log_likelihood": log_likelihood}
    if settings.low_rank_mass_matrix and adaptation == "diag":  # the model's size overrode the settings
        extra["mass_matrix"] = adaptation
    return cached("posterior", model, settings, run, extra)


def _check_complete(idata: xr.DataTree, settings: SamplerSettings) -> None:
    """Raise SamplingStopped unless every chain has every draw: the draws of an interrupted run would pass
    for a result (two whole chains of four passed the convergence checks after a notebook cell's timeout,
    2026-11-27), and the result cache would keep them."""
    sizes = idata["posterior"].sizes
    got, wanted = (sizes.get("chain", 0), sizes.get("draw", 0)), (settings.chains, settings.draws)
    if got != wanted:
        raise SamplingStopped(f"sampling stopped early: {got[0]} chains x {got[1]} draws of {wanted[0]} x "
                              f"{wanted[1]} (interrupted?); nothing is kept")


#: PyMC's NUTS caps its first 200 tuning steps at this depth (its own default, kept).
PYMC_EARLY_MAX_TREE_DEPTH = 8


def free_parameter_count(model: pm.Model) -> int:
    """How many numbers NUTS moves: the size of every free variable on its sampling (transformed) scale."""
    shapes = model.eval_rv_shapes()
    return sum(int(np.prod(shapes[model.rvs_to_values[rv].name])) for rv in model.free_RVs)


def _sampler_options(settings: SamplerSettings, model: pm.Model) -> dict:
    if settings.nuts_sampler == "nutpie":
        options = settings.nutpie_options(free_parameter_count(model))
        return {"target_accept": options.pop("target_accept"), "nuts": options}
    # PyMC's NUTS: the same deepest trajectory, and its own early cap (first 200 tuning steps, depth 8) no deeper
    return {"target_accept": settings.target_accept,
            "nuts": {"max_treedepth": settings.max_tree_depth,
                     "early_max_treedepth": min(PYMC_EARLY_MAX_TREE_DEPTH, settings.max_tree_depth)}}


def tidy_summary(idata: xr.DataTree, var_names: list[str], ci_prob: float = 0.95) -> pd.DataFrame:
    """One row per parameter: parameter, mean, sd, ci_lower, ci_upper (equal-tailed), r_hat, ess_bulk, ess_tail."""
    table = az.summary(idata, var_names=var_names, ci_prob=ci_prob, ci_kind="eti", round_to="none")
    lower = next(c for c in table.columns if c.endswith("_lb"))
    upper = next(c for c in table.columns if c.endswith("_ub"))
    table = table.rename(columns={lower: "ci_lower", upper: "ci_upper"})
    table = pd.DataFrame(table).rename_axis("parameter").reset_index()
    return table[["parameter", "mean", "sd", "ci_lower", "ci_upper", "r_hat", "ess_bulk", "ess_tail"]]


def sample_prior_predictive(model: pm.Model, settings: SamplerSettings, draws: int = 500) -> xr.DataTree:
    def run() -> xr.DataTree:
        with model:
            return pm.sample_prior_predictive(draws=draws, random_seed=settings.seed,
                                              compile_kwargs={"mode": FORWARD_MODE})

    return cached("prior_predictive", model, settings, run, {"draws": draws})


#: Posterior draws a predictive check uses at most (evenly thinned): its bands are quantiles of a few
#: hundred replicated surveys; predicting from every draw (10,000 in full mode) cost minutes for nothing.
PREDICTIVE_DRAWS = 500


def thinned(idata: xr.DataTree, max_draws: int = PREDICTIVE_DRAWS) -> xr.DataTree:
    """The posterior with every k-th draw of each chain, at most about max_draws in all."""
    posterior = idata["posterior"].to_dataset()
    step = max(1, -(-posterior.sizes["chain"] * posterior.sizes["draw"] // max_draws))
    return xr.DataTree.from_dict({"posterior": posterior.isel(draw=slice(None, None, step))})


def sample_posterior_predictive(model: pm.Model, idata: xr.DataTree, settings: SamplerSettings,
                                max_draws: int = PREDICTIVE_DRAWS) -> xr.DataTree:
    """Replicated data from at most max_draws posterior draws (`thinned`)."""
    posterior = thinned(idata, max_draws)

    def run() -> xr.DataTree:
        with model:
            return pm.sample_posterior_predictive(posterior, random_seed=settings.seed, progressbar=False)

    return cached("posterior_predictive", model, settings, run, {"posterior": datatree_fingerprint(posterior)})


#: Dims of nuisance parameters left out of the checks by default: with hundreds of
#: per-respondent intercepts, the largest of their R-hats passes 1.01 by chance in short runs,
#: while every conclusion rests on the population-level parameters, which are all checked.
NUISANCE_DIMS = ("respondent",)


def convergence_report(
    idata: xr.DataTree,
    var_names: list[str] | None = None,
    thresholds: ConvergenceThresholds = ConvergenceThresholds(),
    exclude_dims: tuple[str, ...] = NUISANCE_DIMS,
) -> pd.DataFrame:
    """One row per check: worst R-hat, smallest bulk and tail ESS, divergences; each with pass/fail.

    Variables with a dim in `exclude_dims` are left out unless named in `var_names`.
    """
    posterior = idata["posterior"].to_dataset()
    if var_names is None:
        var_names = [v for v, da in posterior.data_vars.items() if not set(da.dims) & set(exclude_dims)]
    posterior = posterior[var_names]
    n_chains = posterior.sizes["chain"]
    rhat = az.rhat(posterior)
    ess_bulk = az.ess(posterior, method="bulk")
    ess_tail = az.ess(posterior, method="tail")

    def worst(ds: xr.Dataset, how) -> tuple[float, str]:
        best_val, best_name = None, ""
        for name, da in ds.data_vars.items():
            values = np.asarray(da.values, dtype=float).ravel()
            values = values[np.isfinite(values)]
            if values.size == 0:
                continue
            v = how(values)
            if best_val is None or how([best_val, v]) == v:
                best_val, best_name = float(v), name
        return (np.nan if best_val is None else best_val), best_name

    max_rhat, rhat_var = worst(rhat, np.max)
    min_bulk, bulk_var = worst(ess_bulk, np.min)
    min_tail, tail_var = worst(ess_tail, np.min)
    divergences = int(idata["sample_stats"]["diverging"].sum())
    min_ess = thresholds.min_ess_per_chain * n_chains
    rows = [
        ("max R-hat", max_rhat, f"< {thresholds.max_rhat}", max_rhat < thresholds.max_rhat, rhat_var),
        ("min bulk ESS", min_bulk, f">= {min_ess:g}", min_bulk >= min_ess, bulk_var),
        ("min tail ESS", min_tail, f">= {min_ess:g}", min_tail >= min_ess, tail_var),
        ("divergences", divergences, f"<= {thresholds.max_divergences}", divergences <= thresholds.max_divergences, ""),
    ]
    return pd.DataFrame(rows, columns=["check", "value", "threshold", "passed", "worst_variable"]).set_index("check")


def assert_converged(
    idata: xr.DataTree,
    var_names: list[str] | None = None,
    thresholds: ConvergenceThresholds = ConvergenceThresholds(),
    exclude_dims: tuple[str, ...] = NUISANCE_DIMS,
) -> pd.DataFrame:
    """Raise ConvergenceError, naming each failed check, unless every check passes."""
    report = convergence_report(idata, var_names, thresholds, exclude_dims)
    failed = report[~report["passed"]]
    if len(failed):
        lines = [f"{check}: {row.value:.4g} (needs {row.threshold}; worst: {row.worst_variable or '-'})" for check, row in failed.iterrows()]
        raise ConvergenceError("Sampling did not converge:\n  " + "\n  ".join(lines))
    return report
