"""Every criterion side by side, per contrast, and a plain-language summary that keeps them apart.

`judge(contrasts)` gives one row per contrast with each criterion's quantity, its uncertainty and its
decision; `moderator_verdicts` gives the paradox test's verdict on the informed posteriors of each
moderator; `summary(...)` says in words what each criterion concludes and where they disagree.
"""

from __future__ import annotations

import pandas as pd

from paradox.replication import bayes, criteria
from paradox.replication.inputs import Contrast
from paradox.verdict import PROBABILITY_COLUMNS

VERDICT_COLUMNS = ["moderator", "favourable", "unfavourable", "rope_d", *PROBABILITY_COLUMNS, "verdict"]
#: Jeffreys' (1961) grades of a Bayes factor, as Verhagen & Wagenmakers (2014) read BF_r0.
BF_GRADES = ((100, "extreme"), (30, "very strong"), (10, "strong"), (3, "moderate"), (1, "anecdotal"))


#: Fewer effective draws than this after weighting by the original: its 95% interval is not to be trusted
#: (the package's convergence rule asks for 100 per chain, 4 chains).
MIN_EFFECTIVE_DRAWS = 400


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
    if contrast.draws is None:
        row |= bayes.informed_posterior(original, replication) | {"effective_draws": float("nan")}
    else:
        row |= bayes.informed_posterior_from_draws(original, contrast.draws)
    return row


def judge(contrasts: list[Contrast]) -> pd.DataFrame:
    return pd.DataFrame([judge_contrast(c) for c in contrasts])


def moderator_verdicts(table: pd.DataFrame, contrasts: list[Contrast]) -> pd.DataFrame:
    """The paradox test's verdict (`paradox.verdict`) for each moderator with both levels, on the posteriors
    with the original as prior."""
    rows = []
    by_name = {c.name: c for c in contrasts}
    paired = table[table["moderator"].notna()]
    for moderator, group in paired.groupby("moderator", sort=False):
        by_level = group.set_index("level")
        if not {"favourable", "unfavourable"} <= set(by_level.index):
            continue
        fav, unfav = by_level.loc["favourable"], by_level.loc["unfavourable"]
        first, second = by_name[fav["contrast"]], by_name[unfav["contrast"]]
        if first.draws is not None:
            judged = bayes.moderator_verdict_from_draws(first, second)
        else:
            judged = bayes.moderator_verdict(fav, unfav)
        rows.append({"moderator": moderator, "favourable": fav["contrast"], "unfavourable": unfav["contrast"],
                     "rope_d": bayes.ROPE_D, **judged})
    return pd.DataFrame(rows, columns=VERDICT_COLUMNS)


def bf_words(bf: float) -> str:
    """'moderate evidence for the original's effect' or '... for no effect', by Jeffreys' grades."""
    favours, size = ("the original's effect", bf) if bf >= 1 else ("no effect", 1 / bf)
    grade = next((g for limit, g in BF_GRADES if size >= limit), "anecdotal")
    return f"{grade} evidence for {favours}"


def _yes(flag: bool, yes: str, no: str) -> str:
    return yes if flag else no


def summary(table: pd.DataFrame, verdicts: pd.DataFrame, source: str | None = None) -> str:
    """Plain-language summary: each criterion's answer per contrast, never one overall yes or no.
    `source` says where the replication came from, when it is a raw survey."""
    lines = ["# Judging the replication", "",
             *([f"The replication was fitted from the raw survey {source} with the package's hierarchical "
                "ordinal SRP model; its recovery effects (log odds) were standardised by the SD of one answer's "
                "latent satisfaction, sqrt(respondent_sd^2 + pi^2/3), an approximation to the original's scale.",
                ""] if source else []),
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
        weighted = "" if pd.isna(row.effective_draws) else (
            f" (the survey's posterior draws weighted by the original: {row.effective_draws:.0f} effective draws"
            + (", too few to trust the tails" if row.effective_draws < MIN_EFFECTIVE_DRAWS else "") + ")")
        lines.append(f"- With the original as prior, the effect is {row.posterior_mean:.2f} (95% interval "
                     f"{row.posterior_lower:.2f} to {row.posterior_upper:.2f}){weighted}; P(above the region of "
                     f"practical equivalence, {bayes.ROPE_D} SD) = {row.p_above_rope:.2f}, P(inside) = "
                     f"{row.p_in_rope:.2f}.")
        lines.append("")
    if len(verdicts):
        lines += ["## The paradox test on the combined evidence", ""]
        for row in verdicts.itertuples():
            lines.append(f"- {row.moderator}: **{row.verdict}** (P(claim) = {row.p_claim:.2f}, P(paradox at "
                         f"the favourable level) = {row.p_paradox_favourable:.2f}, P(no paradox) = "
                         f"{row.p_no_paradox:.2f}; region of practical equivalence {row.rope_d} SD).")
        lines.append("")
    return "\n".join(lines)
