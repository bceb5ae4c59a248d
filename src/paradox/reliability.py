"""Reliability of a multi-item scale: how closely a respondent's answers to its items agree."""

from __future__ import annotations

import pandas as pd


def cronbach_alpha(answers: pd.DataFrame) -> float:
    """Cronbach's alpha of the items in `answers` (one column per item, one row per respondent):
    k / (k - 1) x (1 - sum of the item variances / variance of the respondents' sums), variances with ddof=1.

    Every answer must be present: with a missing one the sum would count fewer items for that respondent.
    """
    k = answers.shape[1]
    if k < 2:
        raise ValueError(f"Cronbach's alpha needs at least two items, got {k} ({', '.join(map(str, answers.columns))})")
    if len(answers) < 2:
        raise ValueError(f"Cronbach's alpha needs at least two respondents, got {len(answers)}")
    missing = answers.isna()
    if missing.any().any():
        column = missing.any().idxmax()
        row = missing[column].idxmax()
        raise ValueError(f"Cronbach's alpha needs every answer: column {column!r} is missing at row {row!r} "
                         "(drop or impute incomplete respondents first)")
    total_variance = answers.sum(axis=1).var(ddof=1)
    if total_variance == 0:
        raise ValueError("Cronbach's alpha is undefined: every respondent has the same sum of answers")
    return float(k / (k - 1) * (1 - answers.var(ddof=1).sum() / total_variance))
