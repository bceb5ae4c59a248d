"""The integrated likelihood as compiled operations (paradox.models.pattern_integral) against the same rule as a
graph of pytensor array operations (the code before 2026-11-27, kept here as `array_graph`): time per log density
and gradient of notebook 06's model (the whole synthetic survey, pooled: 794 answer patterns x 3 items x 81
nodes), and how far apart the two are at three random points. Then, with `--sample`, nutpie on each (4 chains x
(500 + 1,000), seed 1, the pooled settings of paradox.hypotheses).

    .venv/bin/python benchmarks/pattern_integral.py [--sample]

2026-11-27, 2-core AMD EPYC, nothing else running: 0.38 ms against 1.17 ms per log density and gradient (values
equal to 1e-14, gradients to 3e-13); sampling 34 s against 97 s at the same 31 leapfrog steps per draw.
"""
import sys
import time

import numpy as np
import pytensor
import pytensor.tensor as pt

from paradox.data import load_survey
from paradox.design import load_design
from paradox.models import pattern_integral, srp
from paradox.simulate import DEFAULT_OUTPUT


def array_graph(answers, group, weights, cutpoints, shift, sd, z, weight):
    """sum of weights x log L as the array graph the package used before (quadrature.pattern_loglik_numpy's
    code on pytensor tensors)."""
    n_items, n_categories, nodes = cutpoints.shape[0], cutpoints.shape[1] + 1, len(z)
    eta = shift[:, None] + sd * z[None, :]
    t = pt.exp(pt.clip(cutpoints[None, :, :, None] - eta[:, None, None, :], -300.0, 300.0))
    one = pt.ones_like(t[:, :, :1])
    below, above = t / (1.0 + t), 1.0 / (1.0 + t)
    edge = pt.ones_like(cutpoints[:, :1])
    gap = pt.concatenate([edge, -pt.expm1(cutpoints[:, :-1] - cutpoints[:, 1:]), edge, edge], axis=1)
    p = pt.concatenate([below, one, one], axis=2) * pt.concatenate([one, above, one], axis=2) * gap[None, :, :, None]
    table = p.reshape((-1, nodes))
    answers, group = pt.as_tensor_variable(answers), pt.as_tensor_variable(group)
    row = (group[:, None] * n_items + pt.arange(n_items)[None, :]) * (n_categories + 1) + answers
    factors = pt.maximum(table[row.flatten()], 1e-300).reshape((answers.shape[0], n_items, nodes))
    return pt.dot(weights, pt.log(pt.dot(pt.prod(factors, axis=1, no_zeros_in_input=True), weight)))


def model(kind: str, survey):
    original = pattern_integral.weighted_loglik
    pattern_integral.weighted_loglik = original if kind == "compiled" else array_graph
    try:
        return srp.ordinal_model(survey, pooled=True, integrate_respondents=True)
    finally:
        pattern_integral.weighted_loglik = original


def main(sample: bool) -> None:
    design = load_design()
    survey = load_survey(DEFAULT_OUTPUT, design.survey_spec())
    values = {}
    for kind in ("compiled", "array_graph"):
        m = model(kind, survey)
        inputs = m.value_vars
        logp = m.logp()
        f = pytensor.function(inputs, [logp, *pt.grad(logp, inputs)], mode="NUMBA", trust_input=True)
        start = m.initial_point()
        rng = np.random.default_rng(1)
        # np.asarray after the sum: a 0-d array plus a 0-d array is a numpy scalar, which the compiled function
        # (trust_input: no conversion) cannot index.
        points = [[np.asarray(start[v.name] + 0.3 * rng.normal(size=np.shape(start[v.name])), dtype=float)
                   for v in inputs] for _ in range(3)]
        values[kind] = [f(*p) for p in points]
        for _ in range(20):
            f(*points[0])
        n = 1000
        t = time.perf_counter()
        for _ in range(n):
            f(*points[0])
        print(f"{kind}: {1e3 * (time.perf_counter() - t) / n:.3f} ms per log density and gradient", flush=True)
        if sample:
            import nutpie

            compiled = nutpie.compile_pymc_model(m)
            t = time.time()
            trace = nutpie.sample(compiled, draws=1000, tune=500, chains=4, cores=2, seed=1, target_accept=0.99,
                                  maxdepth=6, adaptation="low_rank", progress_bar=False)
            steps = float(trace.sample_stats["n_steps"].mean())
            print(f"{kind}: sampled in {time.time() - t:.0f} s, {steps:.1f} leapfrog steps per draw", flush=True)
    for a, b in zip(values["compiled"], values["array_graph"]):
        gap = max(float(np.max(np.abs(np.asarray(u) - np.asarray(v)))) for u, v in zip(a[1:], b[1:]))
        print(f"log density {float(a[0]):.10f} vs {float(b[0]):.10f}; largest gradient difference {gap:.1e}")


if __name__ == "__main__":
    main("--sample" in sys.argv[1:])
