"""The study table: read it, check it row by row, and turn each row into an effect size.

One row per effect: a study that reports satisfaction and word-of-mouth has two rows
with the same `study_id`. Which numbers a row gives is said by `input` (or inferred
from the filled columns when `input` is blank). data/meta/README.md is the codebook;
`COLUMNS` below is the same list and is what the checks use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from paradox.data import check_header, closest, decimal_comma_hint, read_table
from paradox.errors import InputError
from paradox.meta import effect_sizes as es

#: Outcomes of the SRP literature (de Matos et al. 2007); a table without `outcome` has one, "all".
OUTCOMES = ("satisfaction", "repurchase", "word_of_mouth", "image")
SINGLE_OUTCOME = "all"

#: Effect measures: Hedges' g (every input), the log risk ratio (counts only, e.g. the BCG trials), or the raw
#: mean difference in the outcome's own units (means, or ready effects in points, days, ...).
MEASURES = ("g", "log_rr", "md")

#: Every column the table may have, with its meaning (the codebook in data/meta/README.md says more).
COLUMNS = {
    "study_id": "identifier of the study (paper or experiment); rows with the same id are nested in one study",
    "study_label": "label for figures, e.g. 'Smith & Bolton 1998' (optional; defaults to study_id)",
    "outcome": f"one of {', '.join(OUTCOMES)} (optional; without it all rows are one outcome)",
    "input": "which numbers the row gives: means, t, f, r, counts, proportions or effect (blank: inferred)",
    "mean_treated": "mean of the recovery group (failure followed by recovery)",
    "sd_treated": "standard deviation of the recovery group (> 0)",
    "n_treated": "size of the recovery group (whole number > 0)",
    "mean_control": "mean of the control group (no failure)",
    "sd_control": "standard deviation of the control group (> 0)",
    "n_control": "size of the control group (whole number > 0)",
    "t": "independent-samples t, positive when the recovery group scored higher",
    "f": "F(1, df) of the two-group comparison (>= 0; give its sign in `direction`)",
    "direction": "+1 if the recovery group scored higher, -1 if lower (needed with f)",
    "df": "error degrees of freedom of t or F; used when n_treated/n_control are not given (groups taken as equal)",
    "r": "point-biserial correlation of group (recovery = 1) with the outcome, between -1 and 1",
    "n_total": "number of people behind r (whole number > 2)",
    "events_treated": "how many in the recovery group reported the outcome (e.g. satisfied), 0..n_treated",
    "events_control": "how many in the control group reported the outcome, 0..n_control",
    "p_treated": "proportion of the recovery group reporting the outcome, 0..1",
    "p_control": "proportion of the control group reporting the outcome, 0..1",
    "yi": "an effect already on the analysis scale (g, log RR with --measure log_rr, raw units with --measure md)",
    "vi": "sampling variance of yi (> 0)",
    "design": "moderator: cross_sectional or longitudinal",
    "subjects": "moderator: students or non_students",
    "service": "moderator: hotel, restaurant or other",
    "year": "publication year (descriptive, not used in the model)",
    "notes": "free text (not used)",
}

#: Columns each input needs; "groups" means n_treated and n_control, or df.
INPUTS = {
    "means": ("mean_treated", "sd_treated", "n_treated", "mean_control", "sd_control", "n_control"),
    "t": ("t", "groups"),
    "f": ("f", "direction", "groups"),
    "r": ("r", "n_total"),
    "counts": ("events_treated", "n_treated", "events_control", "n_control"),
    "proportions": ("p_treated", "n_treated", "p_control", "n_control"),
    "effect": ("yi", "vi"),
}
#: Inputs that give a 2x2 table, the only ones a log risk ratio can come from (plus `effect`).
INPUTS_BY_MEASURE = {"g": tuple(INPUTS), "log_rr": ("counts", "proportions", "effect"), "md": ("means", "effect")}

#: Effects beyond these are refused as implausible (a typo, or a value on another scale): |g| > 5 means the groups
#: barely overlap, far beyond any SRP study; a log risk ratio of 10 is a risk ratio of 22,000.
#: A mean difference is in the table's own units, so no bound is plausible for every table.
MAX_ABS_EFFECT = {"g": 5.0, "log_rr": 10.0, "md": np.inf}
#: A sampling variance below this is not a study (it would stand for billions of people) but a typo.
MIN_VARIANCE = 1e-8
#: Columns a moderator may not be named after: they say what the effect is, not what the study was like.
NOT_MODERATORS = tuple(c for c in COLUMNS if c not in ("design", "subjects", "service", "year", "notes"))

TEXT = {"study_id", "study_label", "outcome", "input", "design", "subjects", "service", "notes"}
NUMERIC = [c for c in COLUMNS if c not in TEXT]
SIZES = ("n_treated", "n_control", "n_total")
POSITIVE = ("sd_treated", "sd_control", "vi", "df")


@dataclass(frozen=True)
class Moderator:
    """A study characteristic that may change the effect: categorical (levels, first is the baseline) or numeric."""

    name: str
    levels: tuple[str, ...] | None = None

    @property
    def is_numeric(self) -> bool:
        return self.levels is None

    @classmethod
    def parse(cls, text: str) -> "Moderator":
        """'latitude' (numeric) or 'alloc=random,alternate' (categorical, baseline first); SRP names know their levels."""
        name, _, levels = text.partition("=")
        name = name.strip()
        if not levels:
            return SRP_MODERATORS.get(name, cls(name))
        return cls(name, tuple(level.strip() for level in levels.split(",") if level.strip()))


#: The moderators de Matos et al. (2007) found for satisfaction, with their levels (baseline first).
SRP_MODERATORS = {
    "design": Moderator("design", ("cross_sectional", "longitudinal")),
    "subjects": Moderator("subjects", ("students", "non_students")),
    "service": Moderator("service", ("hotel", "restaurant", "other")),
}


@dataclass
class StudyTable:
    """A checked study table: `effects` has one row per effect with row, study_id, study_label,
    outcome, input, yi, vi, se and the moderator columns."""

    effects: pd.DataFrame
    measure: str
    moderators: tuple[Moderator, ...]
    source: str

    @property
    def outcomes(self) -> list[str]:
        return list(self.effects["outcome"].cat.categories)

    @property
    def studies(self) -> list[str]:
        return list(self.effects["study_id"].cat.categories)

    @property
    def nested(self) -> bool:
        """True when some study gives more than one effect, so a study level can be told from the effect level."""
        return bool(self.effects["study_id"].duplicated().any())

    def for_outcome(self, outcome: str) -> pd.DataFrame:
        return self.effects[self.effects["outcome"] == outcome]


def load_study_table(path: str | Path, measure: str = "g", moderators: list[Moderator] | None = None,
                     ignore: list[str] = ()) -> StudyTable:
    """Read and check a study table (see `check_study_table`)."""
    return check_study_table(read_table(path), measure=measure, moderators=moderators, ignore=ignore, source=str(path))


def check_study_table(frame: pd.DataFrame, measure: str = "g", moderators: list[Moderator] | None = None,
                      ignore: list[str] = (), source: str = "<data frame>") -> StudyTable:
    """Check every row and compute its effect size; raise InputError naming file, column and rows.

    `moderators=None` takes the SRP moderators (design, subjects, service) that the table has.
    Columns outside the codebook are refused (usually a misspelling) unless they are
    moderators or listed in `ignore`. `frame`'s index is the spreadsheet row number used in messages.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}")
    if len(frame) == 0:
        raise InputError("the file has a header but no rows", file=source)
    check_header(list(frame.columns), source)
    frame = frame.copy()
    frame.columns = [str(c).strip() for c in frame.columns]
    if moderators is None:
        moderators = [m for name, m in SRP_MODERATORS.items() if name in frame.columns]
    _check_options(frame, moderators, list(ignore), source)
    _check_columns(frame, moderators, list(ignore), source)

    study_id = _required_text(frame, "study_id", source)
    outcome = _levels(frame, "outcome", OUTCOMES, source) if "outcome" in frame else None
    numbers = {c: _numeric(frame, c, source) for c in NUMERIC if c in frame}
    _check_ranges(numbers, source)
    inputs = _inputs(frame, numbers, measure, source)
    _check_group_sizes(inputs, numbers, measure, source)
    yi, vi = _effect_sizes(inputs, numbers, measure)
    bad = ~(np.isfinite(yi) & np.isfinite(vi) & (vi > 0))
    if bad.any():
        raise InputError(
            "these numbers give no finite effect size with a positive variance (check sizes and df)",
            file=source, rows=frame.index[bad].tolist(),
        )
    _check_plausible(yi, vi, inputs, measure, frame.index, source)

    effects = pd.DataFrame({"row": frame.index, "study_id": study_id.to_numpy()}, index=frame.index)
    labels = frame["study_label"] if "study_label" in frame else pd.Series(np.nan, index=frame.index)
    effects["study_label"] = labels.where(labels.notna(), study_id).astype(str).to_numpy()
    outcome_levels = [o for o in OUTCOMES if outcome is not None and (outcome == o).any()]
    effects["outcome"] = pd.Categorical(outcome if outcome is not None else [SINGLE_OUTCOME] * len(frame),
                                        categories=outcome_levels or [SINGLE_OUTCOME])
    effects["input"] = inputs.to_numpy()
    effects["yi"], effects["vi"] = yi, vi
    effects["se"] = np.sqrt(vi)
    for column in (SRP_MODERATORS[c] for c in SRP_MODERATORS if c in frame and c not in {m.name for m in moderators}):
        _levels(frame, column.name, column.levels, source, allow_missing=True)  # a typo is an error even if unused
    for moderator in moderators:
        effects[moderator.name] = _moderator(frame, moderator, source)
    effects["study_id"] = pd.Categorical(effects["study_id"], categories=list(dict.fromkeys(effects["study_id"])))
    return StudyTable(effects.reset_index(drop=True), measure, tuple(moderators), source)


