"""Survey data: read a file, check it, and turn it into one row per answer.

Everything downstream (models, hypotheses, the command line) works on a `Survey`,
whatever the layout of the file it came from. Problems are reported as
`InputError`s that name the file, the column and the first offending rows,
before any sampling starts.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from paradox.errors import InputError

#: Spreadsheet row of the first data row: the header is row 1.
FIRST_DATA_ROW = 2


@dataclass(frozen=True)
class SurveySpec:
    """Which columns mean what.

    Wide layout: one row per respondent, one column per item (`items`).
    Long layout: one row per answer, with `item_column` and `answer_column`.
    `factors` maps a column to its levels in order; the first level is the baseline.
    Levels may be None to take them from the data (sorted).
    """

    respondent: str
    scale: tuple[int, int]
    items: tuple[str, ...] = ()
    item_column: str | None = None
    answer_column: str | None = None
    factors: dict[str, tuple[str, ...] | None] = field(default_factory=dict)
    covariates: tuple[str, ...] = ()
    group: str | None = None
    weight: str | None = None
    min_cell_size: int = 1

    def __post_init__(self):
        wide, long = bool(self.items), bool(self.item_column or self.answer_column)
        if wide == long:
            raise ValueError("give either `items` (wide layout) or `item_column` and `answer_column` (long layout)")
        if long and not (self.item_column and self.answer_column):
            raise ValueError("the long layout needs both `item_column` and `answer_column`")
        lo, hi = self.scale
        if not (int(lo) == lo and int(hi) == hi and hi > lo):
            raise ValueError(f"scale must be two whole numbers, low < high; got {self.scale}")

    @property
    def n_categories(self) -> int:
        return int(self.scale[1] - self.scale[0] + 1)

    @property
    def layout(self) -> str:
        return "wide" if self.items else "long"


@dataclass
class Survey:
    """A checked survey.

    `answers`: one row per answer with columns respondent, item, answer (1..K as
    given on the scale), the factor columns (ordered categoricals), covariates,
    group and weight when given, and `row` (the spreadsheet row it came from).
    `respondents`: one row per respondent with the factor, covariate and group columns.
    `missing`: how many answers were missing and dropped (the stated policy).
    """

    answers: pd.DataFrame
    respondents: pd.DataFrame
    spec: SurveySpec
    source: str
    missing: int = 0

    @property
    def items(self) -> list[str]:
        return list(self.answers["item"].cat.categories)

    def cell_sizes(self) -> pd.Series:
        """Respondents per combination of factor levels."""
        factors = list(self.spec.factors)
        if not factors:
            return pd.Series({"all": len(self.respondents)})
        return self.respondents.groupby(factors, observed=True).size()


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV file into a DataFrame of strings/numbers, with the spreadsheet row kept."""
    path = Path(path)
    if not path.exists():
        raise InputError("no such file", file=path)
    if path.stat().st_size == 0:
        raise InputError("the file is empty", file=path)
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".txt"}:
        raise InputError(f"unsupported file type '{suffix}' (expected .csv)", file=path)
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise InputError("the file is empty", file=path) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"could not be read as CSV: {exc}", file=path) from None
    frame.index = pd.RangeIndex(FIRST_DATA_ROW, FIRST_DATA_ROW + len(frame), name="row")
    return frame


def load_survey(path: str | Path, spec: SurveySpec) -> Survey:
    """Read and check a survey file; see `validate` for what is checked."""
    return validate(read_table(path), spec, source=str(path))


def validate(frame: pd.DataFrame, spec: SurveySpec, source: str = "<data frame>") -> Survey:
    """Check `frame` against `spec` and return it as a Survey.

    `frame`'s index is taken as the spreadsheet row numbers used in messages.
    Missing answers are dropped and counted; a respondent with no answer at all is an error.
    """
    if len(frame) == 0:
        raise InputError("the file has a header but no rows", file=source)
    _require_columns(frame, spec, source)
    frame = frame.copy()
    rows = frame.index.to_numpy()

    if spec.layout == "wide":
        _check_duplicates(frame, [spec.respondent], source)
        id_vars = [c for c in _respondent_columns(spec)]
        long = frame.reset_index().melt(
            id_vars=["row", *id_vars], value_vars=list(spec.items), var_name="item", value_name="answer"
        )
        item_levels = list(spec.items)
    else:
        _check_duplicates(frame, [spec.respondent, spec.item_column], source)
        long = frame.reset_index().rename(columns={spec.item_column: "item", spec.answer_column: "answer"})
        item_levels = sorted(long["item"].astype(str).unique())
        long["item"] = long["item"].astype(str)
    long = long.rename(columns={spec.respondent: "respondent"})

    answer_col = spec.answer_column or "answer"
    missing_mask = long["answer"].isna()
    n_missing = int(missing_mask.sum())
    long = long[~missing_mask].copy()
    long["answer"] = _check_answers(long, spec, source, answer_col)

    for name, levels in spec.factors.items():
        long[name] = _check_levels(long, name, levels, source)
    for name in spec.covariates:
        long[name] = _check_numeric(long, name, source)
    if spec.weight:
        w = _check_numeric(long, spec.weight, source)
        bad = long.loc[w <= 0, "row"].tolist()
        if bad:
            raise InputError("weights must be positive", file=source, column=spec.weight, rows=sorted(set(bad)))
        long[spec.weight] = w
    if spec.layout == "long":
        _check_constant_within_respondent(long, spec, source)

    answered = set(long["respondent"])
    empty = [r for r, rid in zip(rows, frame[spec.respondent]) if rid not in answered]
    if empty:
        raise InputError(
            "respondent has no answer in any item", file=source, column=", ".join(spec.items) or answer_col, rows=empty
        )

    long["item"] = pd.Categorical(long["item"], categories=item_levels)
    columns = ["respondent", "item", "answer", *spec.factors, *spec.covariates]
    columns += [c for c in (spec.group, spec.weight) if c]
    answers = long[columns + ["row"]].sort_values(["row", "item"]).reset_index(drop=True)
    respondents = answers.drop_duplicates("respondent")[
        ["respondent", *spec.factors, *spec.covariates, *([spec.group] if spec.group else [])]
    ].reset_index(drop=True)
    survey = Survey(answers=answers, respondents=respondents, spec=spec, source=source, missing=n_missing)
    _check_cell_sizes(survey)
    return survey


