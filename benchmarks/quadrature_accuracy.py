"""How many trapezoid nodes the integrated SRP model needs (paradox.models.quadrature).

On the grid of tests/test_quadrature.py (respondent SD in {0.5, 1, 2, 3, 4, 5} x items in {1, 3, 6, 10} x
two cutpoint sets x three cell shifts x eight answer patterns: all top, all bottom, all middle, random,
contradictory, partly and wholly unanswered), the largest |error| of each rule's log-likelihood per pattern
against scipy's adaptive quadrature; with --cost also the time of one log-likelihood + gradient over the
SRP pattern grid (12 cells x 7^3 patterns), compiled with numba as nutpie uses it.

    nice -n 19 .venv/bin/python benchmarks/quadrature_accuracy.py [--cost]
"""

from __future__ import annotations

import importlib.util
import itertools
import time
from pathlib import Path

import numpy as np

from paradox.models import quadrature

ROOT = Path(__file__).resolve().parents[1]
DESIGN_CUTS = np.array([-3.0, -2.2, -1.4, -0.5, 0.5, 1.6])

def cases():
    """The grid of tests/test_quadrature.py (one definition of it)."""
    spec = importlib.util.spec_from_file_location("test_quadrature", ROOT / "tests" / "test_quadrature.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.grid()


def accuracy(rules) -> dict:
    reference = [quadrature.pattern_loglik_scipy(*case) for case in cases()]
    worst = {}
    for name, (rule, kwargs) in rules.items():
        errors = [np.abs(rule(*case, **kwargs) - ref) for case, ref in zip(cases(), reference)]
        worst[name] = max(e.max() for e in errors)
    return worst


def worst_by_items() -> dict:
    """The default rule's largest |error| per item count, with the nodes it used."""
    worst = {}
    for case in cases():
        n_items = case[0].shape[1]
        error = np.abs(quadrature.pattern_loglik_numpy(*case) - quadrature.pattern_loglik_scipy(*case)).max()
        worst[n_items] = max(worst.get(n_items, 0.0), error)
    return {n: (quadrature.nodes_for(n), e) for n, e in worst.items()}


def srp_grid_cost(nodes: int | None = None, repeats: int = 200) -> float:
    """Seconds per log-likelihood + gradient over the full SRP pattern grid, numba-compiled."""
    import pytensor
    import pytensor.tensor as pt

    answers = np.array(list(itertools.product(range(7), repeat=3)) * 12)
    group = np.repeat(np.arange(12), 7**3)
    cut, shift, sd = pt.matrix("cut"), pt.vector("shift"), pt.scalar("sd")
    counts = np.random.default_rng(1).poisson(0.25, len(answers)).astype(float)
    logp = pt.dot(counts, quadrature.pattern_loglik(answers, group, cut, shift, sd, nodes=nodes))
    fn = pytensor.function([cut, shift, sd], [logp, *pytensor.grad(logp, [cut, shift, sd])], mode="NUMBA")
    args = (np.tile(DESIGN_CUTS, (3, 1)) * 1.5, np.linspace(-1, 1, 12), 3.0)
    fn(*args)
    start = time.perf_counter()
    for _ in range(repeats):
        fn(*args)
    return (time.perf_counter() - start) / repeats


def old_rule_cost(repeats: int = 200) -> float:
    """The replaced rule: 24 fixed nodes over a (cell, item, category, node) table, gathered per pattern."""
    import pytensor
    import pytensor.tensor as pt

    answers = np.array(list(itertools.product(range(7), repeat=3)) * 12)
    group = np.repeat(np.arange(12), 7**3)
    cut, shift, sd = pt.matrix("cut"), pt.vector("shift"), pt.scalar("sd")
    counts = np.random.default_rng(1).poisson(0.25, len(answers)).astype(float)
    x, w = np.polynomial.hermite.hermgauss(24)
    t, log_w = np.sqrt(2.0) * x, np.log(w) - 0.5 * np.log(np.pi)
    eta = shift[:, None] + sd * t[None, :]
    distance = cut[None, :, :, None] - eta[:, None, None, :]
    end = pt.zeros((12, 3, 1, 24))
    log_p = pt.concatenate([-pt.softplus(-distance), end], axis=2) + pt.concatenate([end, -pt.softplus(distance)], axis=2)
    gap = pt.concatenate([pt.zeros((3, 1)), pt.log1p(-pt.exp(cut[:, :-1] - cut[:, 1:])), pt.zeros((3, 1))], axis=1)
    log_p = log_p + gap[None, :, :, None]
    per_node = log_p[group[:, None], np.arange(3)[None, :], answers].sum(axis=1)
    logp = pt.dot(counts, pt.logsumexp(per_node + log_w[None, :], axis=1))
    fn = pytensor.function([cut, shift, sd], [logp, *pytensor.grad(logp, [cut, shift, sd])], mode="NUMBA")
    args = (np.tile(DESIGN_CUTS, (3, 1)) * 1.5, np.linspace(-1, 1, 12), 3.0)
    fn(*args)
    start = time.perf_counter()
    for _ in range(repeats):
        fn(*args)
    return (time.perf_counter() - start) / repeats


if __name__ == "__main__":
    import sys

    rules = {f"fixed Gauss-Hermite, {n} nodes": (quadrature.pattern_loglik_gauss_hermite, {"nodes": n})
             for n in (24, 48)}
    rules.update({f"trapezoid, {n} nodes": (quadrature.pattern_loglik_numpy, {"nodes": n})
                  for n in (61, 81, 101, 121, 141)})
    rules["trapezoid, nodes_for(items)"] = (quadrature.pattern_loglik_numpy, {})
    if "--cost-only" not in sys.argv:
        for name, error in accuracy(rules).items():
            print(f"{name:36s} max |error| {error:.2e}")
        for n_items, (nodes, error) in worst_by_items().items():
            print(f"default rule, {n_items:2d} items ({nodes} nodes): max |error| {error:.2e}")
    if "--cost" in sys.argv or "--cost-only" in sys.argv:
        print(f"old rule (24 fixed nodes, table + gather): {1e3 * old_rule_cost():.2f} ms per logp+grad")
        for nodes in (61, 81, 121):
            print(f"trapezoid, {nodes} nodes: {1e3 * srp_grid_cost(nodes):.2f} ms per logp+grad")
