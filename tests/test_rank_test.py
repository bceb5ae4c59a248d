"""The rank plots' uniformity test reads mixing, not autocorrelation: its draws are thinned first
(paradox.figures.srp.thinned_for_rank_test). Chains are simulated (seeded AR(1)), no sampler involved."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from rank_test_calibration import chains, flagged, rates  # noqa: E402

from paradox.figures.srp import thinned_for_rank_test  # noqa: E402


def test_well_mixed_autocorrelated_chains_are_flagged_only_when_every_draw_is_tested():
    """4 chains of the same distribution, autocorrelation 0.9: every draw tested, the test cries wolf in most
    replicates; thinned, about as often as its level (0.01) says (benchmarks/rank_test_calibration.py
    measures both rates over 200 replicates)."""
    every, thinned = rates(rho=0.9, shift=0.0, replicates=20, seed=1, draws=1000)
    assert every >= 0.5
    assert thinned <= 0.1


def test_a_chain_that_sits_apart_is_still_flagged_after_thinning():
    every, thinned = rates(rho=0.9, shift=1.5, replicates=10, seed=2, draws=1000)
    assert thinned == 1.0


def test_the_slowest_parameter_sets_the_factor():
    rng = np.random.default_rng(3)
    slow, fast = chains(rng, 0.97)["v"], chains(rng, 0.0)["v"]
    both = thinned_for_rank_test(slow.to_dataset(name="slow").assign(fast=fast), ["slow", "fast"])
    alone = thinned_for_rank_test(slow.to_dataset(name="slow"), ["slow"])
    assert both.sizes["draw"] == alone.sizes["draw"] < 2500 / 10
    assert not flagged(thinned_for_rank_test(chains(rng, 0.97), ["v"]))