def _respondent_columns(spec: SurveySpec) -> list[str]:
    cols = [spec.respondent, *spec.factors, *spec.covariates]
    return cols + [c for c in (spec.group, spec.weight) if c]


def _require_columns(frame: pd.DataFrame, spec: SurveySpec, source: str) -> None:
    needed = _respondent_columns(spec) + list(spec.items)
    needed += [c for c in (spec.item_column, spec.answer_column) if c]
    present = [str(c) for c in frame.columns]
    for col in needed:
        if col not in present:
            close = difflib.get_close_matches(col, present, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; the file has: {', '.join(present)}"
            raise InputError(f"column is missing{hint}", file=source, column=col)


def _check_duplicates(frame: pd.DataFrame, key: list[str], source: str) -> None:
    dup = frame.duplicated(subset=key, keep=False)
    if dup.any():
        raise InputError(
            f"duplicated {' and '.join(key)}: each must appear once", file=source, column=key[0], rows=frame.index[dup].tolist()
        )


def _check_answers(long: pd.DataFrame, spec: SurveySpec, source: str, column: str) -> pd.Series:
    values = pd.to_numeric(long["answer"], errors="coerce")
    lo, hi = spec.scale

    def fail(mask, what):
        bad = long.loc[mask]
        where = column if spec.layout == "long" else ", ".join(sorted(set(bad["item"].astype(str))))
        examples = ", ".join(repr(v) for v in bad["answer"].head(3))
        raise InputError(f"{what} (e.g. {examples})", file=source, column=where, rows=sorted(set(bad["row"])))

    if values.isna().any():
        fail(values.isna(), "answers must be numbers")
    if ((values % 1) != 0).any():
        fail((values % 1) != 0, "answers must be whole numbers")
    if ((values < lo) | (values > hi)).any():
        fail((values < lo) | (values > hi), f"answers must lie on the scale {lo}..{hi}")
    return values.astype(int)


def _check_levels(long: pd.DataFrame, name: str, levels, source: str) -> pd.Categorical:
    values = long[name]
    if values.isna().any():
        raise InputError("factor level is missing", file=source, column=name, rows=sorted(set(long.loc[values.isna(), "row"])))
    values = values.astype(str)
    if levels is None:
        levels = tuple(sorted(values.unique()))
    unknown = ~values.isin(levels)
    if unknown.any():
        found = ", ".join(sorted(set(values[unknown]))[:5])
        raise InputError(
            f"unknown level(s) {found}; expected one of: {', '.join(levels)}",
            file=source, column=name, rows=sorted(set(long.loc[unknown, "row"])),
        )
    return pd.Categorical(values, categories=list(levels), ordered=False)


def _check_numeric(long: pd.DataFrame, name: str, source: str) -> pd.Series:
    values = pd.to_numeric(long[name], errors="coerce")
    bad = values.isna()
    if bad.any():
        raise InputError("values must be numbers (none missing)", file=source, column=name, rows=sorted(set(long.loc[bad, "row"])))
    return values.astype(float)


def _check_constant_within_respondent(long: pd.DataFrame, spec: SurveySpec, source: str) -> None:
    for col in [*spec.factors, *spec.covariates, *([spec.group] if spec.group else [])]:
        varies = long.groupby("respondent", observed=True)[col].transform("nunique") > 1
        if varies.any():
            raise InputError(
                "a respondent's value must be the same on every row", file=source, column=col,
                rows=sorted(set(long.loc[varies, "row"])),
            )


def _check_cell_sizes(survey: Survey) -> None:
    spec = survey.spec
    if not spec.factors or spec.min_cell_size <= 1:
        return
    sizes = survey.cell_sizes()
    small = sizes[sizes < spec.min_cell_size]
    if len(small):
        cells = "; ".join(f"{dict(zip(spec.factors, np.atleast_1d(k)))}: {n}" for k, n in small.items())
        raise InputError(
            f"too few respondents in a cell (need at least {spec.min_cell_size}): {cells}",
            file=survey.source, column=", ".join(spec.factors),
        )
