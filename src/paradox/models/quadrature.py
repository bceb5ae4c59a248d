"""The likelihood of an answer pattern with the respondent's intercept integrated out.

A respondent answers items i = 1..I on a K-point scale through a cumulative logit,
P(answer_i = k | eta) = F(c[i, k] - eta) - F(c[i, k-1] - eta), F the logistic CDF, with
eta = shift[group] + sd * z and z ~ N(0, 1) the respondent's intercept. Integrated out:

    L(pattern) = integral of exp(f(z)) dz,   f(z) = sum_i log P(answer_i | shift + sd * z) + log N(z; 0, 1).

Fixed Gauss-Hermite nodes in z miss this once sd is large (3-5 logits, a scale with Cronbach's alpha
near 0.9): a pattern's integrand is then a narrow peak away from 0 that falls between the nodes.
Adaptive Gauss-Hermite (nodes centred at the mode, scaled by the curvature there) was tried and
measured first; it fails too, because at large sd the integrand is far from Gaussian: a plateau with
steep walls when several items share a wide middle category, a truncated prior behind a cliff when the
answers are at the scale's end (21 adaptive nodes: errors up to 0.44 in log L at sd 5;
benchmarks/quadrature_accuracy.py). What works for every shape, since f is concave:

1. the mode of f, by Newton's method safeguarded by bisection (f' is decreasing, so a bracket
   [lower, upper] with f' > 0 at lower and f' < 0 at upper always holds the mode; plain Newton cycles on
   these saturating functions);
2. the two points where f has fallen by WINDOW_DEPTH below its maximum, by the same safeguarded Newton;
3. the trapezoid rule with NODES equally spaced nodes across that window. For a smooth integrand that
   has decayed to exp(-WINDOW_DEPTH) at both ends, the trapezoid rule converges exponentially in the
   number of nodes, whatever the shape in between.

The integral does not depend on where the window lies once it holds the mass, so the window enters the
graph through `disconnected_grad` (no gradient flows through the Newton steps): the gradient is that of
the trapezoid rule with its nodes held where they are (tests/test_quadrature.py checks it against
finite differences).

`pattern_loglik` is the pytensor expression (used by `paradox.models.srp`); `pattern_loglik_numpy` is the
same code run on NumPy, and `pattern_loglik_scipy` the independent reference (scipy's adaptive quadrature,
pattern by pattern) that the tests check both against. Answers are 0-based; the code K (= n_categories)
means "unanswered", an item that adds nothing.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import disconnected_grad
from scipy import integrate, optimize
from scipy.special import expit, logsumexp

#: Chosen on benchmarks/quadrature_accuracy.py: the largest error in log L per pattern against
#: scipy.integrate.quad over SD 0.5-5 x 1-10 items x extreme, mixed and partly unanswered patterns (the grid
#: of tests/test_quadrature.py), with depth 10 and 2 edge steps: 16 nodes 4e-4 to 8e-4, 20 nodes 5e-5
#: (12 mode steps) to 1.2e-4 (8 steps), 24 nodes 7e-6. 20 nodes keep a tenfold margin under the 1e-3 the
#: issue asks for. Newton steps run forwards only (no gradient), so a few more cost little.
NODES = 20
#: log of how far below its peak the integrand is cut off at each end of the window.
WINDOW_DEPTH = 10.0
#: Newton steps to the mode (safeguarded) and from outside to each end of the window.
MODE_STEPS = 12
EDGE_STEPS = 2


class _NumPy:
    where = staticmethod(np.where)
    arange = staticmethod(np.arange)
    sigmoid = staticmethod(expit)
    sqrt = staticmethod(np.sqrt)
    log = staticmethod(np.log)
    log1p = staticmethod(np.log1p)
    exp = staticmethod(np.exp)
    minimum = staticmethod(np.minimum)
    maximum = staticmethod(np.maximum)
    logsumexp = staticmethod(logsumexp)

    @staticmethod
    def softplus(x):
        return np.logaddexp(0.0, x)

    @staticmethod
    def fixed(x):
        return x

    @staticmethod
    def as_float(x):
        return np.asarray(x, dtype=float)

    @staticmethod
    def clip_index(x, upper):
        return np.clip(x, 0, upper)


class _PyTensor:
    where = staticmethod(pt.switch)
    arange = staticmethod(pt.arange)
    sigmoid = staticmethod(pt.sigmoid)
    softplus = staticmethod(pt.softplus)
    sqrt = staticmethod(pt.sqrt)
    log = staticmethod(pt.log)
    log1p = staticmethod(pt.log1p)
    exp = staticmethod(pt.exp)
    minimum = staticmethod(pt.minimum)
    maximum = staticmethod(pt.maximum)
    fixed = staticmethod(disconnected_grad)

    @staticmethod
    def logsumexp(x, axis):
        return pt.logsumexp(x, axis=axis)

    @staticmethod
    def as_float(x):
        return pt.cast(x, "float64")

    @staticmethod
    def clip_index(x, upper):
        return pt.clip(x, 0, upper)


def _safeguarded_newton(xp, function, lower, upper, start, steps):
    """Root of a decreasing function ((value, slope) = function(z)) inside [lower, upper], where
    value(lower) > 0 > value(upper): Newton's step when it stays inside the bracket and at least halves
    the previous step, else bisection (rtsafe, Numerical Recipes 9.4). Plain Newton two-cycles here."""
    z, last = start, upper - lower
    for _ in range(steps):
        value, slope = function(z)
        lower, upper = xp.where(value > 0, z, lower), xp.where(value > 0, upper, z)
        step = -value / slope
        newton = (z + step > lower) * (z + step < upper) * (abs(step) < 0.5 * abs(last))
        new = xp.where(newton, z + step, 0.5 * (lower + upper))
        z, last = new, new - z
    return z


def _loglik(xp, answers, group, cutpoints, shift, sd, nodes, mode_steps, edge_steps, depth):
    """The quadrature, written once for NumPy and pytensor (xp: _NumPy or _PyTensor)."""
    n_cut = cutpoints.shape[1]
    items = xp.arange(answers.shape[1])[None, :]
    has_lo = (answers >= 1) * (answers <= n_cut)
    has_hi = answers < n_cut
    lo = xp.where(has_lo, cutpoints[items, xp.clip_index(answers - 1, n_cut - 1)], 0.0)
    hi = xp.where(has_hi, cutpoints[items, xp.clip_index(answers, n_cut - 1)], 0.0)
    # log(1 - exp(lo - hi)) of a middle category; the minimum keeps the unused branch finite.
    gap = xp.where(has_lo * has_hi, xp.log1p(-xp.exp(xp.minimum(lo - hi, -1e-12))), 0.0)
    has_lo, has_hi = xp.as_float(has_lo), xp.as_float(has_hi)
    base = shift[group]

    # The window, computed without gradient (see the module docstring).
    w_sd, w_base, w_lo, w_hi = xp.fixed(sd), xp.fixed(base), xp.fixed(lo), xp.fixed(hi)

    def log_integrand(z):  # f(z) without its constants (the gap and -log sqrt(2 pi))
        eta = (w_base + w_sd * z)[:, None]
        return -(has_hi * xp.softplus(eta - w_hi) + has_lo * xp.softplus(w_lo - eta)).sum(axis=1) - 0.5 * z * z

    def slope_and_curvature(z):
        eta = (w_base + w_sd * z)[:, None]
        p_lo, p_hi = xp.sigmoid(w_lo - eta), xp.sigmoid(eta - w_hi)
        slope = w_sd * (has_lo * p_lo - has_hi * p_hi).sum(axis=1) - z
        curvature = -(w_sd * w_sd) * (has_lo * p_lo * (1 - p_lo) + has_hi * p_hi * (1 - p_hi)).sum(axis=1) - 1.0
        return slope, curvature

    # The mode: f(mode) >= f(0) and f(z) <= -z^2 / 2 (every log P <= 0), so |mode| <= sqrt(-2 f(0)).
    bound = xp.sqrt(-2.0 * log_integrand(0.0 * w_base)) + 0.01
    mode = _safeguarded_newton(xp, slope_and_curvature, -bound, bound, 0.0 * bound, mode_steps)
    peak = log_integrand(mode)
    # The window's ends, where f = peak - depth, lie within +-reach: f(z) <= -z^2 / 2.
    reach = xp.sqrt(2.0 * xp.maximum(depth - peak, depth)) + 1.0
    width = xp.sqrt(2.0 * depth / -slope_and_curvature(mode)[1])  # the Gaussian guess, a start

    def outer_edge(side):
        """Where f = peak - depth on one side (+1 right, -1 left), from outside the window inwards:
        f is concave, so each Newton step from outside lands outside again (the tangent lies above f),
        and the window only ever errs wide."""
        guess = mode + side * width
        slope = slope_and_curvature(guess)[0]
        outside = (log_integrand(guess) < peak - depth) * (side * slope < 0)
        z = xp.where(outside, guess, side * reach)
        for _ in range(edge_steps):
            z = z - (log_integrand(z) - peak + depth) / slope_and_curvature(z)[0]
        return z

    left, right = outer_edge(-1.0), outer_edge(1.0)
    left, right = xp.fixed(left), xp.fixed(right)

    step = (right - left) / (nodes - 1)
    z = left[:, None] + step[:, None] * np.arange(nodes)[None, :]                  # (pattern, node)
    eta = base[:, None, None] + sd * z[:, None, :]                                 # (pattern, item, node)
    log_p = -(has_hi[..., None] * xp.softplus(eta - hi[..., None])
              + has_lo[..., None] * xp.softplus(lo[..., None] - eta)).sum(axis=1)
    terms = log_p - 0.5 * z * z
    return xp.logsumexp(terms, axis=1) + xp.log(step) - 0.5 * np.log(2 * np.pi) + gap.sum(axis=1)


def pattern_loglik_numpy(
    answers, group, cutpoints, shift, sd, *, nodes: int = NODES, mode_steps: int = MODE_STEPS,
    edge_steps: int = EDGE_STEPS, depth: float = WINDOW_DEPTH,
) -> np.ndarray:
    """log L of each pattern (see the module docstring). answers: (pattern, item), 0-based, K = unanswered;
    group: (pattern,) index into shift; cutpoints: (item, K - 1), increasing; sd > 0."""
    return _loglik(_NumPy, np.asarray(answers), np.asarray(group), np.asarray(cutpoints, dtype=float),
                   np.asarray(shift, dtype=float), float(sd), nodes, mode_steps, edge_steps, depth)


def pattern_loglik(
    answers, group, cutpoints: pt.TensorVariable, shift: pt.TensorVariable, sd: pt.TensorVariable, *,
    nodes: int = NODES, mode_steps: int = MODE_STEPS, edge_steps: int = EDGE_STEPS, depth: float = WINDOW_DEPTH,
) -> pt.TensorVariable:
    """pattern_loglik_numpy as a pytensor expression, (pattern,). answers and group may be arrays or
    tensors (pm.Data); cutpoints (item, K - 1) must be increasing (sort them first)."""
    return _loglik(_PyTensor, pt.as_tensor_variable(answers), pt.as_tensor_variable(group),
                   pt.as_tensor_variable(cutpoints), pt.as_tensor_variable(shift), pt.as_tensor_variable(sd),
                   nodes, mode_steps, edge_steps, depth)


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


def pattern_loglik_scipy(answers, group, cutpoints, shift, sd) -> np.ndarray:
    """The same log L by scipy's adaptive quadrature (QUADPACK), pattern by pattern, with P computed
    directly as a difference of logistic CDFs: the slow, independent reference of the tests."""
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
                p = expit(hi - eta) - expit(lo - eta) if eta > (lo + hi) / 2 else expit(eta - lo) - expit(eta - hi)
                total += np.log(p)
            return total

        mode = optimize.minimize_scalar(lambda z: -log_integrand(z), bounds=(-15, 15), method="bounded",
                                        options={"xatol": 1e-10}).x
        peak = log_integrand(mode)
        value, _ = integrate.quad(lambda z: np.exp(log_integrand(z) - peak), -15, 15, points=[mode],
                                  epsabs=0.0, epsrel=1e-12, limit=500)
        result.append(peak + np.log(value))
    return np.array(result)
