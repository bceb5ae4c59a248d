"""The synthetic stand-in for Magnini et al.'s (2007) respondent data, which we do not have.

`simulate_survey` draws one row per respondent (wide layout, like a survey export) from the
generative model written out in the design file's `simulation` section: a latent satisfaction
per respondent, shifted by the cell's effect, read through item-specific ordered-logit
thresholds. The same design and seed give the same file, byte for byte.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from paradox.design import CELL, CELLS, DEFAULT_DESIGN, EXPERIMENT, LEVEL, NO_FAILURE, RESPONDENT, Design, load_design
from paradox.errors import InputError
from paradox.settings import DATA_DIR

DEFAULT_OUTPUT = DATA_DIR / "synthetic" / "magnini2007_synthetic_survey.csv"


def simulate_survey(design: Design, seed: int | None = None) -> pd.DataFrame:
    """One row per respondent: id, experiment, cell, moderator level, and one answer per item. A named-cell
    layout (design.layout): `simulate_layout`."""
    if design.named_cells:
        return simulate_layout(design, seed)
    sim = design.simulation
    rng = np.random.default_rng(sim.seed if seed is None else seed)
    cutpoints = np.asarray(sim.cutpoints)
    shifts = np.array([sim.item_shift[item] for item in design.items])
    rows = []
    for experiment in design.experiments:
        for cell in CELLS:
            effect = 0.0 if cell == NO_FAILURE else sim.effects[experiment.moderator][cell]
            latent = effect + sim.respondent_sd * rng.standard_normal(experiment.n_per_cell)
            answers = ordered_answers(latent, rng.logistic(size=(experiment.n_per_cell, len(shifts))), cutpoints, shifts)
            for answer_row in answers:
                rows.append((experiment.moderator, cell, experiment.level_of(cell), *answer_row))
    frame = pd.DataFrame(rows, columns=[EXPERIMENT, CELL, LEVEL, *design.items])
    frame.insert(0, RESPONDENT, [f"R{i:04d}" for i in range(1, len(frame) + 1)])
    return frame


def simulate_layout(design: Design, seed: int | None = None) -> pd.DataFrame:
    """A survey of a named-cell layout from its `simulation` section (effects per cell): each cell gets the
    largest n_per_cell of the design's experiments. Between subjects one row per respondent (id, cell, answers);
    within subject (layout within_subject) that many respondents, each rated in every cell, one row per
    respondent and cell, with one latent intercept per respondent."""
    sim = design.simulation
    rng = np.random.default_rng(sim.seed if seed is None else seed)
    cutpoints = np.asarray(sim.cutpoints)
    shifts = np.array([sim.item_shift[item] for item in design.items])
    n = max(e.n_per_cell for e in design.experiments)
    within = design.layout == "within_subject"
    person = sim.respondent_sd * rng.standard_normal(n) if within else None
    frames = []
    for k, cell in enumerate(design.cells):
        intercept = person if within else sim.respondent_sd * rng.standard_normal(n)
        answers = ordered_answers(sim.effects["cells"][cell] + intercept, rng.logistic(size=(n, len(shifts))),
                                  cutpoints, shifts)
        ids = [f"R{i + 1:04d}" if within else f"R{k * n + i + 1:04d}" for i in range(n)]
        frames.append(pd.DataFrame({RESPONDENT: ids, CELL: cell, **dict(zip(design.items, answers.T))}))
    return pd.concat(frames, ignore_index=True)


def ordered_answers(latent: np.ndarray, noise: np.ndarray, cutpoints: np.ndarray, item_shifts: np.ndarray) -> np.ndarray:
    """Answers (respondents x items, 1 = lowest) of the ordered-logit generator: each answer counts how many
    of its item's thresholds (cutpoints + the item's shift) the respondent's latent value plus the answer's
    logistic noise (respondents x items) passes."""
    noisy = np.asarray(latent)[:, None] + noise
    thresholds = np.asarray(cutpoints)[None, None, :] + np.asarray(item_shifts)[None, :, None]
    return 1 + (noisy[:, :, None] > thresholds).sum(axis=2)


def write_synthetic_survey(
    design_path: str | Path = DEFAULT_DESIGN, out: str | Path = DEFAULT_OUTPUT, seed: int | None = None
) -> Path:
    """Simulate from the design file and write the CSV (Unix line ends, so bytes match everywhere)."""
    frame = simulate_survey(load_design(design_path), seed=seed)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".partial")
    frame.to_csv(tmp, index=False, lineterminator="\n")
    tmp.replace(out)
    return out


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="regenerate the synthetic survey from the design file",
        description="Draw the synthetic survey (a stand-in for data we do not have) from the "
        "generative model in the design file. Same design and seed, same bytes.",
    )
    parser.add_argument("--design", default=DEFAULT_DESIGN, type=Path, help="design YAML (default: %(default)s)")
    parser.add_argument("--out", default=DEFAULT_OUTPUT, type=Path, help="output CSV (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=None, help="override the design file's simulation.seed")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    if not str(args.out).strip() or args.out.is_dir():
        raise InputError(f"--out {args.out}: must name the CSV file to write (it is empty, or a folder)")
    if args.seed is not None and args.seed < 0:
        raise InputError(f"--seed must be 0 or more, not {args.seed}")
    path = write_synthetic_survey(args.design, args.out, args.seed)
    print(f"wrote {path}")
    return 0
