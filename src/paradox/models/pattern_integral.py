"""The quadrature of `paradox.models.quadrature` as compiled pytensor operations: log L per pattern
(`PatternLoglik`), and the weighted sum of log L over the patterns with its gradient (`WeightedLoglik`, what a
model's log density uses).

Written as a graph of array operations (as `quadrature.pattern_loglik_numpy` is), the rule costs one exp per
(group, item, cut, node) and materialises the gathered factors of every pattern at every node, then as many
arrays again for the gradient: 1.17 ms per log density and gradient of notebook 06's model (794 patterns x 3
items x 81 nodes), against 0.38 ms here (`benchmarks/pattern_integral.py`; nutpie's draws 2.8 times as fast).
Here:

* exp(c - shift - sd z) = exp(c - shift) * exp(-sd z): one exp per (group, item, cut) and one per node
  instead of one per (group, item, cut, node);
* one loop per pattern keeps its product in a row of `nodes` numbers, the node loops innermost;
* `WeightedLoglik` computes the value and the gradient in one pass, because a sampler asks for both at every
  step (a first fused operation, 2026-11-27, computed them in two operations that each did the exps and the
  pattern loops, and gained nothing: 1.11 ms).

The mathematics is `quadrature.pattern_loglik_numpy`'s, term for term (its docstring explains the rule):
P(answer = k) = F_k (1 - F_(k-1)) gap_k with F_k = t_k / (1 + t_k), t_k = exp(clip(c_k - eta, -300, 300)),
gap_k = 1 - exp(c_(k-1) - c_k) (1 for the bottom and top categories), P = 1 for the code K ("unanswered"); a
pattern's integrand at a node is the product of its items' P, each floored at FLOOR, and its log L the log
of the weighted sum over the nodes. The one difference: exp(c - shift) and exp(-sd z) are each clipped at
+/-SPLIT_CLIP before their product is clipped to [e^-300, e^300], which changes nothing unless
|c - shift| or sd * |z| exceeds 350 logits. tests/test_quadrature.py checks the values against the NumPy
rule and scipy's adaptive quadrature, and the gradient against finite differences.
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

#: A factor below this counts as this, so that the product's gradient (product / factor) stays finite where
#: a probability underflows, far from any posterior (as in quadrature.pattern_loglik_numpy).
FLOOR = 1e-300
#: t = exp(x) is clipped to [e^-CLIP, e^CLIP]: t = e^300 is a probability of 1 - 1e-130 either way.
CLIP = 300.0
#: Each factor of t = exp(c - shift) * exp(-sd z) is clipped here first, so that their product stays finite.
SPLIT_CLIP = 350.0
#: Without fastmath, as every model of the package (paradox.models): code compiled afresh and code loaded from
#: numba's cache then give the same bits, and so the same draws.
_FASTMATH = False


def _cdfs(cutpoints, shift, sd, z):
    """F_k and 1 - F_k at x = c_(i, k) - shift_g - sd z_n, each (group, item, K - 1, node)."""
    n_items, n_cut = cutpoints.shape
    n_groups, n_nodes = shift.shape[0], z.shape[0]
    lo, hi = np.exp(-CLIP), np.exp(CLIP)
    by_node = np.exp(np.minimum(np.maximum(-sd * z, -SPLIT_CLIP), SPLIT_CLIP))
    below = np.empty((n_groups, n_items, n_cut, n_nodes))
    survive = np.empty((n_groups, n_items, n_cut, n_nodes))
    for g in range(n_groups):
        for i in range(n_items):
            for k in range(n_cut):
                level = np.exp(min(max(cutpoints[i, k] - shift[g], -SPLIT_CLIP), SPLIT_CLIP))
                for n in range(n_nodes):
                    t = min(max(level * by_node[n], lo), hi)
                    r = 1.0 / (1.0 + t)
                    below[g, i, k, n] = t * r
                    survive[g, i, k, n] = r
    return below, survive


def _gaps(cutpoints):
    """gap_k = 1 - exp(c_(k-1) - c_k) per item, (item, K - 1); gap_0 = 1 (the bottom category)."""
    gaps = np.ones_like(cutpoints)
    for i in range(cutpoints.shape[0]):
        for k in range(1, cutpoints.shape[1]):
            gaps[i, k] = -np.expm1(cutpoints[i, k - 1] - cutpoints[i, k])
    return gaps


def _table(below, survive, gaps):
    """P(answer = k | group, item, node) as rows (group x item x (K + 1), node); k = K is "unanswered"."""
    n_groups, n_items, n_cut, n_nodes = below.shape
    table = np.empty((n_groups, n_items, n_cut + 2, n_nodes))
    for g in range(n_groups):
        for i in range(n_items):
            table[g, i, 0] = below[g, i, 0]
            for k in range(1, n_cut):
                table[g, i, k] = below[g, i, k] * survive[g, i, k - 1] * gaps[i, k]
            table[g, i, n_cut] = survive[g, i, n_cut - 1]           # the top category
            table[g, i, n_cut + 1] = 1.0                            # unanswered
    return table.reshape((n_groups * n_items * (n_cut + 2), n_nodes))


def _rows(answers, group, n_items, n_categories):
    """Each pattern's rows of the table, (pattern, item)."""
    rows = np.empty(answers.shape, dtype=np.int64)
    for p in range(answers.shape[0]):
        for i in range(answers.shape[1]):
            rows[p, i] = (group[p] * n_items + i) * (n_categories + 1) + answers[p, i]
    return rows


