"""Every criterion side by side, per contrast, and a plain-language summary that keeps them apart.

`judge(contrasts)` gives one row per contrast with each criterion's quantity, its uncertainty and its
decision; `moderator_verdicts` gives the paradox test's verdict on the informed posteriors of each
moderator; `summary(...)` says in words what each criterion concludes and where they disagree.
"""

from __future__ import annotations

import pandas as pd

from paradox.replication import bayes, criteria
from paradox.replication.inputs import Contrast

#: Jeffreys' (1961) grades of a Bayes factor, as Verhagen & Wagenmakers (2014) read BF_r0.
BF_GRADES = ((100, "extreme"), (30, "very strong"), (10, "strong"), (3, "moderate"), (1, "anecdotal"))


def judge_contrast(contrast: Contrast) -> dict:
    original, replication = contrast.original, contrast.replication
    row = {"contrast": contrast.name, "moderator": contrast.moderator, "level": contrast.level,
           "original": original.value, "original_se": original.se,
           "replication": replication.value, "replication_se": replication.se}
    row |= criteria.significance(original, replication)
    row |= criteria.original_in_replication_ci(original, replication)
    row |= criteria.replication_in_prediction_interval(original, replication)
    row |= criteria.small_telescopes(original, replication)
    combined = criteria.fixed_effect([original.value, replication.value], [original.se, replication.se])
    row |= {f"combined_{k}": v for k, v in combined.items()}
    row |= criteria.sceptical(original, replication)
    row |= bayes.replication_bayes_factor(original, replication)
    row |= bayes.informed_posterior(original, replication)
    return row


def judge(contrasts: list[Contrast]) -> pd.DataFrame:
    return pd.DataFrame([judge_contrast(c) for c in contrasts])


def moderator_verdicts(table: pd.DataFrame) -> pd.DataFrame:
    """The paradox test's verdict (`paradox.verdict`) for each moderator, on the informed posteriors."""
    rows = []
    paired = table[table["moderator"].notna()]
    for moderator, group in paired.groupby("moderator", sort=False):
        by_level = group.set_index("level")
        fav, unfav = by_level.loc["favourable"], by_level.loc["unfavourable"]
        rows.append({"moderator": moderator, "favourable": fav["contrast"], "unfavourable": unfav["contrast"],
                     "rope_d": bayes.ROPE_D, **bayes.moderator_verdict(fav, unfav)})
    return pd.DataFrame(rows)


def bf_words(bf: float) -> str:
    """'moderate evidence for the original's effect' or '... for no effect', by Jeffreys' grades."""
    favours, size = ("the original's effect", bf) if bf >= 1 else ("no effect", 1 / bf)
    grade = next((g for limit, g in BF_GRADES if size >= limit), "anecdotal")
    return f"{grade} evidence for {favours}"


def _yes(flag: bool, yes: str, no: str) -> str:
    return yes if flag else no


def summary(table: pd.DataFrame, verdicts: pd.DataFrame) -> str:
    """Plain-language summary: each criterion's answer per contrast, never one overall yes or no."""
    lines = ["# Judging the replication", "",
             "Effects are standardised mean differences (Hedges' g): positive = satisfaction after a recovery "
             "above no failure. Each criterion answers a different question, so they can disagree; none of them "
             "alone decides whether the finding replicated.", ""]
    for row in table.itertuples():
        lines += [f"## {row.contrast}", "",
                  f"Original g = {row.original:.2f} (SE {row.original_se:.2f}); replication g = "
                  f"{row.replication:.2f} (SE {row.replication_se:.2f}, 95% CI {row.ci_lower:.2f} to "
                  f"{row.ci_upper:.2f}).", ""]
        lines.append("- Significance: the replication is " + _yes(
            row.significant_same_direction, "significant in the original's direction",
            "not significant in the original's direction") + f" (p = {row.p_replication:.3g}).")
        lines.append("- The original estimate lies " + _yes(row.original_inside, "inside", "outside")
                     + " the replication's 95% confidence interval.")
        lines.append("- The replication lies " + _yes(row.replication_inside, "inside", "outside")
                     + f" the original's 95% prediction interval ({row.pi_lower:.2f} to {row.pi_upper:.2f}).")
        lines.append(f"- Small telescopes: d33% = {row.d33:.2f}; the replication is "
                     + _yes(row.too_small_to_have_been_seen, "significantly smaller (the original could hardly "
                            "have detected an effect this small)", "not significantly smaller")
                     + f" (p = {row.p_smaller_than_d33:.3g}).")
        lines.append(f"- Both studies combined (fixed effect): g = {row.combined_estimate:.2f} (95% CI "
                     f"{row.combined_lower:.2f} to {row.combined_upper:.2f}, p = {row.combined_p:.3g}).")
        lines.append(f"- Sceptical p-value (golden) = {row.p_sceptical_golden:.3g}: replication success at "
                     f"one-sided 0.025 {_yes(row.sceptical_success, 'shown', 'not shown')}.")
        lines.append(f"- Replication Bayes factor BF_r0 = {row.bf_r0:.3g} ({row.bf_method}): "
                     f"{bf_words(row.bf_r0)}.")
        lines.append(f"- With the original as prior, the effect is {row.posterior_mean:.2f} (95% interval "
                     f"{row.posterior_lower:.2f} to {row.posterior_upper:.2f}); P(above the region of practical "
                     f"equivalence, {bayes.ROPE_D} SD) = {row.p_above_rope:.2f}, P(inside) = {row.p_in_rope:.2f}.")
        lines.append("")
    if len(verdicts):
        lines += ["## The paradox test on the combined evidence", ""]
        for row in verdicts.itertuples():
            lines.append(f"- {row.moderator}: **{row.verdict}** (P(claim) = {row.p_claim:.2f}, P(paradox at "
                         f"the favourable level) = {row.p_paradox_favourable:.2f}, P(no paradox) = "
                         f"{row.p_no_paradox:.2f}; region of practical equivalence {row.rope_d} SD).")
        lines.append("")
    return "\n".join(lines)