def _check_options(frame: pd.DataFrame, moderators: list[Moderator], ignore: list[str], source: str) -> None:
    """--moderator and --ignore as strictly as the table: known names, no clash, no column twice."""
    for moderator in moderators:
        if not moderator.name:
            raise InputError("option --moderator: give a column name, as NAME or NAME=level1,level2")
        if moderator.name in NOT_MODERATORS:
            raise InputError(f"option --moderator {moderator.name}: this codebook column gives the effect size "
                             "itself; a moderator is a study characteristic (see data/meta/README.md)")
        if moderator.levels is not None:
            twice = [lv for i, lv in enumerate(moderator.levels) if lv in moderator.levels[:i]]
            if twice or not moderator.levels:
                raise InputError(f"option --moderator {moderator.name}: "
                                 + (f"level {twice[0]!r} is listed twice" if twice else "give its levels after ="))
    for name in ignore:
        if name in COLUMNS:
            raise InputError(f"option --ignore {name}: this is a codebook column, used when given; --ignore is for "
                             "columns outside the codebook")
        if name in {m.name for m in moderators}:
            raise InputError(f"option --ignore {name}: it is also given as a --moderator; choose one")
        if name not in frame.columns:
            close = closest(name, list(frame.columns))
            raise InputError(f"option --ignore {name}: the table has no such column"
                             + (f"; did you mean '{close}'?" if close else ""), file=source)


