"""The synthetic survey: reproducible byte for byte, and shaped by the design's assumptions."""

import dataclasses

import pandas as pd

from paradox.cli import main
from paradox.design import CELLS
from paradox.simulate import DEFAULT_OUTPUT, simulate_survey, write_synthetic_survey


def test_regenerating_reproduces_the_committed_file_byte_for_byte(tmp_path):
    out = write_synthetic_survey(out=tmp_path / "survey.csv")
    assert out.read_bytes() == DEFAULT_OUTPUT.read_bytes()


def test_command_line_writes_the_same_bytes(tmp_path):
    out = tmp_path / "survey.csv"
    assert main(["simulate", "--out", str(out)]) == 0
    assert out.read_bytes() == DEFAULT_OUTPUT.read_bytes()


def test_another_seed_gives_other_data(design):
    assert not simulate_survey(design, seed=1).equals(simulate_survey(design))


def test_layout_follows_the_design(design):
    frame = simulate_survey(design)
    assert list(frame.columns) == ["respondent_id", "experiment", "cell", "level", *design.items]
    assert frame["respondent_id"].is_unique
    sizes = frame.groupby(["experiment", "cell"]).size()
    for e in design.experiments:
        for cell in CELLS:
            assert sizes[(e.moderator, cell)] == e.n_per_cell
    answers = frame[list(design.items)]
    assert answers.min().min() >= 1 and answers.max().max() <= design.scale_points


def test_flipping_an_effect_flips_the_cell_means(design):
    """The directions in the design drive the data: swap H1's two effects and its cell means swap order."""
    def cell_means(d):
        frame = simulate_survey(d)
        frame["mean"] = frame[list(d.items)].mean(axis=1)
        return frame[frame["experiment"] == "severity"].groupby("cell")["mean"].mean()

    effects = {**design.simulation.effects}
    fav, unfav = effects["severity"]["recovery_favourable"], effects["severity"]["recovery_unfavourable"]
    effects["severity"] = {"recovery_favourable": unfav, "recovery_unfavourable": fav}
    flipped = dataclasses.replace(design, simulation=dataclasses.replace(design.simulation, effects=effects))
    before, after = cell_means(design), cell_means(flipped)
    assert before["recovery_favourable"] > before["no_failure"] > before["recovery_unfavourable"]
    assert after["recovery_favourable"] < after["no_failure"] < after["recovery_unfavourable"]


def test_answers_are_whole_numbers_in_csv():
    frame = pd.read_csv(DEFAULT_OUTPUT)
    assert all(pd.api.types.is_integer_dtype(frame[c]) for c in ("sat_1", "sat_2", "sat_3"))
