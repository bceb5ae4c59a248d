"""Survey data: read a file, check it, and turn it into one row per answer.

Everything downstream (models, hypotheses, the command line) works on a `Survey`,
whatever the format and layout of the file it came from. Problems are reported as
`InputError`s that name the file, the column and the first offending rows,
before any sampling starts.

Formats (by file extension): CSV (.csv, .txt; the delimiter , ; or tab is detected),
.tsv, Excel (.xlsx, .xlsm), SPSS (.sav, .zsav) and Stata (.dta). A Qualtrics CSV
export is recognised by its extra header rows (the question text, and the
`{"ImportId": ...}` row), which are dropped; row numbers in messages still count them.

Missing-answer policy: a blank cell (or a value listed in `missing_values`) in an
item is a missing answer; it is dropped and counted (`Survey.missing`, per item in
`Survey.missing_by_item`). A respondent with no answer at all is an error, and so is
a blank respondent id, factor level, covariate or weight.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from paradox.errors import InputError

#: Spreadsheet row of the first data row: the header is row 1.
FIRST_DATA_ROW = 2

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
STATS_SUFFIXES = {".sav", ".zsav", ".dta"}
SUPPORTED_SUFFIXES = CSV_SUFFIXES | EXCEL_SUFFIXES | STATS_SUFFIXES

#: Columns of `Survey.answers` besides the factors, covariates, group and weight.
ANSWER_COLUMNS = ("respondent", "item", "answer", "row")
#: Key of DataFrame.attrs holding SPSS/Stata value labels: {column: {code: label}}.
VALUE_LABELS = "value_labels"
#: Key of DataFrame.attrs saying which export the rows came from ("qualtrics" or absent).
EXPORT_KIND = "export"
#: Largest frequency weight of one row. 1e12 made every sampler start fail; housing.csv scaled to a largest
#: weight of 1,000,000 (19.5 million respondents) still reproduces MASS::polr.
MAX_WEIGHT = 1_000_000


@dataclass(frozen=True)
class SurveySpec:
    """Which columns mean what.

    Wide layout: one row per respondent, one column per item (`items`).
    Long layout: one row per answer, with `item_column` and `answer_column`.
    `respondent` may be None: each row is then its own respondent (wide layout), or
    its own answer (long layout), identified by its row number.
    `scale` is the lowest and highest answer code; `labels`, when given, names the
    scale points from lowest to highest, so that answers may be given as labels.
    `factors` maps a column to its levels in order; the first level is the baseline.
    Levels may be None to take them from the data (sorted; SPSS value labels in code order).
    `missing_values` are answer values that mean "no answer" (e.g. "-99", "Don't know").
    `weight` is a frequency weight: each row stands for that many identical respondents.
    `within_respondent` names factors that may change between a respondent's rows (a within-subject design:
    one row per respondent and level, wide, or per respondent, level and item, long). Only a model with a
    respondent intercept can fit such a survey (the builders refuse it otherwise); by default none may.
    """

    respondent: str | None
    scale: tuple[int, int]
    items: tuple[str, ...] = ()
    item_column: str | None = None
    answer_column: str | None = None
    factors: dict[str, tuple[str, ...] | None] = field(default_factory=dict)
    covariates: tuple[str, ...] = ()
    group: str | None = None
    weight: str | None = None
    min_cell_size: int = 1
    labels: tuple[str, ...] = ()
    missing_values: tuple[str, ...] = ()
    within_respondent: tuple[str, ...] = ()

    def __post_init__(self):
        unknown = [f for f in self.within_respondent if f not in self.factors]
        if unknown:
            raise ValueError(f"within_respondent names {', '.join(unknown)}, which is not a factor")
        if self.within_respondent and self.respondent is None:
            raise ValueError("within_respondent factors need a respondent column (whose rows they vary between)")
        wide, long = bool(self.items), bool(self.item_column or self.answer_column)
        if wide == long:
            raise ValueError("give either `items` (wide layout) or `item_column` and `answer_column` (long layout)")
        if long and not (self.item_column and self.answer_column):
            raise ValueError("the long layout needs both `item_column` and `answer_column`")
        lo, hi = self.scale
        if not (int(lo) == lo and int(hi) == hi and hi > lo):
            raise ValueError(f"scale must be two whole numbers, low < high; got {self.scale}")
        if self.labels and len(self.labels) != self.n_categories:
            raise ValueError(f"labels name {len(self.labels)} points but the scale {lo}..{hi} has {self.n_categories}")
        taken = sorted(set(self.respondent_columns()[1 if self.respondent else 0:]) & set(ANSWER_COLUMNS))
        if taken:
            raise ValueError(f"column(s) {', '.join(taken)} share a name with the answer table's own columns "
                             f"({', '.join(ANSWER_COLUMNS)}); rename them")
        for name, levels in self.factors.items():
            texts = [str(level) for level in levels or ()]
            twice = [t for i, t in enumerate(texts) if t in texts[:i]]
            if twice:
                raise ValueError(f"factor {name}: level {twice[0]!r} is listed twice")
        used = self.columns_used()
        repeated = sorted({c for c in used if used.count(c) > 1})
        if repeated:
            raise ValueError(f"column(s) {', '.join(repeated)} given more than one role")

    @property
    def n_categories(self) -> int:
        return int(self.scale[1] - self.scale[0] + 1)

    @property
    def layout(self) -> str:
        return "wide" if self.items else "long"

    def respondent_columns(self) -> list[str]:
        """Columns that describe a respondent (the same on each of their answers)."""
        cols = [c for c in (self.respondent,) if c] + [*self.factors, *self.covariates]
        return cols + [c for c in (self.group, self.weight) if c]

    def columns_used(self) -> list[str]:
        return self.respondent_columns() + list(self.items) + [c for c in (self.item_column, self.answer_column) if c]


@dataclass
class Survey:
    """A checked survey.

    `answers`: one row per answer with columns respondent, item, answer (lo..hi as
    given on the scale), the factor columns (categoricals, first level the baseline),
    covariates, group and weight when given, and `row` (the spreadsheet row it came from).
    `respondents`: one row per respondent with the factor, covariate, group and weight columns.
    `missing`: how many answers were missing and dropped (the stated policy);
    `missing_by_item` the same per item. `export` is "qualtrics" for a Qualtrics export.
    """

    answers: pd.DataFrame
    respondents: pd.DataFrame
    spec: SurveySpec
    source: str
    missing: int = 0
    missing_by_item: dict[str, int] = field(default_factory=dict)
    export: str = ""

    @property
    def items(self) -> list[str]:
        return list(self.answers["item"].cat.categories)

    @property
    def n_respondents(self) -> float:
        """Respondents, counting a weighted row as that many."""
        if self.spec.weight:
            return float(self.respondents[self.spec.weight].sum())
        return float(len(self.respondents))

    def cell_sizes(self) -> pd.Series:
        """Respondents per combination of factor levels (weighted rows count as their weight)."""
        factors = list(self.spec.factors)
        counts = self.respondents[self.spec.weight] if self.spec.weight else pd.Series(1, index=self.respondents.index)
        if not factors:
            return pd.Series({"all": counts.sum()})
        return counts.groupby([self.respondents[f] for f in factors], observed=True).sum()


# ---------------------------------------------------------------------------------------
# Reading files


def read_table(path: str | Path, sheet: str | int | None = None) -> pd.DataFrame:
    """Read a survey file into a DataFrame indexed by spreadsheet row (header = row 1).

    CSV cells are read as text (only blank cells are missing), so that codes such as
    "01" or a level called "NA" survive; numbers are parsed where a number is expected.
    SPSS/Stata files keep their numeric codes, with value labels in `frame.attrs["value_labels"]`.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("no such file", file=path)
    if path.is_dir():
        raise InputError("is a directory, not a data file", file=path)
    if path.stat().st_size == 0:
        raise InputError("the file is empty", file=path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        expected = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise InputError(f"unsupported file type '{suffix}' (expected one of {expected})", file=path)
    if sheet is not None and suffix not in EXCEL_SUFFIXES:
        raise InputError(f"a sheet ({sheet!r}) was chosen, but this is a {suffix} file, not an Excel workbook",
                         file=path)
    if suffix in CSV_SUFFIXES:
        frame = _read_csv(path)
    elif suffix in EXCEL_SUFFIXES:
        frame = _read_excel(path, sheet)
    else:
        frame = _read_stats_file(path)
    frame.columns = [str(c).strip() for c in frame.columns]
    # Fully blank rows are not respondents; dropping them keeps the others' row numbers.
    frame = frame.loc[~frame.isna().all(axis=1)]
    if frame.empty:
        raise InputError("the file has a header but no data rows", file=path)
    return frame


def _read_csv(path: Path) -> pd.DataFrame:
    text = _decode(path)
    if not text.strip():
        raise InputError("the file is empty", file=path)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else _sniff_delimiter(text)
    records = _records(text, delimiter, path)
    check_header(records[0], path)
    # A column without a name gets pandas' name for it, so that a message can point at it.
    header = [cell.strip() or f"Unnamed: {i}" for i, cell in enumerate(records[0])]
    rows = []
    for number, record in enumerate(records[1:], start=FIRST_DATA_ROW):
        if any(cell.strip() for cell in record[len(header):]):
            raise InputError(f"the row has {len(record)} cells but the header has {len(header)} column names "
                             "(a stray delimiter, or a delimiter inside a cell without quotes?)", file=path,
                             rows=[number])
        # A delimiter at the end of every line (some exports) adds an empty cell, not a column.
        rows.append(record[:len(header)] + [""] * (len(header) - len(record)))
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    frame = frame.apply(lambda col: col.str.lstrip()).replace("", np.nan)  # only blank cells are missing
    unnamed = [c for c, raw in zip(frame.columns, records[0]) if not raw.strip()]
    frame = frame.drop(columns=[c for c in unnamed if frame[c].isna().all()])  # e.g. a trailing delimiter
    frame.index = pd.RangeIndex(FIRST_DATA_ROW, FIRST_DATA_ROW + len(frame), name="row")
    return _drop_qualtrics_header_rows(frame)


def check_header(header: list, path) -> None:
    """Refuse a header that names a column twice, also when the names differ only by spaces around them."""
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        key = str(name).strip()
        if key == "":
            continue  # an unnamed column: refused only if it is used (it cannot be named)
        if key in seen:
            first = header[seen[key] - 1]
            how = "twice" if str(first) == str(name) else f"twice ({first!r} and {name!r}, equal without the spaces)"
            raise InputError(f"the header names this column {how}, as columns {seen[key]} and {position}; "
                             "rename one of them (paradox will not guess which one you mean)", file=path,
                             column=key, rows=[1])
        seen[key] = position


#: Leading bytes of files that are not text, and what they are.
_BINARY_SIGNATURES = {
    b"PK\x03\x04": "a zip archive (an Excel .xlsx workbook renamed .csv? Then rename it back to .xlsx)",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls (or other Office) file; save it as .xlsx or as CSV UTF-8",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive; unpack it first",
    b"$FL2": "an SPSS .sav file; give it the .sav extension",
}


def _decode(path: Path) -> str:
    """The file's text: UTF-8 (with or without a byte-order mark) or, failing that, Windows-1252.

    Refused with a message: a file that is not text (binary, zip, UTF-16), and a UTF-8 file with
    some cells in another encoding (named by row and column, not the rows that are fine).
    """
    data = path.read_bytes()
    for signature, what in _BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise InputError(f"this is not a CSV text file: it is {what}", file=path)
    head = data[:4096]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or head.count(0) > len(head) // 4:
        raise InputError("this file is in UTF-16, not UTF-8: save it as 'CSV UTF-8' (Excel) or as UTF-8 text",
                         file=path)
    if b"\x00" in data:
        raise InputError("this is not a CSV text file (it holds binary data); is it the file you meant?", file=path)
    try:
        return data.decode("utf-8-sig")  # also strips the byte-order mark Qualtrics and Excel write
    except UnicodeDecodeError:
        pass
    replaced = data.decode("utf-8-sig", errors="replace")
    if any(ord(ch) > 127 and ch != "\ufffd" for ch in replaced):
        _report_mixed_encoding(replaced, path)
    try:
        text = data.decode("cp1252")  # Excel's "CSV" on Windows
    except UnicodeDecodeError:
        raise InputError("this is not a text file in UTF-8 or Windows-1252 (is it the file you meant?); "
                         "save it as 'CSV UTF-8'", file=path) from None
    controls = sum(ch < " " and ch not in "\t\r\n" for ch in text)
    if controls > max(5, len(text) // 1000):
        raise InputError("this is not a CSV text file (it holds binary data); is it the file you meant?", file=path)
    return text


def _report_mixed_encoding(replaced: str, path: Path) -> None:
    """Raise naming the rows and columns whose bytes are not UTF-8, in a file that is otherwise UTF-8."""
    delimiter = "\t" if path.suffix.lower() == ".tsv" else _sniff_delimiter(replaced)
    records = _records(replaced, delimiter, path)
    header = [c.strip() for c in records[0]]
    rows, columns = [], []
    for number, record in enumerate(records, start=FIRST_DATA_ROW - 1):
        for i, cell in enumerate(record):
            if "\ufffd" in cell:
                rows.append(number)
                name = header[i] if i < len(header) else f"cell {i + 1}"
                if name not in columns:
                    columns.append(name)
    raise InputError("these cells are not valid UTF-8, while the rest of the file is (pasted from a program "
                     "that uses another encoding, e.g. Windows-1252); retype them, or save the file as 'CSV UTF-8'",
                     file=path, column=", ".join(columns) or None, rows=sorted(set(rows)))


def _records(text: str, delimiter: str, path: Path) -> list[list[str]]:
    """The CSV records; a quote that is never closed is reported at the row and column it opens."""
    _check_quotes(text, delimiter, path)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True))
    except csv.Error as exc:
        raise InputError(f"could not be read as CSV: {exc}", file=path) from None


