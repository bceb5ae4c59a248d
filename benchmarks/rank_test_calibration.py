"""How often the rank plots' uniformity test (arviz_stats' mchain_uniformity_test, the p that arviz-plots prints,
alpha 0.01) flags chains, with every draw and thinned as the package's rank plots thin them
(paradox.figures.srp.thinned_for_rank_test): 4 AR(1) chains of 2,500 draws, all sampling N(0, 1) (a false alarm
when flagged), and the same with one chain's mean shifted by `shift` SD (a hit when flagged).

    .venv/bin/python benchmarks/rank_test_calibration.py [replicates]

2026-11-27, 200 replicates, every draw / thinned: false alarms at autocorrelation 0 -> 0.010 / 0.010, 0.8 -> 0.875
/ 0.020, 0.95 -> 1.000 / 0.010; hits with one chain shifted 0.5 SD, autocorrelation 0.8 -> 1.000 / 0.990, 0.95 ->
1.000 / 0.355 (about 30 independent draws per chain are left there). Every draw, the test flags almost every
autocorrelated run, mixed or not; thinned, it keeps its level (0.01) and flags a chain that sits apart unless the
chains are very short in effective draws, where R-hat and the ESS (sampling.assert_converged) are the checks.
"""
import sys

import numpy as np
import xarray as xr
import arviz_stats  # noqa: F401  (.azstats)

from paradox.figures.srp import thinned_for_rank_test


def chains(rng, rho: float, shift: float = 0.0, n_chains: int = 4, draws: int = 2500) -> xr.Dataset:
    x = np.empty((n_chains, draws))
    x[:, 0] = rng.normal(size=n_chains)
    noise = rng.normal(size=(n_chains, draws)) * np.sqrt(1 - rho**2)
    for t in range(1, draws):
        x[:, t] = rho * x[:, t - 1] + noise[:, t]
    x[0] += shift
    return xr.Dataset({"v": (("chain", "draw"), x)})


def flagged(draws: xr.Dataset, alpha: float = 0.01) -> bool:
    ranks = draws.azstats.compute_ranks(dim=["chain", "draw"], relative=True)
    p_values, _, _ = ranks.azstats.mchain_uniformity_test()
    return float(p_values["v"]) < alpha


def rates(rho: float, shift: float, replicates: int, seed: int = 0, draws: int = 2500) -> tuple[float, float]:
    """(share flagged with every draw, share flagged thinned)."""
    rng = np.random.default_rng(seed)
    every, thinned = 0, 0
    for _ in range(replicates):
        run = chains(rng, rho, shift, draws=draws)
        every += flagged(run)
        thinned += flagged(thinned_for_rank_test(run, ["v"]))
    return every / replicates, thinned / replicates


if __name__ == "__main__":
    replicates = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    for rho, shift in [(0.0, 0.0), (0.8, 0.0), (0.95, 0.0), (0.8, 0.5), (0.95, 0.5)]:
        every, thinned = rates(rho, shift, replicates)
        kind = "false alarms" if shift == 0 else f"hits (one chain shifted {shift} SD)"
        print(f"autocorrelation {rho}: {kind}, every draw {every:.3f}, thinned {thinned:.3f} ({replicates} replicates)",
              flush=True)
