"""The experimental design, read from an editable YAML file (data/design/).

The design says which experiments there are (one per moderator of the paradox), which
cells each has, the satisfaction scale, and the assumptions of the synthetic survey.
Models and hypotheses read cell roles from here, so an edited design flows everywhere.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from paradox.data import Survey, SurveySpec
from paradox.errors import InputError
from paradox.settings import DATA_DIR
from paradox.verdict import DECISION_PROBABILITY, ROPE_LOGIT, ROPE_POINTS, DecisionRule
from paradox.yamlfile import load_yaml

DEFAULT_DESIGN = DATA_DIR / "design" / "magnini2007_design.yaml"

#: The three between-subject cells of every experiment, in model order (the control first).
NO_FAILURE = "no_failure"
RECOVERY_LEVELS = ("recovery_favourable", "recovery_unfavourable")
CELLS = (NO_FAILURE, *RECOVERY_LEVELS)

#: Column names of the survey file the design describes.
RESPONDENT = "respondent_id"
EXPERIMENT = "experiment"
CELL = "cell"
LEVEL = "level"


#: How the cells of an SRP study are laid out (the design file's `layout`; README, "Layouts"):
#: separate   one experiment per moderator, each with its own no-failure control (the cells of CELLS, in
#:            columns `experiment` and `cell`; the default, and the committed design's);
#: shared_control  one no-failure control for several moderators;
#: factorial  a crossed design (e.g. severity x recovery quality), with or without a no-failure arm;
#: within_subject  the same respondent in several cells (e.g. after one and after two failures).
#: Every layout but `separate` names its cells (column `cell` of the survey) and, per hypothesis, which cell is
#: "failure + recovery at the favourable level", which at the unfavourable one, and which is "no failure".
LAYOUTS = ("separate", "shared_control", "factorial", "within_subject")


@dataclass(frozen=True)
class Experiment:
    """One hypothesis's test: delta_L = satisfaction(cell of level L) - satisfaction(control cell), L favourable or
    unfavourable. In the separate layout the cells are the experiment's own (CELLS); otherwise named."""

    moderator: str
    hypothesis: str
    statement: str
    favourable: str
    unfavourable: str
    n_per_cell: int
    control_cell: str = NO_FAILURE
    favourable_cell: str = RECOVERY_LEVELS[0]
    unfavourable_cell: str = RECOVERY_LEVELS[1]

    def level_of(self, cell: str) -> str:
        """The moderator level a cell stands for ('-' for the no-failure control)."""
        return {self.control_cell: "-", self.favourable_cell: self.favourable,
                self.unfavourable_cell: self.unfavourable}[cell]

    @property
    def cells(self) -> tuple[str, str, str]:
        """(control, favourable, unfavourable) cell."""
        return self.control_cell, self.favourable_cell, self.unfavourable_cell


@dataclass(frozen=True)
class Simulation:
    seed: int
    respondent_sd: float
    cutpoints: tuple[float, ...]
    item_shift: dict[str, float]
    effects: dict[str, dict[str, float]]


@dataclass(frozen=True)
class Decision:
    """The decision rule of every verdict (paradox.verdict): one decision probability, and the region of
    practical equivalence on the latent (logit) scale and in scale points."""

    probability: float = DECISION_PROBABILITY
    rope_logit: float = ROPE_LOGIT
    rope_points: float = ROPE_POINTS


