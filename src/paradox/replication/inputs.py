"""The replication table: the original and the replication, per contrast, as published statistics.

One row per study and contrast. `contrast` names the comparison (e.g. `severity: low`), `study` says
whether the row is the `original` or the `replication`; the numbers are given in any form `paradox meta`
accepts (means/SDs/Ns, t or F with group sizes or df, r, counts, or a ready effect yi/vi) and are
converted by `paradox.meta` to Hedges' g with one sign convention: positive = recovery above no failure.
Optional `moderator` and `level` (favourable/unfavourable) pair two contrasts of one moderator, so that
the paradox test's verdict can be given for them. data/examples/README.md is the codebook.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from paradox.data import check_header, closest, read_table
from paradox.errors import InputError
from paradox.meta import effect_sizes as es
from paradox.meta.table import COLUMNS as META_COLUMNS
from paradox.meta.table import check_study_table
from paradox.replication.criteria import Estimate

ORIGINAL, REPLICATION = "original", "replication"
STUDIES = (ORIGINAL, REPLICATION)
LEVELS = ("favourable", "unfavourable")
#: Columns of this table that are not effect-size inputs.
OWN_COLUMNS = {
    "contrast": "name of the comparison, the same in the original's and the replication's row",
    "study": "original or replication",
    "moderator": "optional: the moderator whose two levels' contrasts form one verdict",
    "level": "optional, with moderator: favourable or unfavourable",
    "notes": "free text (not used)",
}
#: Effect-size inputs, as in the meta-analysis codebook (data/meta/README.md).
EFFECT_COLUMNS = ("input", "mean_treated", "sd_treated", "n_treated", "mean_control", "sd_control", "n_control",
                  "t", "f", "direction", "df", "r", "n_total", "events_treated", "events_control", "p_treated",
                  "p_control", "yi", "vi")
COLUMNS = {**OWN_COLUMNS, **{c: META_COLUMNS[c] for c in EFFECT_COLUMNS}}


@dataclass(frozen=True)
class Contrast:
    """One comparison: the original and the replication (from a raw survey: also its posterior draws)."""

    name: str
    original: Estimate
    replication: Estimate | None
    moderator: str | None = None
    level: str | None = None
    #: Posterior draws of the replication's standardised effect, when it was fitted from a raw survey.
    draws: np.ndarray | None = None


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    """The column's cells as stripped text, blank cells (and a missing column) as None."""
    values = frame[column] if column in frame else pd.Series(None, index=frame.index, dtype=object)
    return values.map(lambda v: None if pd.isna(v) or str(v).strip() == "" else str(v).strip()).astype(object)


def _two_group_t(row: pd.Series, source: str) -> tuple[float | None, float | None, float | None]:
    """(n1, n2, Student's t) of a row that is a two-group comparison, else Nones."""
    number = lambda c: pd.to_numeric(row.get(c), errors="coerce")  # noqa: E731 (already checked by meta)
    n1, n2 = number("n_treated"), number("n_control")
    if np.isnan(n1) or np.isnan(n2):
        df = number("df")
        if np.isnan(df):
            return None, None, None
        n1, n2 = es.equal_groups_from_df(df)
    kind = row["input"]
    if kind == "t":
        t = number("t")
    elif kind == "f":
        t = np.sign(number("direction")) * np.sqrt(number("f"))
    elif kind == "means":
        d, _ = es.d_from_means(number("mean_treated"), number("sd_treated"), n1, number("mean_control"),
                               number("sd_control"), n2)
        t = d * np.sqrt(1 / (1 / n1 + 1 / n2))
    else:
        return None, None, None
    return float(n1), float(n2), float(t)