def _check_group_sizes(inputs: pd.Series, numbers: dict[str, pd.Series], measure: str, source: str) -> None:
    """Hedges' g needs N - 2 >= 2 degrees of freedom: with fewer, its small-sample correction
    J = 1 - 3 / (4 df - 1) is zero or negative (df = 1/2 turned g = +1.4 into -5.3; groups of one gave 11.3)."""
    if measure != "g":
        return
    rows = inputs.index

    def refuse(column, mask, what):
        if mask.any():
            raise InputError(what, file=source, column=column, rows=rows[mask.to_numpy()].tolist())

    uses_groups = inputs.isin(["means", "counts", "proportions"]) | (inputs.isin(["t", "f"]) & _has(numbers, "n_treated", rows))
    for column in ("n_treated", "n_control"):
        if column in numbers:
            refuse(column, uses_groups & (numbers[column] < 2),
                   "each group needs at least 2 people for a standardised mean difference (Hedges' g)")
    if "df" in numbers:
        from_df = inputs.isin(["t", "f"]) & ~(_has(numbers, "n_treated", rows) & _has(numbers, "n_control", rows))
        refuse("df", from_df & (numbers["df"] < 2),
               "df must be at least 2: below it Hedges' correction J = 1 - 3/(4 df - 1) is zero or negative and "
               "flips the sign of the effect (check the df the paper reports)")
    if "n_total" in numbers:
        refuse("n_total", (inputs == "r") & (numbers["n_total"] < 4),
               "a correlation converted to Hedges' g needs at least 4 people")