@dataclass(frozen=True)
class Design:
    path: Path
    citation: str
    setting: str
    scale_points: int
    items: dict[str, str]
    experiments: tuple[Experiment, ...]
    simulation: Simulation
    decision: Decision = Decision()
    layout: str = "separate"
    #: The cells of a named-cell layout (every layout but `separate`), in model order.
    cells: tuple[str, ...] = CELLS

    @property
    def named_cells(self) -> bool:
        """Whether the survey's cells are the design's named cells (column `cell` alone), not experiment x CELLS."""
        return self.layout != "separate"

    def rule(self, scale: str) -> DecisionRule:
        """The decision rule for effects on `scale`: "logit" (ordinal model) or "points" (Gaussian, Welch)."""
        rope = {"logit": self.decision.rope_logit, "points": self.decision.rope_points}[scale]
        return DecisionRule(rope=rope, probability=self.decision.probability)

    @property
    def moderators(self) -> list[str]:
        return [e.moderator for e in self.experiments]

    def experiment(self, moderator: str) -> Experiment:
        for e in self.experiments:
            if e.moderator == moderator:
                return e
        raise KeyError(f"no experiment for moderator {moderator!r}; the design has {self.moderators}")

    def table(self) -> "pd.DataFrame":
        """The experiments as a table: hypothesis, moderator, levels and cell size."""
        import pandas as pd

        return pd.DataFrame(
            [(e.hypothesis, e.moderator, e.favourable, e.unfavourable, e.n_per_cell) for e in self.experiments],
            columns=["hypothesis", "moderator", "favourable level", "unfavourable level", "n per cell"],
        ).set_index("hypothesis")

    def survey_spec(self, min_cell_size: int = 2) -> SurveySpec:
        """How a survey file with this design is laid out (wide: one row per respondent; within subject, one row
        per respondent and cell)."""
        if self.named_cells:
            return SurveySpec(
                respondent=RESPONDENT, items=tuple(self.items), scale=(1, self.scale_points),
                factors={CELL: self.cells}, min_cell_size=min_cell_size,
                within_respondent=(CELL,) if self.layout == "within_subject" else (),
            )
        return SurveySpec(
            respondent=RESPONDENT,
            items=tuple(self.items),
            scale=(1, self.scale_points),
            factors={EXPERIMENT: tuple(self.moderators), CELL: CELLS},
            min_cell_size=min_cell_size,
        )


def load_design(path: str | Path = DEFAULT_DESIGN) -> Design:
    """Read and check a design file; a missing or malformed key is an InputError naming it."""
    path = Path(path)
    raw = load_yaml(path, "design file")

    def get(mapping, key, where):
        if not isinstance(mapping, dict) or key not in mapping:
            raise InputError("missing key", file=path, column=f"{where}{key}")
        value = mapping[key]
        # Fields annotated with their source are {value: ..., source: ...}.
        return value["value"] if isinstance(value, dict) and "value" in value else value

    study, scale, sim = get(raw, "study", ""), get(raw, "scale", ""), get(raw, "simulation", "")
    layout = str(raw.get("layout", "separate"))
    if layout not in LAYOUTS:
        raise InputError(f"unknown layout {layout!r} (known: {', '.join(LAYOUTS)})", file=path, column="layout")
    cells = CELLS
    if layout != "separate":
        cells = tuple(str(c) for c in get(raw, "cells", ""))
        if len(set(cells)) != len(cells) or not cells:
            raise InputError("needs a list of distinct cell names", file=path, column="cells")
    experiments = tuple(_experiment(e, i, layout, cells, path, get) for i, e in enumerate(get(raw, "experiments", "")))
    items = {str(k): str(v) for k, v in get(scale, "items", "scale.").items()}
    points = int(get(scale, "points", "scale."))
    cutpoints = tuple(float(c) for c in get(sim, "cutpoints", "simulation."))
    if len(cutpoints) != points - 1 or list(cutpoints) != sorted(cutpoints):
        raise InputError(f"needs {points - 1} increasing cutpoints for a {points}-point scale", file=path,
                         column="simulation.cutpoints")
    raw_effects = get(sim, "effects", "simulation.")
    if layout == "separate":
        effects = {str(m): {str(c): float(v) for c, v in by_cell.items()} for m, by_cell in raw_effects.items()}
        for e in experiments:
            if set(effects.get(e.moderator, {})) != set(RECOVERY_LEVELS):
                raise InputError(f"needs one effect for each of {', '.join(RECOVERY_LEVELS)}", file=path,
                                 column=f"simulation.effects.{e.moderator}")
    else:  # named cells: one latent effect per cell
        effects = {"cells": {str(c): float(v) for c, v in raw_effects.items()}}
        if set(effects["cells"]) != set(cells):
            raise InputError(f"needs one effect for each cell ({', '.join(cells)})", file=path,
                             column="simulation.effects")
    item_shift = {str(k): float(v) for k, v in get(sim, "item_shift", "simulation.").items()}
    decision = _decision(raw.get("decision", {}), path)
    if set(item_shift) != set(items):
        raise InputError(f"needs one shift for each item ({', '.join(items)})", file=path, column="simulation.item_shift")
    return Design(
        path=path,
        citation=str(get(study, "citation", "study.")),
        setting=str(get(study, "setting", "study.")),
        scale_points=points,
        items=items,
        experiments=experiments,
        simulation=Simulation(
            seed=int(get(sim, "seed", "simulation.")),
            respondent_sd=float(get(sim, "respondent_sd", "simulation.")),
            cutpoints=cutpoints,
            item_shift=item_shift,
            effects=effects,
        ),
        decision=decision,
        layout=layout,
        cells=cells,
    )