def _product(table, rows, p, product):
    """The floored product of pattern p's factors at every node, into `product`."""
    first = rows[p, 0]
    for n in range(product.shape[0]):
        product[n] = max(table[first, n], FLOOR)
    for i in range(1, rows.shape[1]):
        row = rows[p, i]
        for n in range(product.shape[0]):
            product[n] *= max(table[row, n], FLOOR)


def _loglik(cutpoints, shift, sd, answers, group, z, weight):
    below, survive = _cdfs(cutpoints, shift, sd.item(), z)
    table = _table(below, survive, _gaps(cutpoints))
    rows = _rows(answers, group, cutpoints.shape[0], cutpoints.shape[1] + 1)
    out = np.empty(answers.shape[0])
    product = np.empty(z.shape[0])
    for p in range(answers.shape[0]):
        _product(table, rows, p, product)
        total = 0.0
        for n in range(z.shape[0]):
            total += product[n] * weight[n]
        out[p] = np.log(total)
    return out


def _weighted_loglik(cutpoints, shift, sd, answers, group, z, weight, upstream):
    """sum_p upstream[p] * log L_p, and its gradient with respect to cutpoints, shift and sd."""
    n_items, n_cut = cutpoints.shape
    n_groups, n_nodes = shift.shape[0], z.shape[0]
    sd = sd.item()
    gaps = _gaps(cutpoints)
    below, survive = _cdfs(cutpoints, shift, sd, z)
    table = _table(below, survive, gaps)
    rows = _rows(answers, group, n_items, n_cut + 1)
    # 1. to the table: pattern p's factor at node n gets upstream / L_p * weight_n * (product of the others)
    d_table = np.zeros_like(table)
    product = np.empty(n_nodes)
    share = np.empty(n_nodes)
    value = 0.0
    for p in range(answers.shape[0]):
        if upstream[p] == 0.0:  # a pattern nobody gave adds nothing (and no 0 * log 0 = nan where L_p is 0)
            continue
        _product(table, rows, p, product)
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
            row = rows[p, i]
            for n in range(n_nodes):
                factor = table[row, n]
                d_table[row, n] += share[n] / factor if factor > FLOOR else 0.0
    d_table = d_table.reshape((n_groups, n_items, n_cut + 2, n_nodes))
    # 2. entry k = F_k (1 - F_(k-1)) gap_k: to x_k = c_k - eta (dF/dx = F (1 - F)) and to gap_k
    d_cut, d_shift, d_gap = np.zeros_like(cutpoints), np.zeros_like(shift), np.zeros_like(cutpoints)
    d_sd = 0.0
    for g in range(n_groups):
        for i in range(n_items):
            for k in range(n_cut):
                gap = gaps[i, k]
                after = gaps[i, k + 1] if k + 1 < n_cut else 1.0
                level = cutpoints[i, k] - shift[g]
                d_x_sum, d_x_z, d_gap_sum = 0.0, 0.0, 0.0
                for n in range(n_nodes):
                    f, s = below[g, i, k, n], survive[g, i, k, n]
                    before = survive[g, i, k - 1, n] if k > 0 else 1.0
                    rest = below[g, i, k + 1, n] * after if k + 1 < n_cut else 1.0
                    d_gap_sum += d_table[g, i, k, n] * f * before
                    inside = abs(level - sd * z[n]) <= CLIP               # the clip's gradient is 0 outside
                    d_x = f * s * (d_table[g, i, k, n] * before * gap - d_table[g, i, k + 1, n] * rest)
                    d_x = d_x if inside else 0.0
                    d_x_sum += d_x
                    d_x_z += d_x * z[n]
                d_gap[i, k] += d_gap_sum
                d_cut[i, k] += d_x_sum                               # x = c - shift - sd z
                d_shift[g] -= d_x_sum
                d_sd -= d_x_z
    for i in range(n_items):
        for k in range(1, n_cut):                                   # gap_k = 1 - exp(c_(k-1) - c_k)
            d = d_gap[i, k] * np.exp(cutpoints[i, k - 1] - cutpoints[i, k])
            d_cut[i, k] += d
            d_cut[i, k - 1] -= d
    return np.asarray(value), d_cut, d_shift, np.asarray(d_sd)


# The helpers compile where they are called from; the two entry points are also compiled here, for `perform`
# (backends other than numba). The numba backend compiles its own copy into the model's function.
_cdfs, _gaps, _table, _rows, _product = (numba.njit(f, fastmath=_FASTMATH)
                                         for f in (_cdfs, _gaps, _table, _rows, _product))
