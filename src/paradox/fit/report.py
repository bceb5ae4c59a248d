"""The human-readable report of a `paradox fit` (report.md): data, model, sampling, convergence, parameters."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from paradox.data import describe
from paradox.meta.model import PRIOR_DOMINANCE_LIMIT

if TYPE_CHECKING:
    from paradox.fit.result import FitResult


def report(result: FitResult) -> str:
    """A short human-readable report: data, model, sampling, convergence diagnostics."""
    d, s, r = describe(result.survey), result.settings, result.regression
    per_item = ", ".join(f"{k}: {v}" for k, v in d["missing_by_item"].items() if v) or "none"
    lines = [
        f"# paradox fit: {Path(d['file']).name}",
        "",
        f"- Data: {d['respondents']:g} respondents ({d['rows']} rows{', a Qualtrics export' if d['export'] else ''}), "
        f"{d['answers']:g} answers on the scale {d['scale'][0]}..{d['scale'][1]}.",
        f"- Missing answers (blank, or listed in missing_values): {d['missing_answers']}, dropped (per item: {per_item}).",
        f"- Model: {result.config.model}" + (f" ({result.config.link})" if result.config.model == "ordinal" else "")
        + ("; each item its own cutpoints" if r.spec.cutpoints == "per_item" else "")
        + f"; the likelihood sees {r.n_likelihood_rows} {_likelihood_rows(r)}.",
        f"- Sampling: {s.chains} chains x {s.draws} draws ({s.tune} tuning), seed {s.seed}, "
        f"NUTS ({s.nuts_sampler}), sampled in {result.sampling_seconds:.1f} s.",
        *[f"- {note}" for note in result.notes],
        "",
        "## Convergence",
        "",
        "| check | value | threshold | passed | worst variable |",
        "| --- | --- | --- | --- | --- |",
    ]
    for check, row in result.convergence.iterrows():
        lines.append(f"| {check} | {row['value']:.4g} | {row['threshold']} | {'yes' if row['passed'] else 'NO'} "
                     f"| {row['worst_variable'] or '-'} |")
    verdict = "all checks passed" if result.converged else "FAILED: do not trust these numbers yet (see README: convergence)"
    lines += ["", f"Convergence: {verdict}.", "", "## Parameters", "", _markdown_table(result.summary), ""]
    if result.prior_check is not None:
        lines += prior_section(result)
    if result.srp is not None:
        srp_ok = all(bool(report["passed"].all()) for _, report in result.srp_convergence())
        design = result.srp_design
        decision = design.decision
        if design.named_cells:
            methods = ("the cell model (paradox.models.srp.cell_model: ordinal, each hypothesis a contrast of its "
                       "cells against its control)" + ("" if design.layout == "within_subject" else
                                                       ", the Gaussian cell model of scale means (gaussian_cell_model, "
                                                       "each cell once) and Welch's tests on each hypothesis's three "
                                                       "cells"))
        else:
            methods = "the hierarchical SRP models (paradox.models.srp: ordinal, and Gaussian on scale means) and Welch's tests"
        lines += ["## Service recovery paradox", "",
                  f"Design {design.path.name}, layout: {design.layout}. "
                  f"Methods: {methods}, on the same data; convergence {'passed' if srp_ok else 'FAILED'}. "
                  f"Decision rule (paradox.verdict): probability {decision.probability:g}, region of practical "
                  f"equivalence +/-{decision.rope_logit:g} logits (ordinal) and +/-{decision.rope_points:g} points "
                  "(Gaussian, Welch; Welch's columns hold 1 - p).", "",
                  _markdown_table(result.verdicts), ""]
    return "\n".join(lines)


#: Where the SRP models' priors are set (the prior section's first sentence).
SRP_PRIOR_KEYS = ", `srp_priors` for the SRP ordinal model, `srp_gaussian_priors` for the SRP Gaussian model"


def _likelihood_rows(regression) -> str:
    """What the likelihood sums over (paradox.models.regression.RegressionModel.n_likelihood_rows)."""
    if regression.n_patterns is not None:
        return "answer patterns (respondents who answered alike count once)"
    return "distinct predictor patterns" if regression.collapsed else "answers"


def prior_section(result: FitResult) -> list[str]:
    """Every prior behind a reported parameter, and how far the data narrowed it (paradox.fit.priors)."""
    check = result.prior_check
    table = check[["model", "parameter", "prior", "prior_sd", "posterior_sd", "ratio"]].assign(
        decided_by_prior=check["prior_decides"].map({True: "YES", False: "no"}))
    decided = int(check["prior_decides"].sum())
    lines = ["## Priors and prior check", "",
             f"Each prior is set in the config (`priors` for the regression{SRP_PRIOR_KEYS if result.srp is not None else ''}; "
             f"README, 'Priors'). ratio = posterior sd / prior sd; above {PRIOR_DOMINANCE_LIMIT:g} the data have not "
             "even halved the prior's uncertainty, so the prior, not the data, decides that parameter.", "",
             _markdown_table(table), ""]
    lines += [f"**WARNING**: the prior decides {decided} parameter(s); see `decided_by_prior`." if decided
              else "No reported parameter is decided by its prior.", ""]
    return lines


def _markdown_table(table: pd.DataFrame) -> str:
    def cell(column, v):
        if column.startswith("ess") and isinstance(v, (float, np.floating)):
            return f"{v:.0f}"
        text = f"{v:.3f}" if isinstance(v, (float, np.floating)) else str(v)
        return text.replace("|", "\\|")  # a cutpoint name such as Low|Medium would split the cell

    header = "| " + " | ".join(map(str, table.columns)) + " |"
    rule = "| " + " | ".join("---" for _ in table.columns) + " |"
    rows = ["| " + " | ".join(cell(c, v) for c, v in zip(table.columns, row)) + " |"
            for row in table.itertuples(index=False)]
    return "\n".join([header, rule, *rows])