def _experiment(e, i: int, layout: str, cells: tuple[str, ...], path: Path, get) -> Experiment:
    """One entry of `experiments`; in a named-cell layout with its `cells: {control, favourable, unfavourable}`,
    each a cell of the design. An experiment without a control is refused, naming it."""
    where = f"experiments[{i}]."
    fields = {key: str(get(e, key, where)) for key in ("moderator", "hypothesis", "statement", "favourable", "unfavourable")}
    fields["n_per_cell"] = int(get(e, "n_per_cell", where))
    if layout == "separate":
        return Experiment(**fields)
    roles = get(e, "cells", where)
    if not isinstance(roles, dict) or not roles.get("control"):
        raise InputError(f"experiment {fields['moderator']} ({fields['hypothesis']}) has no control cell: the paradox "
                         "is judged against satisfaction without a failure; name it (cells: {control: ...})",
                         file=path, column=f"{where}cells.control")
    named = {}
    for role in ("control", "favourable", "unfavourable"):
        cell = str(get(roles, role, f"{where}cells."))
        if cell not in cells:
            raise InputError(f"experiment {fields['moderator']}: {role} cell {cell!r} is not a cell of the design "
                             f"({', '.join(cells)})", file=path, column=f"{where}cells.{role}")
        named[f"{role}_cell"] = cell
    if len(set(named.values())) != 3:
        raise InputError(f"experiment {fields['moderator']}: control, favourable and unfavourable must be three "
                         "different cells", file=path, column=f"{where}cells")
    return Experiment(**fields, **named)


def check_controls(survey: Survey, design: Design | None = None) -> None:
    """Refuse (InputError naming the experiment, file and column) an experiment of the survey without
    respondents in its no-failure control, or in one of its recovery cells: without the control the paradox
    (recovery against no failure) would be decided by the priors alone, and the hypothesis compares both
    recovery levels with it. Zero-weight rows count as nobody. design None: the separate layout's cells
    (experiment x CELLS); an experiment of the design the survey does not have at all is left out."""
    respondents = survey.respondents
    if survey.spec.weight:
        respondents = respondents[respondents[survey.spec.weight] > 0]
    for label, control, recoveries, present in _experiment_cells(respondents, design):
        if control not in present:
            raise InputError(f"experiment {label} has no respondents in its no-failure control cell {control!r}: "
                             "its recovery effects would be decided by the priors alone, so it gets no verdict; "
                             "add its control group, or leave the experiment out", file=survey.source, column=CELL)
        missing = [c for c in recoveries if c not in present]
        if missing:
            raise InputError(f"experiment {label} has no respondents in cell(s) {', '.join(map(repr, missing))}: "
                             "its hypothesis compares both recovery levels with the control, so it gets no "
                             "verdict; add those groups, or leave the experiment out", file=survey.source, column=CELL)


