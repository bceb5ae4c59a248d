"""The integrated likelihood when every answer pattern has a latent shift of its own, as a compiled operation.

`paradox.models.pattern_integral` shares its work between the patterns of a group (a cell): it tabulates
P(answer = k | group, item, node) for every category once per group, then multiplies each pattern's rows. That
is right for a few cells and many patterns, and wrong when an adjustment for a covariate gives every respondent
a shift of their own (paradox.models.srp.adjustment_terms): the table then has a group per pattern, and the
work of every category at every node is done for the one category each item's answer needs (measured
2026-11-28: 27 ms per log density and gradient for 450 respondents with one covariate, against 0.16 ms for the
same survey's 211 patterns of three cells). Here each pattern computes only its answers' probabilities:

    P(answer = a) = F_a (1 - F_(a-1)) gap_a,  F_k = t_k / (1 + t_k),  t_k = exp(c_k - eta_p) * exp(-sd z_n),

with the same clips, floor and unanswered code as pattern_integral (whose docstring explains them), so that
the two give the same numbers for the same shifts (tests/test_quadrature.py checks it to 1e-10, and the
gradient against finite differences). Its gradient uses d log F / dx = 1 - F and d log(1 - F) / dx = -F for
x = c - eta - sd z, and d log gap_a / dc_a = exp(c_(a-1) - c_a) / gap_a.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numba
import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import DisconnectedType, grad_undefined
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.link.numba.dispatch.basic import numba_njit, register_funcify_default_op_cache_key

from paradox.models.pattern_integral import _FASTMATH, CLIP, FLOOR, SPLIT_CLIP


def _weighted_loglik(cutpoints, eta, sd, answers, z, weight, upstream):
    """sum_p upstream[p] * log L_p with pattern p's own shift eta[p], and its gradient with respect to
    cutpoints, eta and sd."""
    n_patterns, n_items = answers.shape
    n_cut = cutpoints.shape[1]
    n_nodes = z.shape[0]
    sd = sd.item()
    lo, hi = np.exp(-CLIP), np.exp(CLIP)
    by_node = np.empty(n_nodes)
    for n in range(n_nodes):
        by_node[n] = np.exp(min(max(-sd * z[n], -SPLIT_CLIP), SPLIT_CLIP))
    gaps = np.ones_like(cutpoints)
    for i in range(n_items):
        for k in range(1, n_cut):
            gaps[i, k] = -np.expm1(cutpoints[i, k - 1] - cutpoints[i, k])
    d_cut, d_eta = np.zeros_like(cutpoints), np.zeros_like(eta)
    d_sd, value = 0.0, 0.0
    # per (item, node): the factor, and d log factor / dx for the upper (x_a) and lower (x_(a-1)) cut
    factor = np.empty((n_items, n_nodes))
    d_upper = np.zeros((n_items, n_nodes))
    d_lower = np.zeros((n_items, n_nodes))
    inside_upper = np.ones((n_items, n_nodes), dtype=np.bool_)
    inside_lower = np.ones((n_items, n_nodes), dtype=np.bool_)
    product = np.empty(n_nodes)
    share = np.empty(n_nodes)
    for p in range(n_patterns):
        if upstream[p] == 0.0:  # a pattern nobody gave adds nothing
            continue
        for i in range(n_items):
            a = answers[p, i]
            upper_level = np.exp(min(max(cutpoints[i, a] - eta[p], -SPLIT_CLIP), SPLIT_CLIP)) if a < n_cut else 0.0
            lower_level = (np.exp(min(max(cutpoints[i, a - 1] - eta[p], -SPLIT_CLIP), SPLIT_CLIP))
                           if 0 < a <= n_cut else 0.0)
            gap = gaps[i, a] if 0 < a < n_cut else 1.0
            for n in range(n_nodes):
                f = 1.0
                d_upper[i, n], d_lower[i, n] = 0.0, 0.0
                if a < n_cut:                                   # F_a (the bottom category: F_0 alone)
                    t = min(max(upper_level * by_node[n], lo), hi)
                    below = t / (1.0 + t)
                    f *= below
                    d_upper[i, n] = 1.0 - below
                    inside_upper[i, n] = abs(cutpoints[i, a] - eta[p] - sd * z[n]) <= CLIP
                if 0 < a <= n_cut:                              # 1 - F_(a-1) (the top category: it alone)
                    t = min(max(lower_level * by_node[n], lo), hi)
                    survive = 1.0 / (1.0 + t)
                    f *= survive
                    d_lower[i, n] = -(1.0 - survive)
                    inside_lower[i, n] = abs(cutpoints[i, a - 1] - eta[p] - sd * z[n]) <= CLIP
                factor[i, n] = f * gap                          # a > n_cut: unanswered, P = 1
        for n in range(n_nodes):
            product[n] = max(factor[0, n], FLOOR)
        for i in range(1, n_items):
            for n in range(n_nodes):
                product[n] *= max(factor[i, n], FLOOR)
        total = 0.0
        for n in range(n_nodes):
            total += product[n] * weight[n]
        if not total > 0.0:  # L_p underflows (far from any posterior): log density -inf, which NUTS rejects
            value = -np.inf
            continue
        value += upstream[p] * np.log(total)
        scale = upstream[p] / total
        for n in range(n_nodes):
            share[n] = scale * weight[n] * product[n]
        for i in range(n_items):
            a = answers[p, i]
            d_gap = 0.0
            for n in range(n_nodes):
                if factor[i, n] <= FLOOR:  # a floored factor is a constant
                    continue
                d_up = share[n] * d_upper[i, n] if inside_upper[i, n] else 0.0
                d_low = share[n] * d_lower[i, n] if inside_lower[i, n] else 0.0
                d_x = d_up + d_low
                d_eta[p] -= d_x
                d_sd -= d_x * z[n]
                if a < n_cut:
                    d_cut[i, a] += d_up
                if 0 < a <= n_cut:
                    d_cut[i, a - 1] += d_low
                d_gap += share[n]
            if 0 < a < n_cut:                                   # log gap_a = log(1 - exp(c_(a-1) - c_a))
                d = d_gap * np.exp(cutpoints[i, a - 1] - cutpoints[i, a]) / gaps[i, a]
                d_cut[i, a] += d
                d_cut[i, a - 1] -= d
    return np.asarray(value), d_cut, d_eta, np.asarray(d_sd)


_weighted_loglik_compiled = numba.njit(_weighted_loglik, fastmath=_FASTMATH)

#: A digest of this file, for the compile and result caches' keys (as pattern_integral.SOURCE_SALT; the same
#: consequence: any edit of this file changes the keys of the models that use it).
SOURCE_SALT = int(hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:15], 16)


class ShiftedWeightedLoglik(Op):
    """sum over patterns of weight x log L, each pattern with its own shift, and the gradient with respect to
    cutpoints, shift and sd in one pass. Inputs: cutpoints (item, K - 1), increasing; shift (pattern,); sd
    (scalar); answers (pattern, item), 0-based, K = unanswered; weights (pattern,); z and weight (node,)."""

    __props__ = ()
    code_digest = SOURCE_SALT

    def make_node(self, cutpoints, shift, sd, answers, weights, z, weight):
        floats = [pt.as_tensor_variable(x).astype("float64") for x in (cutpoints, shift, sd)]
        inputs = [*floats, pt.as_tensor_variable(answers).astype("int64"),
                  *(pt.as_tensor_variable(x).astype("float64") for x in (weights, z, weight))]
        return Apply(self, inputs, [pt.dscalar(), inputs[0].type(), inputs[1].type(), inputs[2].type()])

    def perform(self, node, inputs, outputs):
        cutpoints, shift, sd, answers, weights, z, weight = inputs
        values = _weighted_loglik_compiled(cutpoints, shift, sd, answers, z, weight, weights)
        for storage, value in zip(outputs, values):
            storage[0] = value

    def pullback(self, inputs, outputs, cotangents):
        if any(not isinstance(c.type, DisconnectedType) for c in cotangents[1:]):
            raise NotImplementedError("ShiftedWeightedLoglik has no second derivatives")
        d_value = cotangents[0]
        return [d_value * outputs[1], d_value * outputs[2], d_value * outputs[3],
                *(grad_undefined(self, k, inputs[k]) for k in range(3, 7))]


@register_funcify_default_op_cache_key(ShiftedWeightedLoglik)
def _numba_shifted_weighted_loglik(op, node, **kwargs):
    kernel = numba_njit(_weighted_loglik_compiled.py_func)

    @numba_njit
    def shifted_weighted_loglik(cutpoints, shift, sd, answers, weights, z, weight):
        return kernel(cutpoints, shift, sd, answers, z, weight, weights)

    return shifted_weighted_loglik, op.code_digest


def shifted_weighted_loglik(answers, weights, cutpoints, shift, sd, z, weight) -> pt.TensorVariable:
    """sum of weight x log L over the patterns, each with its own shift, as a pytensor expression."""
    return ShiftedWeightedLoglik()(cutpoints, shift, sd, answers, weights, z, weight)[0]