def _check_plausible(yi, vi, inputs: pd.Series, measure: str, rows: pd.Index, source: str) -> None:
    """Refuse effects no study gives: they come from typos, and one of them can decide the pooled result."""
    limit = MAX_ABS_EFFECT[measure]
    huge = np.abs(yi) > limit
    if huge.any():
        shown = ", ".join(f"{v:.4g}" for v in yi[huge][:3])
        raise InputError(f"implausible effect size(s) {shown} (|{measure}| > {limit:g}); check these rows for a typo "
                         "or a value on another scale", file=source, column="yi" if (inputs[huge] == "effect").all()
                         else None, rows=rows[huge].tolist())
    tiny = vi < MIN_VARIANCE
    if tiny.any():
        raise InputError(f"implausibly small sampling variance (below {MIN_VARIANCE:g}, as if from billions of "
                         "people); check these rows for a typo", file=source,
                         column="vi" if (inputs[tiny] == "effect").all() else None, rows=rows[tiny].tolist())


def _check_columns(frame: pd.DataFrame, moderators: list[Moderator], ignore: list[str], source: str) -> None:
    known = list(COLUMNS) + [m.name for m in moderators]
    unknown = [c for c in frame.columns if c not in known and c not in ignore]
    if unknown:
        hints = [f"'{c}': did you mean '{closest(c, known)}'?" for c in unknown if closest(c, known)]
        raise InputError(
            f"unknown column{'s' if len(unknown) > 1 else ''}. {' '.join(hints)} Columns are listed in "
            "data/meta/README.md; use a column as a moderator with --moderator NAME (or NAME=level1,level2), "
            "or leave it out with --ignore NAME", file=source, column=", ".join(unknown),
        )
    for moderator in moderators:
        if moderator.name not in frame.columns:
            raise InputError("moderator column is missing", file=source, column=moderator.name)
    if "study_id" not in frame.columns:
        raise InputError("column is missing (every row needs a study id)", file=source, column="study_id")


def _blank(values: pd.Series) -> pd.Series:
    return values.isna() | (values.astype(str).str.strip() == "")


def _required_text(frame: pd.DataFrame, column: str, source: str) -> pd.Series:
    missing = _blank(frame[column])
    if missing.any():
        raise InputError("value is missing", file=source, column=column, rows=frame.index[missing].tolist())
    return frame[column].astype(str).str.strip()


