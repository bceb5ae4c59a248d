"""The likelihood of an answer pattern with the respondent's intercept integrated out.

A respondent answers items i = 1..I on a K-point scale through a cumulative logit,
P(answer_i = k | eta) = F(c[i, k] - eta) - F(c[i, k-1] - eta), F the logistic CDF, with
eta = shift[group] + sd * z and z ~ N(0, 1) the respondent's intercept. Integrated out:

    L(pattern) = integral of exp(f(z)) dz,   f(z) = sum_i log P(answer_i | shift + sd * z) + log N(z; 0, 1).

The rule: the trapezoid rule on equally spaced nodes in z across [-REACH, REACH], the same nodes for every
pattern. For a smooth integrand that has vanished at both ends, the trapezoid rule converges exponentially
in the node spacing h: its error falls like exp(-2 pi d / h), d the half-width of the strip around the real
line where the integrand stays analytic and small. The poles nearest the line are those of the logistic CDF,
at imaginary distance pi / sd in z, and the integrand's size in the strip grows with the number of items,
so what a pattern needs is h small against 1 / (sd sqrt(items)), not nodes placed where its peak is
(`nodes_for`). Measured against scipy's adaptive quadrature over the grid of tests/test_quadrature.py
(SD 0.5-5 x 1-10 items x extreme, mixed and partly unanswered patterns; benchmarks/quadrature_accuracy.py):
largest error in log L per pattern below 6e-5 for every item count, always at SD 5, the narrowest peaks;
the reach of 8 loses nothing measurable (the prior's mass beyond it is 1e-15).

Because the nodes are shared, the work splits in two: P(answer | node) once per (group, item, answer, node),
a small table of G x I x (K + 1) x nodes from one exp each, and, per pattern, a gather of its items' rows of
that table, their product and one dot product with the weights. The previous rule found a window around
each pattern's peak by Newton steps inside the graph and cost 3.6 times as much per log density and
gradient (0.78 against 0.22 ms for notebook 02's 201 patterns, 3.2 against 0.84 ms for notebook 06's 794;
measured on 2026-11-26 with numba's fastmath on; see README, "The integrated form at realistic spread").

Fixed Gauss-Hermite nodes (`pattern_loglik_gauss_hermite`, the first rule) fail at large sd because 24 or 48
nodes spread over the prior leave gaps wider than a peak of width 1 / (sd sqrt(I)); equally spaced nodes
at the spacing above do not.

`pattern_loglik_numpy` is the rule in NumPy. The models use it as compiled operations
(`paradox.models.pattern_integral`: the same arithmetic in numba loops, with its gradient written out), through
`pattern_loglik` (log L per pattern) and `weighted_pattern_loglik` (the weighted sum a log density needs, with
its gradient in the same pass: 0.38 against 1.17 ms for the array graph on notebook 06's model, 2026-11-27;
benchmarks/pattern_integral.py). `pattern_loglik_scipy` is the independent reference (scipy's adaptive
quadrature, pattern by pattern) that the tests check them against. Answers are 0-based; the code K
(= n_categories) means "unanswered", an item that adds nothing.

The probit link (F the standard normal CDF) uses the same rule, its nodes 1.81 times closer together and
reaching further (`PROBIT_REACH`), as a pytensor graph with its gradient by automatic differentiation
(`probit_weighted_loglik`): no tabulation by group and no compiled operation of its own, so it costs more per log
density than the logit operations; it serves the regression's probit models, not the SRP models or the
calibration study. Its accuracy is checked on the same grid against `pattern_loglik_scipy(..., link="probit")`.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from scipy import integrate, optimize
from scipy.special import expit, logsumexp, ndtr

from paradox.models import pattern_integral, pattern_shift_integral

#: The nodes span [-REACH, REACH] in z, the respondent's intercept in prior SDs.
REACH = 8.0
#: Node spacing: a pattern's peak narrows like 1 / (sd sqrt(items)), so the spacing shrinks with the square
#: root of the number of items. Chosen on benchmarks/quadrature_accuracy.py: largest error in log L on the
#: grid of tests/test_quadrature.py, per item count, 1e-5 (1 item, 65 nodes), 5e-5 (3 items, 81 nodes),
#: 3e-5 (6, 113), 2e-5 (10, 145): at least 15 times under the 1e-3 per pattern the tests ask for.
SPACING = 0.35
MAX_SPACING = 0.25


#: The logistic distribution's SD, pi / sqrt(3): a respondent SD s on the probit scale is about 1.81 s logits, so
#: the probit rule takes nodes that much closer together to keep the logit rule's accuracy at the same SD.
LOGISTIC_SD = np.pi / np.sqrt(3.0)
#: The probit rule's reach. A probit likelihood falls like exp(-x^2 / 2), so a pattern far from its cell's shift
#: pulls its peak further out than a logit one: every one of 10 items at the bottom, at SD 0.5 and a shift 4.5
#: logits above the bottom cutpoint, peaks beyond z = -8. Measured on the grid of tests/test_quadrature.py: largest
#: error in log L 0.15 at reach 8, 5e-6 at 10, 4e-14 at 12.
PROBIT_REACH = 12.0


def nodes_for(n_items: int, link: str = "logit") -> int:
    """How many nodes the rule uses for patterns of n_items items (odd, so that z = 0 is a node)."""
    spacing, reach = min(MAX_SPACING, SPACING / np.sqrt(n_items)), REACH
    if link == "probit":
        spacing, reach = spacing / LOGISTIC_SD, PROBIT_REACH
    return 2 * int(np.ceil(reach / spacing)) + 1


def _rule(n_items: int, nodes: int | None, reach: float) -> tuple[np.ndarray, np.ndarray]:
    """The nodes z and the weights (trapezoid x N(z; 0, 1)) of the rule."""
    z = np.linspace(-reach, reach, nodes_for(n_items) if nodes is None else nodes)
    return z, (z[1] - z[0]) * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)


def pattern_loglik_numpy(answers, group, cutpoints, shift, sd, *, nodes: int | None = None,
                         reach: float = REACH) -> np.ndarray:
    """log L of each pattern (see the module docstring). answers: (pattern, item), 0-based, K = unanswered;
    group: (pattern,) index into shift; cutpoints: (item, K - 1), increasing; sd > 0; nodes: by default
    nodes_for(items)."""
    answers, group = np.asarray(answers), np.asarray(group)
    cutpoints, shift = np.asarray(cutpoints, dtype=float), np.asarray(shift, dtype=float)
    z, weight = _rule(answers.shape[1], nodes, reach)
    n_items, n_categories = cutpoints.shape[0], cutpoints.shape[1] + 1
    eta = shift[:, None] + float(sd) * z[None, :]                               # (group, node)
    # P(answer = k) = F_k (1 - F_(k-1)) (1 - exp(c_(k-1) - c_k)), F_k = F(c_k - eta) = t / (1 + t) and
    # 1 - F_k = 1 / (1 + t) with t = exp(c_k - eta): a difference of two CDFs as a product, so no
    # cancellation, from one exp per (group, item, cut, node). The clip keeps t finite far out (t = e^300
    # is a probability of 1 - 1e-130 either way). The bottom and top categories have one factor each, and
    # the code K ("unanswered") has P = 1.
    t = np.exp(np.clip(cutpoints[None, :, :, None] - eta[:, None, None, :], -300.0, 300.0))
    one = np.ones_like(t[:, :, :1])
    below, above = t / (1.0 + t), 1.0 / (1.0 + t)                              # F_k, 1 - F_k
    edge = np.ones_like(cutpoints[:, :1])
    gap = np.concatenate([edge, -np.expm1(cutpoints[:, :-1] - cutpoints[:, 1:]), edge, edge], axis=1)
    p = (np.concatenate([below, one, one], axis=2) * np.concatenate([one, above, one], axis=2)
         * gap[None, :, :, None])
    table = p.reshape((-1, len(z)))                                             # (group x item x answer, node)
    # A pattern's integrand at every node is the product of its items' rows (gathered by one flat index),
    # its integral one dot product. The floor keeps the product's gradient (product / factor) finite where a
    # probability underflows, far from any posterior.
    row = (group[:, None] * n_items + np.arange(n_items)[None, :]) * (n_categories + 1) + answers
    factors = np.maximum(table[row.flatten()], 1e-300).reshape((answers.shape[0], n_items, len(z)))
    return np.log(np.dot(np.prod(factors, axis=1), weight))


def _tensor_rule(answers, nodes: int | None, reach: float, link: str = "logit"):
    answers = pt.as_tensor_variable(answers)
    if nodes is None and answers.type.shape[1] is None:
        raise ValueError("answers has no static number of items (columns): give nodes= (nodes_for(items))")
    n_items = answers.type.shape[1]
    return answers, *_rule(n_items, nodes_for(n_items, link) if nodes is None else nodes, reach)


def pattern_loglik(answers, group, cutpoints: pt.TensorVariable, shift: pt.TensorVariable, sd: pt.TensorVariable,
                   *, nodes: int | None = None, reach: float = REACH) -> pt.TensorVariable:
    """pattern_loglik_numpy as a pytensor expression, (pattern,), computed by one compiled operation
    (`paradox.models.pattern_integral`). answers and group may be arrays or tensors (pm.Data) -- give nodes=
    when answers has no static number of columns; cutpoints (item, K - 1) must be increasing (sort them
    first)."""
    answers, z, weight = _tensor_rule(answers, nodes, reach)
    return pattern_integral.pattern_loglik(answers, group, cutpoints, shift, sd, z, weight)


def weighted_pattern_loglik(answers, group, weights, cutpoints: pt.TensorVariable, shift: pt.TensorVariable,
                            sd: pt.TensorVariable, *, nodes: int | None = None, reach: float = REACH) -> pt.TensorVariable:
    """sum over patterns of weights x pattern_loglik, as one compiled operation that gives its gradient in the
    same pass (what a model's log density needs)."""
    answers, z, weight = _tensor_rule(answers, nodes, reach)
    return pattern_integral.weighted_loglik(answers, group, weights, cutpoints, shift, sd, z, weight)


def weighted_shifted_loglik(answers, weights, cutpoints: pt.TensorVariable, shift: pt.TensorVariable,
                            sd: pt.TensorVariable, *, nodes: int | None = None,
                            reach: float = REACH) -> pt.TensorVariable:
    """weighted_pattern_loglik when every pattern has a shift of its own (shift: (pattern,), no groups), by the
    operation that computes only each answer's probability (`paradox.models.pattern_shift_integral`)."""
    answers, z, weight = _tensor_rule(answers, nodes, reach)
    return pattern_shift_integral.shifted_weighted_loglik(answers, weights, cutpoints, shift, sd, z, weight)


def _tail(x):
    """1 - Phi(x), the standard normal's upper tail."""
    return 0.5 * pt.erfc(x / np.sqrt(2.0))


def _probit_probability(x_lower, x_upper, tail_lower, tail_upper, cdf_lower, cdf_upper):
    """P = Phi(x_upper) - Phi(x_lower) (x_lower <= x_upper) as a difference of two tails on the side where neither
    is near 1, so no cancellation far out; tail_* = 1 - Phi(x_*) and cdf_* = Phi(x_*), each computed directly."""
    return pt.switch(x_lower >= 0, tail_lower - tail_upper,
                     pt.switch(x_upper <= 0, cdf_upper - cdf_lower, 1.0 - cdf_lower - tail_upper))


def probit_pattern_loglik(answers, group, cutpoints: pt.TensorVariable, shift: pt.TensorVariable, sd: pt.TensorVariable,
                          *, nodes: int | None = None, reach: float = PROBIT_REACH) -> pt.TensorVariable:
    """log L per pattern, (pattern,), for the probit link, P(answer_i = k | eta) = Phi(c[i, k] - eta) - Phi(c[i,
    k-1] - eta), by the same rule with nodes closer together and further out (`nodes_for(items, "probit")`), as a
    pytensor graph; P floored at pattern_integral.FLOOR as the logit operations floor it (`_probit_probability`).

    group: each pattern's index into shift. Then, as the logit rule does, P is tabulated once per (group, item,
    answer, node) from the tails at each cutpoint, and each pattern gathers its items' rows. Measured on the
    stand-in's 794 patterns in 12 groups (3 items, 431 nodes; 2026-11-29, a calibration study running beside it):
    7.8 ms per log density and gradient, against 99 ms computing every pattern's own P, and 0.7 ms for the logit
    rule's compiled operation. group None (a shift per pattern, as with a covariate): every pattern's own P."""
    answers, z, weight = _tensor_rule(answers, nodes, reach, "probit")
    cutpoints = pt.as_tensor_variable(cutpoints)
    items = pt.arange(cutpoints.shape[0])
    if group is None:  # per pattern: its items' two cutpoints around each answer
        column = pt.ones((cutpoints.shape[0], 1))
        # Answer a lies between lower[a] and upper[a]; the code K ("unanswered") between -inf and inf, so P = 1.
        lower = pt.concatenate([-np.inf * column, cutpoints, -np.inf * column], axis=1)
        upper = pt.concatenate([cutpoints, np.inf * column, np.inf * column], axis=1)
        eta = shift[:, None, None] + sd * z[None, None, :]  # (pattern, 1, node)
        a = lower[items[None, :], answers][:, :, None] - eta  # (pattern, item, node)
        b = upper[items[None, :], answers][:, :, None] - eta
        p = _probit_probability(a, b, _tail(a), _tail(b), _tail(-a), _tail(-b))
        log_p = pt.log(pt.maximum(p, pattern_integral.FLOOR))
    else:  # a table per (group, item, answer, node), from each cutpoint's two tails
        x = cutpoints[None, :, :, None] - (shift[:, None, None, None] + sd * z[None, None, None, :])  # (g, i, cut, n)

        def padded(table, below, above):  # the bottom category's lower cutpoint -inf, the top one's upper +inf
            edge = pt.ones_like(table[:, :, :1, :])
            return pt.concatenate([below * edge, table, above * edge], axis=2)

        x, upper_tail, cdf = padded(x, -np.inf, np.inf), padded(_tail(x), 1.0, 0.0), padded(_tail(-x), 0.0, 1.0)
        p = _probit_probability(x[:, :, :-1], x[:, :, 1:], upper_tail[:, :, :-1], upper_tail[:, :, 1:],
                                cdf[:, :, :-1], cdf[:, :, 1:])  # (group, item, answer, node)
        table = pt.log(pt.maximum(p, pattern_integral.FLOOR))
        table = pt.concatenate([table, pt.zeros_like(table[:, :, :1, :])], axis=2)  # unanswered: log 1
        log_p = table[group[:, None], items[None, :], answers]  # (pattern, item, node)
    return pt.logsumexp(log_p.sum(axis=1) + np.log(weight)[None, :], axis=1)


def probit_weighted_loglik(answers, group, weights, cutpoints: pt.TensorVariable, shift: pt.TensorVariable,
                           sd: pt.TensorVariable, *, nodes: int | None = None,
                           reach: float = PROBIT_REACH) -> pt.TensorVariable:
    """sum over patterns of weights x probit_pattern_loglik (its gradient by automatic differentiation)."""
    return pt.dot(weights, probit_pattern_loglik(answers, group, cutpoints, shift, sd, nodes=nodes, reach=reach))


def pattern_loglik_gauss_hermite(answers, group, cutpoints, shift, sd, nodes: int = 24) -> np.ndarray:
    """The rule this module replaces: Gauss-Hermite with fixed nodes in z (centre 0, scale 1). Kept to
    show, in the tests, that the accuracy test can fail."""
    answers, cutpoints = np.asarray(answers), np.asarray(cutpoints, dtype=float)
    n_cut = cutpoints.shape[1]
    items = np.arange(answers.shape[1])[None, :]
    x, w = np.polynomial.hermite.hermgauss(nodes)  # integral of g(x) exp(-x^2) dx; z = sqrt(2) x
    eta = np.asarray(shift, dtype=float)[np.asarray(group)][:, None, None] + sd * np.sqrt(2.0) * x
    padded = np.concatenate([np.full((len(cutpoints), 1), -np.inf), cutpoints,
                             np.full((len(cutpoints), 1), np.inf), np.full((len(cutpoints), 1), np.nan)], axis=1)
    lo, hi = padded[items, answers][..., None], padded[items, answers + 1][..., None]
    p = np.where(answers[..., None] < n_cut + 1, expit(hi - eta) - expit(lo - eta), 1.0)
    with np.errstate(divide="ignore"):  # a P that underflows to 0 at a far node: that node adds nothing
        return logsumexp(np.log(p).sum(axis=1) + np.log(w) - 0.5 * np.log(np.pi), axis=1)


def pattern_loglik_scipy(answers, group, cutpoints, shift, sd, link: str = "logit") -> np.ndarray:
    """The same log L by scipy's adaptive quadrature (QUADPACK), pattern by pattern, with P computed
    directly as a difference of logistic (or, `link="probit"`, normal) CDFs: the slow, independent reference of
    the tests."""
    cdf = {"logit": expit, "probit": ndtr}[link]
    answers, cutpoints = np.asarray(answers), np.asarray(cutpoints, dtype=float)
    n_categories = cutpoints.shape[1] + 1
    padded = np.concatenate([np.full((len(cutpoints), 1), -np.inf), cutpoints,
                             np.full((len(cutpoints), 1), np.inf)], axis=1)
    result = []
    for row, g in zip(answers, np.asarray(group)):
        answered = [(i, k) for i, k in enumerate(row) if k < n_categories]

        def log_integrand(z, row_answers=answered, m=float(shift[g])):
            eta = m + sd * z
            total = -0.5 * z * z - 0.5 * np.log(2 * np.pi)
            for i, k in row_answers:
                lo, hi = padded[i, k], padded[i, k + 1]
                # The difference of the two CDFs on the side where neither is near 1 (no cancellation).
                p = cdf(hi - eta) - cdf(lo - eta) if eta > (lo + hi) / 2 else cdf(eta - lo) - cdf(eta - hi)
                with np.errstate(divide="ignore"):  # a normal tail underflows to 0 far out: the integrand is 0
                    total += np.log(p)
            return total

        mode = optimize.minimize_scalar(lambda z: -log_integrand(z), bounds=(-15, 15), method="bounded",
                                        options={"xatol": 1e-10}).x
        peak = log_integrand(mode)
        value, _ = integrate.quad(lambda z: np.exp(log_integrand(z) - peak), -15, 15, points=[mode],
                                  epsabs=0.0, epsrel=1e-12, limit=500)
        result.append(peak + np.log(value))
    return np.array(result)
