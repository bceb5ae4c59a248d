"""The numbers a figure draws, as a tidy table that travels with it (`paradox.figures.save` writes it as a CSV
beside the PNG), so that a re-run can check its figures number by number (`paradox.figure_check`).

One row per drawn quantity: panel, series, x, quantity, value, mcse, monte_carlo. `monte_carlo` says whether the
value is estimated from draws (posterior, prior or predictive); its `mcse` is then the Monte Carlo standard error
(arviz's, from the chains' effective sample size). Numbers computed from the data alone have mcse 0 and
monte_carlo False: they must agree exactly. The flag keeps apart a draw-based number whose estimated mcse happens
to be 0 (every draw equal), which is still compared within Monte Carlo error (paradox.rerun.MCSE_FLOOR).
"""

from __future__ import annotations

import arviz as az
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr

#: Columns of every figure's table (`figure`, its file name, is added by `save`).
COLUMNS = ("panel", "series", "x", "quantity", "value", "mcse", "monte_carlo")
#: Where a figure keeps its table (matplotlib Figures accept new attributes).
_ATTRIBUTE = "paradox_numbers"


def row(panel, series, x, quantity: str, value: float, mcse: float | None = None) -> dict:
    """One drawn number; `mcse` None means it comes from the data alone (exact)."""
    return {"panel": str(panel), "series": str(series), "x": str(x), "quantity": quantity, "value": float(value),
            "mcse": 0.0 if mcse is None else float(np.nan_to_num(mcse)), "monte_carlo": mcse is not None}


def attach(fig: plt.Figure, rows: list[dict]) -> plt.Figure:
    """Attach the figure's numbers (rows made by `row`) and return the figure."""
    setattr(fig, _ATTRIBUTE, pd.DataFrame(rows, columns=list(COLUMNS)))
    return fig


def numbers_of(fig: plt.Figure) -> pd.DataFrame | None:
    """The table attached by `attach`, or None for a figure that has none."""
    return getattr(fig, _ATTRIBUTE, None)


def mcse_mean(draws: xr.DataArray) -> xr.DataArray:
    """Monte Carlo SE of the mean over (chain, draw), per remaining coordinate."""
    return az.mcse(draws, method="mean")


def mcse_quantile(draws: xr.DataArray, prob: float) -> xr.DataArray:
    """Monte Carlo SE of the `prob` quantile over (chain, draw), per remaining coordinate."""
    return az.mcse(draws, method="quantile", prob=prob)


def as_chain_draw(values: np.ndarray, dims: tuple[str, ...]) -> xr.DataArray:
    """A (chain, draw, ...) array as a DataArray arviz can read (`dims` names the trailing axes)."""
    return xr.DataArray(values, dims=("chain", "draw", *dims))