def _levels(frame: pd.DataFrame, column: str, levels, source: str, allow_missing: bool = False) -> pd.Series:
    values = frame[column]
    missing = _blank(values)
    if missing.any() and not allow_missing:
        raise InputError(f"value is missing; expected one of: {', '.join(levels)}", file=source, column=column,
                         rows=frame.index[missing].tolist())
    text = values.astype(str).str.strip()
    unknown = ~missing & ~text.isin(levels)
    if unknown.any():
        found = list(dict.fromkeys(text[unknown]))
        hints = [f"'{m}' for '{f}'" for f in found[:3] if (m := closest(f, levels))]
        hint = f" (did you mean {', '.join(hints)}?)" if hints else ""
        raise InputError(f"unknown level {', '.join(repr(v) for v in found)}{hint}; expected one of: "
                         f"{', '.join(levels)}", file=source, column=column, rows=frame.index[unknown].tolist())
    return text


def _numeric(frame: pd.DataFrame, column: str, source: str) -> pd.Series:
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & ~_blank(raw)
    if bad.any():
        examples = ", ".join(repr(v) for v in raw[bad].head(3))
        raise InputError(f"values must be numbers (found {examples}){decimal_comma_hint(raw[bad].head(3))}",
                         file=source, column=column, rows=frame.index[bad].tolist())
    return values.astype(float)


def _check_ranges(numbers: dict[str, pd.Series], source: str) -> None:
    def refuse(column, mask, what):
        if mask.any():
            raise InputError(what, file=source, column=column, rows=mask.index[mask].tolist())

    for column, values in numbers.items():
        given = values.notna()
        if column in SIZES:
            refuse(column, given & ((values <= 0) | (values % 1 != 0)), "sample sizes must be whole numbers above zero")
        elif column in POSITIVE:
            refuse(column, given & (values <= 0), "must be above zero")
        elif column in ("events_treated", "events_control"):
            refuse(column, given & ((values < 0) | (values % 1 != 0)), "counts must be whole numbers, zero or more")
        elif column in ("p_treated", "p_control"):
            refuse(column, given & ((values < 0) | (values > 1)), "proportions must lie between 0 and 1")
        elif column == "r":
            refuse(column, given & (values.abs() >= 1), "a correlation must lie strictly between -1 and 1")
        elif column == "f":
            refuse(column, given & (values < 0), "F cannot be negative")
        elif column == "direction":
            refuse(column, given & ~values.isin([1, -1]), "direction must be +1 or -1")
    for group in ("treated", "control"):
        events, n = numbers.get(f"events_{group}"), numbers.get(f"n_{group}")
        if events is not None and n is not None:
            refuse(f"events_{group}", events > n, f"more events than people (n_{group})")
    if "n_total" in numbers:
        refuse("n_total", numbers["n_total"] < 3, "a correlation needs at least 3 people")


def _has(numbers: dict[str, pd.Series], column: str, index: pd.Index) -> pd.Series:
    if column == "groups":
        return (_has(numbers, "n_treated", index) & _has(numbers, "n_control", index)) | _has(numbers, "df", index)
    values = numbers.get(column)
    return values.notna() if values is not None else pd.Series(False, index=index)


