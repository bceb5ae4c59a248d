"""paradox.model_graph: the structure read from a model, and the figure drawn from it without graphviz."""

import io

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pymc as pm  # noqa: E402
import pytest  # noqa: E402
from pymc.model_graph import NodeType  # noqa: E402

from paradox import model_graph  # noqa: E402
from paradox.design import experiment_survey  # noqa: E402
from paradox.models import srp  # noqa: E402


def _small_model() -> pm.Model:
    with pm.Model(coords={"group": ["a", "b"], "row": np.arange(4)}) as model:
        mu = pm.Normal("mu", 0.0, 1.0, dims="group")
        sigma = pm.HalfNormal("sigma", 1.0)
        doubled = pm.Deterministic("doubled", 2 * mu, dims="group")
        pm.Normal("y", doubled[[0, 0, 1, 1]], sigma, observed=np.zeros(4), dims="row")
    return model


def test_structure_names_every_variable_its_kind_distribution_dims_and_edges():
    nodes, edges = model_graph.graph_structure(_small_model())
    by_name = {node.name: node for node in nodes}
    assert set(by_name) == {"mu", "sigma", "doubled", "y"}
    assert by_name["mu"] == model_graph.GraphNode("mu", NodeType.FREE_RV, "Normal", ("group=2",))
    assert by_name["sigma"].label == "Halfnormal" and by_name["sigma"].dims == ()
    assert by_name["doubled"].kind == NodeType.DETERMINISTIC
    assert by_name["y"].kind == NodeType.OBSERVED_RV and by_name["y"].dims == ("row=4",)
    assert sorted(edges) == [("doubled", "y"), ("mu", "doubled"), ("sigma", "y")]


def test_figure_draws_one_box_per_variable_in_rows_parents_above_children():
    fig = model_graph.plot_model_graph(_small_model(), title="small")
    ax = fig.axes[0]
    boxes = {t.get_text().splitlines()[0]: t for t in ax.texts if t.get_text()}
    assert set(boxes) == {"mu", "sigma", "doubled", "y"}
    height = {name: text.get_position()[1] for name, text in boxes.items()}
    assert height["mu"] > height["doubled"] > height["y"] and height["sigma"] > height["y"]
    arrows = [child for child in ax.get_children() if isinstance(child, matplotlib.text.Annotation)]
    assert len(arrows) == 3  # one per edge
    fig.savefig(io.BytesIO(), format="png")


def test_the_paradox_models_draw(survey):
    one = experiment_survey(survey, "severity")
    for model in (srp.ordinal_model(one, pooled=False), srp.ordinal_model(one, pooled=False, integrate_respondents=True),
                  srp.gaussian_model(srp.cell_statistics(one), scale_points=7, pooled=False)):
        nodes, edges = model_graph.graph_structure(model)
        assert {node.name for node in nodes} >= {"recovery_effect"}
        assert any(child == "recovery_effect" or parent == "recovery_effect" for parent, child in edges)
        model_graph.plot_model_graph(model).savefig(io.BytesIO(), format="png")


def test_a_model_without_variables_is_an_error():
    with pytest.raises(ValueError, match="no named variables"):
        model_graph.plot_model_graph(pm.Model())


def test_a_notebook_shows_the_graph_as_an_image_before_pyplot_is_imported():
    """IPython's display machinery asks an object for `_repr_png_` when no printer is registered for its type
    (the inline backend registers one for Figure only once pyplot is imported): notebooks 06-08 stored their
    graph as the text "<Figure size ...>" without it."""
    from IPython.core.formatters import PNGFormatter

    png = PNGFormatter()(model_graph.plot_model_graph(_small_model()))  # a fresh formatter: nothing registered
    assert png is not None and png[:8] == b"\x89PNG\r\n\x1a\n"