def check_replication_table(frame: pd.DataFrame, source: str = "<data frame>",
                            replication_given: bool = True) -> list[Contrast]:
    """Check every row and return the contrasts; raise InputError naming file, column and rows.

    `replication_given=False`: the table holds only the originals (the replication is a raw survey).
    `frame`'s index is the spreadsheet row number used in messages.
    """
    if len(frame) == 0:
        raise InputError("the file has a header but no rows", file=source)
    check_header(list(frame.columns), source)
    frame = frame.copy()
    frame.columns = [str(c).strip() for c in frame.columns]
    unknown = [c for c in frame.columns if c not in COLUMNS]
    if unknown:
        hints = [f"'{c}': did you mean '{closest(c, list(COLUMNS))}'?" for c in unknown if closest(c, list(COLUMNS))]
        raise InputError(f"unknown column{'s' if len(unknown) > 1 else ''}. {' '.join(hints)} The columns are "
                         "listed in data/examples/README.md (Judge a replication)", file=source,
                         column=", ".join(unknown))
    for column in ("contrast", "study"):
        if column not in frame:
            raise InputError("column is missing", file=source, column=column)
        blank = _text(frame, column).isna()
        if blank.any():
            raise InputError("value is missing", file=source, column=column, rows=frame.index[blank].tolist())
    contrast, study = _text(frame, "contrast"), _text(frame, "study").str.lower()
    allowed = STUDIES if replication_given else (ORIGINAL,)
    bad = ~study.isin(allowed)
    if bad.any():
        extra = "" if replication_given else " (the replication comes from the survey you gave)"
        raise InputError(f"must be {' or '.join(allowed)}{extra}; found {study[bad].iloc[0]!r}", file=source,
                         column="study", rows=frame.index[bad].tolist())
    for name in dict.fromkeys(contrast):
        for which in allowed:
            rows = frame.index[(contrast == name) & (study == which)].tolist()
            if len(rows) != 1:
                raise InputError(f"contrast {name!r} needs exactly one {which} row, found {len(rows)}",
                                 file=source, column="contrast", rows=rows)
    moderator, level = _text(frame, "moderator"), _text(frame, "level")
    if "level" in frame:
        bad = level.notna() & ~level.isin(LEVELS)
        if bad.any():
            raise InputError(f"must be {' or '.join(LEVELS)}", file=source, column="level",
                             rows=frame.index[bad].tolist())
    half = moderator.isna() != level.isna()
    if half.any():
        raise InputError("moderator and level are given together or not at all", file=source,
                         column="moderator" if moderator.isna()[half].any() else "level",
                         rows=frame.index[half].tolist())
    _check_pairs(frame, contrast, moderator, level, source)

    effect_frame = frame[[c for c in EFFECT_COLUMNS if c in frame]].assign(study_id=contrast)
    effects = check_study_table(effect_frame, measure="g", moderators=[], source=source).effects
    effects.index = frame.index
    contrasts = []
    for name in dict.fromkeys(contrast):
        estimates = {}
        for which in allowed:
            row_number = frame.index[(contrast == name) & (study == which)][0]
            n1, n2, t = _two_group_t(frame.loc[row_number].to_dict() | {"input": effects.loc[row_number, "input"]},
                                     source)
            estimates[which] = Estimate(float(effects.loc[row_number, "yi"]), float(effects.loc[row_number, "se"]),
                                        n1=n1, n2=n2, t=t)
        first = frame.index[contrast == name][0]
        contrasts.append(Contrast(name, estimates[ORIGINAL], estimates.get(REPLICATION),
                                  moderator=moderator[first], level=level[first]))
    return contrasts


def _check_pairs(frame, contrast, moderator, level, source) -> None:
    """Both rows of a contrast agree on moderator and level; a moderator has at most one contrast per level."""
    for name in dict.fromkeys(contrast):
        rows = frame.index[contrast == name]
        pairs = {(moderator[r], level[r]) for r in rows}
        if len(pairs) > 1:
            raise InputError(f"the rows of contrast {name!r} give different moderator or level", file=source,
                             column="moderator", rows=rows.tolist())
    named = moderator.notna()
    for name in dict.fromkeys(moderator[named]):
        rows = frame.index[named & (moderator == name)]
        for which in LEVELS:
            with_level = set(contrast[rows][level[rows] == which])
            if len(with_level) > 1:
                raise InputError(f"moderator {name!r} has {len(with_level)} contrasts at level {which!r} "
                                 f"({', '.join(sorted(with_level))}); give one", file=source, column="level",
                                 rows=rows.tolist())


def load_replication_table(path: str | Path, replication_given: bool = True) -> list[Contrast]:
    return check_replication_table(read_table(path), source=str(path), replication_given=replication_given)
