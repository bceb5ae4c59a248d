"""The Gaussian model of cell statistics with the statistics as pm.Data, so one compiled model serves
every simulated survey of a design (nutpie's `with_data` swaps them).

The same likelihood as `paradox.models.srp.gaussian_model(cells, ...)` (exact, from each cell's n, mean
and SD): the cell mean is Normal(mu, sigma / sqrt(n)) and (n - 1) sd^2 / sigma^2 is chi-square(n - 1).
That function takes the statistics as constants, so each survey would need its own compiled model;
here they are data of fixed shape (experiment, cell), the shape the design fixes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm

from paradox.design import CELL, CELLS, EXPERIMENT, Design
from paradox.models.srp import GaussianPriors, LEVELS, _cell_shift, _recovery_effects


def cell_means_model(cells: pd.DataFrame, design: Design, priors: GaussianPriors = GaussianPriors(),
                     pooled: bool = True) -> pm.Model:
    """cells: experiment, cell, n, mean, sd (`paradox.models.srp.cell_statistics`), every cell of the design."""
    experiments = design.moderators
    table = cells.assign(**{EXPERIMENT: cells[EXPERIMENT].astype(str), CELL: cells[CELL].astype(str)})
    table = table.set_index([EXPERIMENT, CELL]).reindex(pd.MultiIndex.from_product([experiments, CELLS]))
    if table[["n", "mean", "sd"]].isna().any().any():
        raise ValueError("cell_means_model needs the statistics of every experiment and cell of the design")
    shape = (len(experiments), len(CELLS))

    def grid(column: str) -> np.ndarray:
        return table[column].to_numpy(dtype=float).reshape(shape)

    baseline_mean = priors.baseline_mean if priors.baseline_mean is not None else (1 + design.scale_points) / 2
    coords = {"experiment": experiments, "recovery_level": list(LEVELS), "cell": list(CELLS)}
    with pm.Model(coords=coords) as model:
        n = pm.Data("cell_n", grid("n"), dims=("experiment", "cell"))
        mean = pm.Data("cell_mean_observed", grid("mean"), dims=("experiment", "cell"))
        sd = pm.Data("cell_sd_observed", grid("sd"), dims=("experiment", "cell"))
        baseline = pm.Normal("baseline_mean", baseline_mean, priors.baseline_sd, dims="experiment")
        effects = _recovery_effects(len(experiments), priors.effect_sd, priors.effect_spread, pooled)
        mu = pm.Deterministic("cell_mean", baseline[:, None] + _cell_shift(effects), dims=("experiment", "cell"))
        sigma = pm.HalfNormal("cell_sd", priors.sigma_scale, dims=("experiment", "cell"))
        pm.Normal("observed_mean", mu, sigma / pm.math.sqrt(n), observed=mean, dims=("experiment", "cell"))
        pm.Gamma("observed_variance", alpha=(n - 1) / 2, beta=(n - 1) / (2 * sigma**2), observed=sd**2,
                 dims=("experiment", "cell"))
    return model
