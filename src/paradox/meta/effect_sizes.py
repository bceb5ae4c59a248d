"""Effect sizes from what papers report, as a standardised mean difference (Hedges' g).

One sign convention everywhere: group 1 is the *treated* group (customers who had a
failure followed by a recovery), group 2 the *control* group (no failure), and a
positive effect means the treated group scored higher, i.e. a service recovery paradox.

Formulas follow Borenstein, Hedges, Higgins & Rothstein (2009), *Introduction to
Meta-Analysis*, chapters 4-7. Every function takes numbers or numpy arrays and
returns `(effect, variance)`.
"""

from __future__ import annotations

import numpy as np

#: Added to every cell of a 2x2 table that has an empty cell (the usual continuity correction).
CONTINUITY = 0.5
#: sqrt(3) / pi: the logistic-to-normal scale factor of the Hasselblad & Hedges (1995) conversion.
LOGIT_TO_D = np.sqrt(3.0) / np.pi


def hedges_j(df):
    """Small-sample correction J = 1 - 3 / (4 df - 1) (Borenstein et al. 2009, ch. 4)."""
    df = np.asarray(df, dtype=float)
    return 1.0 - 3.0 / (4.0 * df - 1.0)


def d_variance(d, n1, n2):
    """Sampling variance of Cohen's d for two independent groups (ch. 4)."""
    d, n1, n2 = (np.asarray(x, dtype=float) for x in (d, n1, n2))
    return (n1 + n2) / (n1 * n2) + d**2 / (2.0 * (n1 + n2))


def d_from_means(mean1, sd1, n1, mean2, sd2, n2):
    """Cohen's d from group means, SDs and sizes, with the pooled within-group SD (ch. 4)."""
    mean1, sd1, n1, mean2, sd2, n2 = (np.asarray(x, dtype=float) for x in (mean1, sd1, n1, mean2, sd2, n2))
    pooled_sd = np.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / (n1 + n2 - 2))
    d = (mean1 - mean2) / pooled_sd
    return d, d_variance(d, n1, n2)


def mean_difference(mean1, sd1, n1, mean2, sd2, n2):
    """The raw mean difference in the outcome's own units (points, days), with the variance
    sd1^2/n1 + sd2^2/n2 that does not assume equal variances (metafor's measure "MD")."""
    mean1, sd1, n1, mean2, sd2, n2 = (np.asarray(x, dtype=float) for x in (mean1, sd1, n1, mean2, sd2, n2))
    return mean1 - mean2, sd1**2 / n1 + sd2**2 / n2


def d_from_t(t, n1, n2):
    """Cohen's d from an independent-samples t, signed treated minus control (d = t sqrt(1/n1 + 1/n2))."""
    t, n1, n2 = (np.asarray(x, dtype=float) for x in (t, n1, n2))
    d = t * np.sqrt(1.0 / n1 + 1.0 / n2)
    return d, d_variance(d, n1, n2)


def d_from_f(f, n1, n2, direction):
    """Cohen's d from F(1, df) of a two-group comparison: |t| = sqrt(F); F has no sign,
    so `direction` (+1: treated higher, -1: control higher) gives it."""
    f, direction = np.asarray(f, dtype=float), np.asarray(direction, dtype=float)
    return d_from_t(np.sign(direction) * np.sqrt(f), n1, n2)


def equal_groups_from_df(df):
    """Group sizes when a paper gives only the error df of a two-group test: N = df + 2, split equally."""
    n = (np.asarray(df, dtype=float) + 2.0) / 2.0
    return n, n


def d_from_r(r, n):
    """Cohen's d from a point-biserial correlation r on n people (ch. 7; assumes roughly equal groups)."""
    r, n = np.asarray(r, dtype=float), np.asarray(n, dtype=float)
    var_r = (1.0 - r**2) ** 2 / (n - 1.0)
    d = 2.0 * r / np.sqrt(1.0 - r**2)
    return d, 4.0 * var_r / (1.0 - r**2) ** 3


def _two_by_two(events1, n1, events2, n2):
    """Cells a, b, c, d; a continuity correction on every cell of a table with an empty cell."""
    a, n1, c, n2 = (np.asarray(x, dtype=float) for x in (events1, n1, events2, n2))
    b, d = n1 - a, n2 - c
    empty = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    add = np.where(empty, CONTINUITY, 0.0)
    return a + add, b + add, c + add, d + add


def log_odds_ratio(events1, n1, events2, n2):
    """Log odds ratio of an event, treated vs control, and its variance 1/a + 1/b + 1/c + 1/d (ch. 5)."""
    a, b, c, d = _two_by_two(events1, n1, events2, n2)
    return np.log(a * d / (b * c)), 1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d


def log_risk_ratio(events1, n1, events2, n2):
    """Log risk ratio, treated vs control, and its variance 1/a - 1/n1 + 1/c - 1/n2 (ch. 5)."""
    a, b, c, d = _two_by_two(events1, n1, events2, n2)
    n1, n2 = a + b, c + d
    return np.log((a / n1) / (c / n2)), 1.0 / a - 1.0 / n1 + 1.0 / c - 1.0 / n2


def d_from_log_odds_ratio(log_or, var_log_or):
    """Cohen's d from a log odds ratio, d = ln(OR) sqrt(3) / pi (ch. 7; Hasselblad & Hedges 1995)."""
    log_or, var_log_or = np.asarray(log_or, dtype=float), np.asarray(var_log_or, dtype=float)
    return log_or * LOGIT_TO_D, var_log_or * LOGIT_TO_D**2


def d_from_counts(events1, n1, events2, n2):
    """Cohen's d from how many people in each group reported the outcome (e.g. 'satisfied')."""
    return d_from_log_odds_ratio(*log_odds_ratio(events1, n1, events2, n2))


def d_from_proportions(p1, n1, p2, n2):
    """Cohen's d from the proportions reporting the outcome in each group (counts = p * n)."""
    p1, n1, p2, n2 = (np.asarray(x, dtype=float) for x in (p1, n1, p2, n2))
    return d_from_counts(p1 * n1, n1, p2 * n2, n2)


def hedges_g(d, var_d, df):
    """Hedges' g = J d and its variance J^2 V_d (ch. 4); df is N - 2 for two groups."""
    j = hedges_j(df)
    return j * np.asarray(d, dtype=float), j**2 * np.asarray(var_d, dtype=float)
