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


def test_experiment_survey_keeps_one_experiment(survey):
    part = experiment_survey(survey, "stability")
    assert set(part.answers["experiment"]) == {"stability"}
    assert len(part.respondents) == 240
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