def _inputs(frame: pd.DataFrame, numbers: dict[str, pd.Series], measure: str, source: str) -> pd.Series:
    """Which input each row uses: as given, or the first whose columns are all filled."""
    allowed = INPUTS_BY_MEASURE[measure]
    given = _levels(frame, "input", tuple(INPUTS), source, allow_missing=True) if "input" in frame else None
    inputs = pd.Series("", index=frame.index)
    if given is not None:
        inputs = given.where(~_blank(frame["input"]), "")
    complete = {name: pd.concat([_has(numbers, c, frame.index) for c in cols], axis=1).all(axis=1)
                for name, cols in INPUTS.items()}
    for name in reversed(allowed):  # the first allowed complete input wins
        inputs = inputs.mask((inputs == "") & complete[name], name)
    empty = inputs == ""
    if empty.any():
        options = "; ".join(f"{name}: {', '.join(INPUTS[name]).replace('groups', 'n_treated+n_control or df')}"
                            for name in allowed)
        raise InputError(f"no usable effect-size inputs; fill one set of columns ({options})", file=source,
                         rows=frame.index[empty].tolist())
    for name in INPUTS:
        rows = inputs == name
        if name not in allowed and rows.any():
            raise InputError(f"input '{name}' cannot give a {measure} effect; use one of: {', '.join(allowed)}",
                             file=source, column="input", rows=frame.index[rows].tolist())
        for column in INPUTS[name]:
            lacking = rows & ~_has(numbers, column, frame.index)
            if lacking.any():
                what = "n_treated and n_control, or df" if column == "groups" else column
                raise InputError(f"input '{name}' needs {what}, which is missing", file=source,
                                 column=None if column == "groups" else column, rows=frame.index[lacking].tolist())
    return inputs


def _effect_sizes(inputs: pd.Series, numbers: dict[str, pd.Series], measure: str) -> tuple[np.ndarray, np.ndarray]:
    """yi and vi for every row from the columns its input names; NaN where the numbers give none."""
    get = {c: numbers[c].to_numpy() if c in numbers else np.full(len(inputs), np.nan) for c in NUMERIC}
    n1, n2 = get["n_treated"], get["n_control"]
    with np.errstate(all="ignore"):
        from_df = _group_sizes(n1, n2, get["df"])
        if measure == "log_rr":
            candidates = {
                "counts": es.log_risk_ratio(get["events_treated"], n1, get["events_control"], n2),
                "proportions": es.log_risk_ratio(get["p_treated"] * n1, n1, get["p_control"] * n2, n2),
            }
        elif measure == "md":
            candidates = {"means": es.mean_difference(get["mean_treated"], get["sd_treated"], n1,
                                                      get["mean_control"], get["sd_control"], n2)}
        else:
            candidates = {
                "means": es.d_from_means(get["mean_treated"], get["sd_treated"], n1,
                                         get["mean_control"], get["sd_control"], n2),
                "t": es.d_from_t(get["t"], *from_df),
                "f": es.d_from_f(get["f"], *from_df, get["direction"]),
                "r": es.d_from_r(get["r"], get["n_total"]),
                "counts": es.d_from_counts(get["events_treated"], n1, get["events_control"], n2),
                "proportions": es.d_from_proportions(get["p_treated"], n1, get["p_control"], n2),
            }
            total = {name: n1 + n2 for name in candidates} | {"t": sum(from_df), "f": sum(from_df), "r": get["n_total"]}
            candidates = {name: es.hedges_g(d, v, total[name] - 2) for name, (d, v) in candidates.items()}
        candidates["effect"] = (get["yi"], get["vi"])
    yi, vi = np.full(len(inputs), np.nan), np.full(len(inputs), np.nan)
    for name, (y, v) in candidates.items():
        rows = (inputs == name).to_numpy()
        yi[rows], vi[rows] = y[rows], v[rows]
    return yi, vi


def _group_sizes(n1, n2, df) -> tuple[np.ndarray, np.ndarray]:
    """Group sizes for t and F: as given, else equal halves of df + 2."""
    half1, half2 = es.equal_groups_from_df(df)
    given = np.isfinite(n1) & np.isfinite(n2)
    return np.where(given, n1, half1), np.where(given, n2, half2)


def _moderator(frame: pd.DataFrame, moderator: Moderator, source: str) -> pd.Series:
    if moderator.is_numeric:
        values = _numeric(frame, moderator.name, source)
        if values.isna().any():
            raise InputError("moderator value is missing", file=source, column=moderator.name,
                             rows=frame.index[values.isna()].tolist())
        return values.to_numpy()
    text = _levels(frame, moderator.name, moderator.levels, source)
    return pd.Categorical(text, categories=list(moderator.levels))