def _check_quotes(text: str, delimiter: str, path: Path) -> None:
    """Raise if a quoted cell runs to the end of the file, naming the row and column where it opens."""
    if text.count('"') % 2 == 0:
        return  # every quote is closed
    row, field, in_quotes, at_start, opened = 1, 0, False, True, (1, 0)
    previous = ""
    for ch in text:
        if in_quotes:
            in_quotes = ch != '"'
        elif ch == '"' and (at_start or previous == '"'):
            in_quotes = True  # a quoted cell opens, or "" inside one goes on
            if at_start:
                opened = (row, field)
            at_start = False
        elif ch == delimiter:
            field, at_start = field + 1, True
        elif ch == "\n":
            row, field, at_start = row + 1, 0, True
        elif ch != " ":
            at_start = False
        previous = ch
    if in_quotes:
        opened_row, index = opened
        header = next(csv.reader([text.split("\n", 1)[0]], delimiter=delimiter))
        column = header[index].strip() if index < len(header) and opened_row > 1 else None
        raise InputError('a quote (") opens a cell here and is never closed, so the rest of the file would be '
                         "read as one cell; close the quote or remove it", file=path, column=column, rows=[opened_row])


def _sniff_delimiter(text: str) -> str:
    try:
        return csv.Sniffer().sniff(text[:65536], delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def _drop_qualtrics_header_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop a Qualtrics export's question-text row and its ImportId row, keeping row numbers.

    A Qualtrics CSV has three header rows: column names (row 1), question texts (row 2),
    and `{"ImportId":"QID1"}` cells (row 3); older exports lack the third.
    """
    if len(frame) == 0:
        return frame
    first, second = frame.iloc[0], (frame.iloc[1] if len(frame) > 1 else None)

    def is_import_id_row(row) -> bool:
        cells = [c for c in row.dropna().astype(str)]
        return bool(cells) and sum(c.startswith('{"ImportId"') for c in cells) >= max(1, len(cells) // 2)

    response_id = next((c for c in frame.columns if c.replace(" ", "").lower() == "responseid"), None)
    question_row = response_id is not None and str(first[response_id]).strip().lower() == "response id"
    if second is not None and is_import_id_row(second):
        frame = frame.iloc[2:].copy()
    elif is_import_id_row(first):
        frame = frame.iloc[1:].copy()
    elif question_row:
        frame = frame.iloc[1:].copy()
    else:
        return frame
    frame.attrs[EXPORT_KIND] = "qualtrics"
    return frame


def _read_excel(path: Path, sheet: str | int | None) -> pd.DataFrame:
    if not zipfile.is_zipfile(path):  # every .xlsx is a zip archive
        head = path.read_bytes()[:2048]
        text = b"\x00" not in head and all(b >= 32 or b in b"\t\r\n" for b in head.replace(b"\xef\xbb\xbf", b""))
        what = "a text file (a CSV saved with the wrong extension? rename it .csv)" if text else "not a workbook"
        raise InputError(f"this is not an Excel .xlsx workbook: it is {what}", file=path)
    try:
        names = _excel_sheet_names(path)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise InputError(f"could not be read as an Excel workbook ({type(exc).__name__}: {exc})", file=path) from None
    chosen = _choose_sheet(names, sheet, path)
    try:
        header = pd.read_excel(path, sheet_name=chosen, header=None, nrows=1, engine="openpyxl")
        frame = pd.read_excel(path, sheet_name=chosen, engine="openpyxl")
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InputError(f"could not be read as an Excel workbook: {exc}", file=path) from None
    if frame.columns.size == 0:
        raise InputError("the sheet is empty", file=path)
    check_header([("" if pd.isna(v) else str(v)) for v in header.iloc[0]], path)
    _check_formulas(path, chosen, [str(c) for c in frame.columns])
    frame.index = pd.RangeIndex(FIRST_DATA_ROW, FIRST_DATA_ROW + len(frame), name="row")
    return frame


def _choose_sheet(names: list[str], sheet: str | int | None, path: Path) -> str:
    """The sheet's name: by name first (a sheet may be called '2020'), else by 0-based position."""
    if sheet is None:
        return names[0]
    if str(sheet) in names:
        return str(sheet)
    if isinstance(sheet, int) and 0 <= sheet < len(names):
        return names[sheet]
    raise InputError(f"no sheet {sheet!r} (by name, or by 0-based position); the workbook has: {', '.join(names)}",
                     file=path)


def _check_formulas(path: Path, sheet: str, columns: list[str]) -> None:
    """Refuse formula cells whose result was never saved: they would read as blank answers."""
    import openpyxl

    formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
    values = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        unsaved: dict[str, list[int]] = {}
        rows = zip(formulas[sheet].iter_rows(min_row=2), values[sheet].iter_rows(min_row=2))
        for number, (with_formulas, with_values) in enumerate(rows, start=FIRST_DATA_ROW):
            for i, (cell, value) in enumerate(zip(with_formulas, with_values)):
                if cell.data_type == "f" and value.value is None:
                    unsaved.setdefault(columns[i] if i < len(columns) else f"column {i + 1}", []).append(number)
    finally:
        formulas.close()
        values.close()
    if unsaved:
        column, rows = next(iter(unsaved.items()))
        others = f" (also in {', '.join(list(unsaved)[1:])})" if len(unsaved) > 1 else ""
        raise InputError(f"these cells hold formulas whose results were never saved{others}, so they would read as "
                         "blank; open the workbook in Excel and save it, or paste the cells as values",
                         file=path, column=column, rows=rows)


def _excel_sheet_names(path: Path) -> list[str]:
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def _read_stats_file(path: Path) -> pd.DataFrame:
    import pyreadstat

    reader = pyreadstat.read_dta if path.suffix.lower() == ".dta" else pyreadstat.read_sav
    try:
        # Codes, not labels: answers stay numbers; labels are applied to factors in `validate`.
        # User-defined missing values (e.g. 99 = refused) come back as blanks.
        frame, meta = reader(str(path), apply_value_formats=False, user_missing=False)
    except Exception as exc:  # pyreadstat raises its own error types for corrupt files
        raise InputError(f"could not be read as {path.suffix.lower()}: {exc}", file=path) from None
    frame.index = pd.RangeIndex(FIRST_DATA_ROW, FIRST_DATA_ROW + len(frame), name="row")
    frame.attrs[VALUE_LABELS] = {str(k): dict(v) for k, v in (meta.variable_value_labels or {}).items()}
    return frame


# ---------------------------------------------------------------------------------------
# Checking


def load_survey(path: str | Path, spec: SurveySpec, *, sheet: str | int | None = None) -> Survey:
    """Read and check a survey file; see `validate` for what is checked."""
    return validate(read_table(path, sheet=sheet), spec, source=str(path))


def validate(frame: pd.DataFrame, spec: SurveySpec, source: str = "<data frame>") -> Survey:
    """Check `frame` against `spec` and return it as a Survey.

    `frame`'s index is taken as the spreadsheet row numbers used in messages.
    Checked, in this order: the frame is not empty; every named column exists;
    respondent ids are present and unique; answers are whole numbers (or labels) on the
    scale; factor levels are known and not blank; groups are not blank; covariates and
    weights are numbers (weights whole and not negative); in the long layout, a
    respondent's factors do not change between rows; every respondent answered at
    least one item; every cell has at least `min_cell_size` respondents.
    """
    if len(frame) == 0:
        raise InputError("the file has a header but no data rows", file=source)
    check_header(list(frame.columns), source)
    value_labels = frame.attrs.get(VALUE_LABELS, {})
    _require_columns(frame, spec, source)
    frame = frame.copy()
    frame.index.name = "row"
    if spec.respondent is None:
        respondent = "__row_as_respondent__"
        frame[respondent] = frame.index.to_numpy()
    else:
        respondent = spec.respondent
        _check_present(frame[respondent], frame.index, "respondent id is blank", respondent, source)
        frame[respondent] = _as_text(frame[respondent])

    id_vars = [respondent, *[c for c in spec.respondent_columns() if c != respondent]]
    if spec.layout == "wide":
        _check_duplicates(frame, [respondent, *spec.within_respondent], source)
        long = frame.reset_index().melt(  # placeholder names: an item may be called "answer"
            id_vars=["row", *id_vars], value_vars=list(spec.items), var_name="__item__", value_name="__answer__"
        ).rename(columns={"__item__": "item", "__answer__": "answer"})
        item_levels = list(spec.items)
    else:
        if spec.respondent is not None:
            _check_duplicates(frame, [respondent, *spec.within_respondent, spec.item_column], source)
        _check_present(frame[spec.item_column], frame.index, "item name is blank", spec.item_column, source)
        long = frame.reset_index()[["row", *id_vars, spec.item_column, spec.answer_column]]
        long = long.rename(columns={spec.item_column: "item", spec.answer_column: "answer"})
        long["item"] = _as_text(long["item"])
        item_levels = sorted(long["item"].unique())
    long = long.rename(columns={respondent: "respondent"})

    answer_column = spec.answer_column or "answer"
    long["answer"] = _blank_missing_values(long["answer"], spec.missing_values)
    missing_mask = long["answer"].isna()
    missing_by_item = long.loc[missing_mask, "item"].astype(str).value_counts()
    long = long[~missing_mask].copy()
    long["answer"] = _check_answers(long, spec, source, answer_column)

    for name, levels in spec.factors.items():
        long[name] = _check_levels(long, name, levels, value_labels.get(name), source)
    for name in spec.covariates:
        long[name] = _check_numeric(long, name, source)
    if spec.group:
        _check_present(long[spec.group], pd.Index(long["row"]), "group is blank", spec.group, source)
        long[spec.group] = _as_text(long[spec.group])
    if spec.weight:
        long[spec.weight] = _check_weights(long, spec.weight, source)
    if spec.respondent is not None and (spec.layout == "long" or spec.within_respondent):
        _check_constant_within_respondent(long, spec, source)

    answered = set(long["respondent"])
    unanswered = frame.index[~frame[respondent].isin(answered)].tolist()
    if unanswered:
        where = ", ".join(spec.items) if spec.layout == "wide" else answer_column
        raise InputError("respondent has no answer in any item (a respondent needs at least one)",
                         file=source, column=where, rows=unanswered)

    long["item"] = pd.Categorical(long["item"], categories=item_levels)
    columns = ["respondent", "item", "answer", *spec.factors, *spec.covariates]
    columns += [c for c in (spec.group, spec.weight) if c]
    answers = long[columns + ["row"]].sort_values(["row", "item"]).reset_index(drop=True)
    # One row per respondent (per respondent and level of each within-respondent factor)
    respondents = answers.drop_duplicates(["respondent", *spec.within_respondent])[
        ["respondent", *spec.factors, *spec.covariates, *[c for c in (spec.group, spec.weight) if c]]
    ].reset_index(drop=True)
    survey = Survey(
        answers=answers, respondents=respondents, spec=spec, source=source,
        missing=int(missing_by_item.sum()),
        missing_by_item={item: int(missing_by_item.get(item, 0)) for item in item_levels},
        export=frame.attrs.get(EXPORT_KIND, ""),
    )
    _check_cell_sizes(survey)
    return survey


def check_levels_have_respondents(survey: Survey) -> None:
    """Raise unless every declared factor level has respondents.

    Not part of `validate`: the SRP analysis may declare experiments a file lacks; a
    regression cannot, because a level nobody is in has an effect the data cannot estimate.
    """
    for name in survey.spec.factors:
        weights = survey.respondents[survey.spec.weight] if survey.spec.weight else 1
        counts = pd.Series(weights, index=survey.respondents.index).groupby(
            survey.respondents[name], observed=False).sum()
        empty = [str(level) for level, n in counts.items() if n == 0]
        if empty:
            raise InputError(
                f"level(s) {', '.join(repr(e) for e in empty)} have no respondents, so their effect cannot be "
                f"estimated; remove them from the factor's levels",
                file=survey.source, column=name,
            )


def _as_text(values: pd.Series) -> pd.Series:
    """Cells as text; whole floats (Excel, SPSS) lose their '.0' so that 2.0 matches level '2'."""

    def one(v):
        if isinstance(v, (float, np.floating)) and np.isfinite(v) and float(v).is_integer():
            return str(int(v))
        return str(v).strip()

    return values.map(one, na_action="ignore")


def _blank_missing_values(values: pd.Series, missing_values: tuple[str, ...]) -> pd.Series:
    if not missing_values:
        return values
    as_text = _as_text(values)
    listed = {str(m).strip() for m in missing_values}
    return values.mask(as_text.isin(listed))


def closest(name: str, candidates) -> str | None:
    """The candidate `name` was most likely meant to be (ignoring case, spaces, _ and -), if any."""

    def norm(text):
        return "".join(ch for ch in str(text).casefold() if ch not in " _-.")

    by_norm = {norm(c): c for c in candidates}
    match = difflib.get_close_matches(norm(name), list(by_norm), n=1, cutoff=0.6)
    return by_norm[match[0]] if match else None


def _require_columns(frame: pd.DataFrame, spec: SurveySpec, source: str) -> None:
    present = [str(c) for c in frame.columns]
    for col in spec.columns_used():
        if col not in present:
            close = closest(col, present)
            hint = f"; did you mean '{close}'?" if close else ""
            shown = ", ".join(present[:30]) + (" ..." if len(present) > 30 else "")
            raise InputError(f"column is missing{hint} (the file has: {shown})", file=source, column=col)


def _check_present(values: pd.Series, rows: pd.Index, message: str, column: str, source: str) -> None:
    blank = values.isna() | (values.astype(str).str.strip() == "")
    if blank.any():
        raise InputError(message, file=source, column=column, rows=sorted(set(rows[blank.to_numpy()].tolist())))


def _check_duplicates(frame: pd.DataFrame, key: list[str], source: str) -> None:
    dup = frame.duplicated(subset=key, keep=False)
    if dup.any():
        first = frame.loc[dup, key].iloc[0].astype(str).tolist()
        # A respondent on several rows that differ in a factor: most likely a within-subject design.
        hint = ("; if a factor changes between a respondent's rows (a within-subject design), name it in "
                "`within_respondent`" if len(key) == 1 else "")
        raise InputError(
            f"duplicated {' and '.join(key)} (e.g. {', '.join(first)}): each must appear once{hint}",
            file=source, column=key[0], rows=frame.index[dup].tolist(),
        )


def _check_answers(long: pd.DataFrame, spec: SurveySpec, source: str, column: str) -> pd.Series:
    raw = long["answer"]
    values = pd.to_numeric(raw, errors="coerce")
    if spec.labels:
        codes = {label.strip().casefold(): spec.scale[0] + i for i, label in enumerate(spec.labels)}
        by_label = raw.map(lambda v: codes.get(str(v).strip().casefold()))
        values = values.where(values.notna(), pd.to_numeric(by_label, errors="coerce"))
    lo, hi = spec.scale

    def fail(mask, what):
        bad = long.loc[mask]
        where = column if spec.layout == "long" else ", ".join(sorted(set(bad["item"].astype(str))))
        examples = ", ".join(repr(v) for v in bad["answer"].head(3))
        raise InputError(f"{what} (e.g. {examples})", file=source, column=where, rows=sorted(set(bad["row"])))

    if values.isna().any():
        expected = f"a label ({', '.join(spec.labels)}) or a number" if spec.labels else "numbers"
        hint = decimal_comma_hint(raw[values.isna()].head(3))
        fail(values.isna(), f"answers must be {expected}; leave a cell blank for no answer{hint}")
    not_whole = values != np.round(values)  # exactly: 6.99999 is a typo or a computed value, not a 7
    if not_whole.any():
        fail(not_whole, "answers must be whole numbers")
    if ((values < lo) | (values > hi)).any():
        fail((values < lo) | (values > hi), f"answers must lie on the scale {lo}..{hi}")
    return np.round(values).astype(int)


def _check_levels(long: pd.DataFrame, name: str, levels, value_labels: dict | None, source: str) -> pd.Categorical:
    values = long[name]
    if values.isna().any():
        raise InputError("factor level is blank", file=source, column=name,
                         rows=sorted(set(long.loc[values.isna(), "row"])))
    codes = _as_text(values)
    values = codes
    if value_labels:
        labels = {_as_text(pd.Series([k])).iloc[0]: str(v) for k, v in value_labels.items()}
        # Use the labels unless the config names its levels by their codes.
        if levels is None or not set(map(str, levels)) <= set(labels):
            values = codes.map(lambda c: labels.get(c, c))
            if levels is None:
                levels = tuple(dict.fromkeys(labels.values()))
                levels = tuple(lv for lv in levels if lv in set(values)) + tuple(sorted(set(values) - set(levels)))
    if levels is None:
        levels = tuple(sorted(values.unique()))
    levels = tuple(str(lv) for lv in levels)
    unknown = ~values.isin(levels)
    if unknown.any():
        found = sorted(set(values[unknown]))
        hints = [f"'{m}' for '{f}'" for f in found[:3] if (m := closest(f, levels))]
        hint = f" (did you mean {', '.join(hints)}?)" if hints else ""
        raise InputError(
            f"unknown level(s) {', '.join(repr(f) for f in found[:5])}{hint}; expected one of: {', '.join(levels)}",
            file=source, column=name, rows=sorted(set(long.loc[unknown, "row"])),
        )
    return pd.Categorical(values, categories=list(levels), ordered=False)


def decimal_comma_hint(values) -> str:
    """A hint when numbers look written with a decimal comma (30,5), as European spreadsheets do."""
    if any(isinstance(v, str) and re.fullmatch(r"\s*-?\d+,\d+\s*", v) for v in values):
        return "; these look like decimal commas: write 30.5, not 30,5"
    return ""


def _check_numeric(long: pd.DataFrame, name: str, source: str) -> pd.Series:
    values = pd.to_numeric(long[name], errors="coerce")
    bad = values.isna() | ~np.isfinite(values.fillna(0))
    if bad.any():
        examples = long.loc[bad, name].drop_duplicates().head(3)
        raise InputError(f"values must be numbers, none blank (e.g. {', '.join(repr(v) for v in examples)})"
                         f"{decimal_comma_hint(examples)}", file=source, column=name,
                         rows=sorted(set(long.loc[bad, "row"])))
    return values.astype(float)


def _check_weights(long: pd.DataFrame, name: str, source: str) -> pd.Series:
    weights = _check_numeric(long, name, source)
    bad = (weights < 0) | (weights != np.round(weights))
    if bad.any():
        raise InputError("frequency weights must be whole numbers, 0 or more (how many respondents a row stands for)",
                         file=source, column=name, rows=sorted(set(long.loc[bad, "row"])))
    huge = weights > MAX_WEIGHT
    if huge.any():
        raise InputError(f"a frequency weight counts respondents; more than {MAX_WEIGHT:,} for one row is not a "
                         f"survey (e.g. {weights[huge].iloc[0]:g}); is this the weight column?",
                         file=source, column=name, rows=sorted(set(long.loc[huge, "row"])))
    if weights.sum() == 0:
        raise InputError("every frequency weight is 0: no respondents", file=source, column=name)
    return np.round(weights)


def _check_constant_within_respondent(long: pd.DataFrame, spec: SurveySpec, source: str) -> None:
    """A respondent's factors (but those declared within_respondent), covariates, group and weight are the
    same on each of their rows."""
    constant = [f for f in spec.factors if f not in spec.within_respondent]
    for col in [*constant, *spec.covariates, *[c for c in (spec.group, spec.weight) if c]]:
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
        cells = "; ".join(
            f"{', '.join(f'{f}={v}' for f, v in zip(spec.factors, np.atleast_1d(k)))}: {n:g}" for k, n in small.items()
        )
        raise InputError(
            f"too few respondents in {len(small)} cell(s) (need at least {spec.min_cell_size}): {cells}",
            file=survey.source, column=", ".join(spec.factors),
        )


def describe(survey: Survey) -> dict:
    """Counts for reports: respondents, answers, missing answers (per item), cells."""
    return {
        "file": survey.source,
        "export": survey.export,
        "respondents": survey.n_respondents,
        "rows": int(len(survey.respondents)),
        "answers": float(survey.answers[survey.spec.weight].sum()) if survey.spec.weight else int(len(survey.answers)),
        "missing_answers": survey.missing,
        "missing_by_item": dict(survey.missing_by_item),
        "items": survey.items,
        "scale": list(survey.spec.scale),
    }