_loglik_compiled = numba.njit(_loglik, fastmath=_FASTMATH)
_weighted_loglik_compiled = numba.njit(_weighted_loglik, fastmath=_FASTMATH)


#: A digest of this file, which holds the kernels' code. pytensor keys its numba cache on an operation's class
#: and properties, not on the code it compiles: without this salt a warm cache kept running the kernels as they
#: were before an edit (2026-11-28: the fix of an underflow stayed invisible until the compile directory was
#: emptied). The result cache's key takes it too (`code_digest`, paradox.cache.model_fingerprint). Any edit of
#: this file, a comment's too, changes both keys: re-record the engine's fingerprints and `make reproduce`.
SOURCE_SALT = int(hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:15], 16)


def _inputs(cutpoints, shift, sd, answers, group, z, weight):
    floats = [pt.as_tensor_variable(x).astype("float64") for x in (cutpoints, shift, sd)]
    ints = [pt.as_tensor_variable(x).astype("int64") for x in (answers, group)]
    return [*floats, *ints, *(pt.as_tensor_variable(x).astype("float64") for x in (z, weight))]


class PatternLoglik(Op):
    """log L of each answer pattern. Inputs: cutpoints (item, K - 1), increasing; shift (group,); sd (scalar);
    answers (pattern, item), 0-based, K = unanswered; group (pattern,); z and weight (node,), the rule's nodes
    and weights. Output (pattern,)."""

    __props__ = ()
    code_digest = SOURCE_SALT

    def make_node(self, *inputs):
        inputs = _inputs(*inputs)
        return Apply(self, inputs, [pt.tensor(dtype="float64", shape=(inputs[3].type.shape[0],))])

    def perform(self, node, inputs, outputs):
        outputs[0][0] = _loglik_compiled(*inputs)

    def pullback(self, inputs, outputs, cotangents):
        cutpoints, shift, sd, answers, group, z, weight = inputs
        _, d_cut, d_shift, d_sd = WeightedLoglik()(cutpoints, shift, sd, answers, group, cotangents[0], z, weight)
        return [d_cut, d_shift, d_sd, *(grad_undefined(self, k, inputs[k]) for k in range(3, 7))]


class WeightedLoglik(Op):
    """sum over patterns of weight x log L, and its gradient with respect to cutpoints, shift and sd, in one
    pass (a sampler asks for both at every step). Inputs: PatternLoglik's, with the patterns' weights (pattern,)
    after `group`."""

    __props__ = ()
    code_digest = SOURCE_SALT

    def make_node(self, cutpoints, shift, sd, answers, group, weights, z, weight):
        inputs = _inputs(cutpoints, shift, sd, answers, group, z, weight)
        inputs.insert(5, pt.as_tensor_variable(weights).astype("float64"))
        return Apply(self, inputs, [pt.dscalar(), inputs[0].type(), inputs[1].type(), inputs[2].type()])

    def perform(self, node, inputs, outputs):
        cutpoints, shift, sd, answers, group, weights, z, weight = inputs
        values = _weighted_loglik_compiled(cutpoints, shift, sd, answers, group, z, weight, weights)
        for storage, value in zip(outputs, values):
            storage[0] = value

    def pullback(self, inputs, outputs, cotangents):
        if any(not isinstance(c.type, DisconnectedType) for c in cotangents[1:]):
            raise NotImplementedError("WeightedLoglik has no second derivatives")
        d_value = cotangents[0]
        return [d_value * outputs[1], d_value * outputs[2], d_value * outputs[3],
                *(grad_undefined(self, k, inputs[k]) for k in range(3, 8))]


@register_funcify_default_op_cache_key(PatternLoglik)
def _numba_loglik(op, node, **kwargs):
    return numba_njit(_loglik_compiled.py_func), op.code_digest


@register_funcify_default_op_cache_key(WeightedLoglik)
def _numba_weighted_loglik(op, node, **kwargs):
    kernel = numba_njit(_weighted_loglik_compiled.py_func)

    @numba_njit
    def weighted_loglik(cutpoints, shift, sd, answers, group, weights, z, weight):
        return kernel(cutpoints, shift, sd, answers, group, z, weight, weights)

    return weighted_loglik, op.code_digest


def pattern_loglik(answers, group, cutpoints, shift, sd, z, weight) -> pt.TensorVariable:
    """log L of each pattern as a pytensor expression (see PatternLoglik)."""
    return PatternLoglik()(cutpoints, shift, sd, answers, group, z, weight)


def weighted_loglik(answers, group, weights, cutpoints, shift, sd, z, weight) -> pt.TensorVariable:
    """sum of weight x log L over the patterns, as a pytensor expression (see WeightedLoglik)."""
    return WeightedLoglik()(cutpoints, shift, sd, answers, group, weights, z, weight)[0]
