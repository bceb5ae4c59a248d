"""The design file: read as stated, and refused with the key named when malformed."""

import pytest
import yaml

from paradox.design import CELLS, DEFAULT_DESIGN, experiment_survey, load_design
from paradox.errors import InputError


def test_four_experiments_with_the_papers_hypotheses(design):
    assert [e.hypothesis for e in design.experiments] == ["H1", "H2", "H3", "H4"]
    assert design.moderators == ["severity", "prior_failure", "stability", "controllability"]
    assert design.experiment("severity").favourable == "low"
    assert design.scale_points == 7 and len(design.items) == 3


def test_survey_spec_matches_the_design(design):
    spec = design.survey_spec()
    assert spec.factors["cell"] == CELLS
    assert spec.scale == (1, 7)


def test_experiment_survey_keeps_one_experiment(survey, design):
    part = experiment_survey(survey, "stability")
    assert set(part.answers["experiment"]) == {"stability"}
    assert len(part.respondents) == 3 * design.experiment("stability").n_per_cell
    with pytest.raises(KeyError):
        experiment_survey(survey, "weather")


def _write_edited(tmp_path, edit):
    raw = yaml.safe_load(DEFAULT_DESIGN.read_text())
    edit(raw)
    path = tmp_path / "design.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize(
    "edit, key",
    [
        (lambda raw: raw["simulation"].pop("respondent_sd"), "simulation.respondent_sd"),
        (lambda raw: raw["simulation"].update(cutpoints=[0.0, 1.0]), "simulation.cutpoints"),
        (lambda raw: raw["simulation"].update(cutpoints=[3, 2, 1, 0, -1, -2]), "simulation.cutpoints"),
        (lambda raw: raw["simulation"]["effects"].pop("stability"), "simulation.effects.stability"),
        (lambda raw: raw["experiments"][1].pop("favourable"), "experiments[1].favourable"),
        (lambda raw: raw["simulation"]["item_shift"].pop("sat_2"), "simulation.item_shift"),
    ],
)
def test_malformed_design_names_the_key(tmp_path, edit, key):
    path = _write_edited(tmp_path, edit)
    with pytest.raises(InputError) as error:
        load_design(path)
    assert error.value.column == key
    assert str(path) in str(error.value)


def test_missing_design_file(tmp_path):
    with pytest.raises(InputError, match="no such design file"):
        load_design(tmp_path / "nope.yaml")


def _cell_table(tmp_path, edit=None):
    rows = [(e, c, 80, 4.5, 1.2) for e in ("severity", "stability")
            for c in ("no_failure", "recovery_favourable", "recovery_unfavourable")]
    frame = __import__("pandas").DataFrame(rows, columns=["experiment", "cell", "n", "mean", "sd"])
    if edit:
        edit(frame)
    path = tmp_path / "cells.csv"
    frame.to_csv(path, index=False)
    return path


def test_cell_statistics_table_is_read(tmp_path, design):
    from paradox.design import load_cell_statistics
    from paradox.models import srp

    table = load_cell_statistics(_cell_table(tmp_path), design)
    assert len(table) == 6
    model = srp.gaussian_model(table, scale_points=design.scale_points)
    assert list(model.coords["experiment"]) == ["severity", "stability"]


@pytest.mark.parametrize(
    "edit, column, row",
    [
        (lambda f: f.loc.__setitem__((2, "sd"), -1.0), "sd", 4),
        (lambda f: f.loc.__setitem__((0, "n"), 1), "n", 2),
        (lambda f: f.loc.__setitem__((5, "cell"), "recovery"), "cell", 7),
        (lambda f: f.loc.__setitem__((1, "experiment"), "weather"), "experiment", 3),
        (lambda f: f.loc.__setitem__((3, "mean"), 9.0), "mean", 5),
    ],
)
def test_bad_cell_statistics_name_column_and_row(tmp_path, design, edit, column, row):
    from paradox.design import load_cell_statistics

    with pytest.raises(InputError) as error:
        load_cell_statistics(_cell_table(tmp_path, edit), design)
    assert error.value.column == column and row in error.value.rows