def _experiment_cells(respondents, design: Design | None):
    """(label, control cell, recovery cells, cells with respondents) of each experiment the survey has."""
    if design is None or not design.named_cells:
        present = respondents.groupby(EXPERIMENT, observed=True)[CELL].agg(lambda c: set(c.astype(str)))
        for experiment, cells in present.items():
            yield experiment, NO_FAILURE, RECOVERY_LEVELS, cells
        return
    present = set(respondents[CELL].astype(str))
    for e in design.experiments:
        recoveries = (e.favourable_cell, e.unfavourable_cell)
        if set(recoveries) & present:  # else an experiment the survey does not have
            yield f"{e.moderator} ({e.hypothesis})", e.control_cell, recoveries, present


def _decision(raw, path: Path) -> Decision:
    """The optional `decision` section; each key defaults to paradox.verdict's value."""
    try:
        return decision_from(raw)
    except ValueError as error:
        raise InputError(str(error), file=path, column="decision") from None


def decision_from(raw, base: Decision = Decision()) -> Decision:
    """A Decision from a mapping of some of probability, rope_logit, rope_points (the rest from `base`);
    ValueError naming the key when one is unknown or out of range."""
    known = [f.name for f in dataclasses.fields(Decision)]
    if not isinstance(raw, dict):
        raise ValueError(f"the decision rule must be a mapping of {', '.join(known)}")
    values = {}
    for key, value in raw.items():
        if key not in known:
            raise ValueError(f"unknown decision key {key!r} (known: {', '.join(known)})")
        value = value["value"] if isinstance(value, dict) and "value" in value else value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"decision {key} must be a number, not {value!r}")
        values[key] = float(value)
    decision = dataclasses.replace(base, **values)
    DecisionRule(rope=decision.rope_logit, probability=decision.probability)
    DecisionRule(rope=decision.rope_points, probability=decision.probability)
    return decision


def experiment_survey(survey: Survey, moderator: str) -> Survey:
    """The part of an SRP survey that belongs to one experiment (one moderator)."""
    keep = survey.answers[EXPERIMENT] == moderator
    if not keep.any():
        raise KeyError(f"the survey has no respondents in experiment {moderator!r}")
    return Survey(
        answers=survey.answers[keep].reset_index(drop=True),
        respondents=survey.respondents[survey.respondents[EXPERIMENT] == moderator].reset_index(drop=True),
        spec=survey.spec,
        source=survey.source,
        missing=survey.missing,
    )


CELL_STATISTICS_COLUMNS = ("experiment", "cell", "n", "mean", "sd")


def load_cell_statistics(path: str | Path, design: Design) -> "pd.DataFrame":
    """Read a table of cell statistics (experiment, cell, n, mean, sd of respondents' scale means),
    e.g. typed in from a paper, for `paradox.models.srp.gaussian_model`. Checked row by row."""
    import pandas as pd

    from paradox.data import read_table

    table = read_table(path)
    missing = [c for c in CELL_STATISTICS_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(f"column is missing (needs {', '.join(CELL_STATISTICS_COLUMNS)})", file=path, column=missing[0])

    def bad(mask, column, message):
        if mask.any():
            raise InputError(message, file=path, column=column, rows=table.index[mask].tolist())

    bad(~table["experiment"].isin(design.moderators), "experiment", f"unknown experiment; expected one of {', '.join(design.moderators)}")
    bad(~table["cell"].isin(CELLS), "cell", f"unknown cell; expected one of {', '.join(CELLS)}")
    for column in ("n", "mean", "sd"):
        table[column] = pd.to_numeric(table[column], errors="coerce")
        bad(table[column].isna(), column, "must be a number")
    bad((table["n"] < 2) | (table["n"] % 1 != 0), "n", "must be a whole number of at least 2")
    bad(table["sd"] <= 0, "sd", "must be positive")
    bad((table["mean"] < 1) | (table["mean"] > design.scale_points), "mean", f"must lie on the scale 1..{design.scale_points}")
    bad(table.duplicated(["experiment", "cell"], keep=False), "cell", "each experiment and cell must appear once")
    for experiment, group in table.groupby("experiment"):
        if set(group["cell"]) != set(CELLS):
            raise InputError(f"experiment {experiment} needs all three cells ({', '.join(CELLS)})", file=path, column="cell",
                             rows=group.index.tolist())
    return table.reset_index(drop=True)
