"""A PyMC model's graph drawn with matplotlib alone: no graphviz `dot` binary, no networkx.

`pm.model_to_graphviz` needs the system program `dot`; the notebooks must show their models wherever
they run, so this module reads the same structure from `pymc.model_graph.ModelGraph` (which variables
depend on which, each one's distribution and dims) and lays it out in rows: a variable sits one row
below the lowest of its parents, so priors are at the top and the data at the bottom.

    fig = plot_model_graph(model)     # a matplotlib Figure (not pyplot's); notebooks end a cell with it
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pymc as pm
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch
from pymc.model_graph import ModelGraph, NodeType, get_node_type, random_variable_symbol

#: How each kind of node is drawn: (face colour, box style, line style). Observed data shaded, as in
#: the usual plate notation; deterministic values in square boxes; potentials (log-likelihood terms
#: added by hand, such as the integrated likelihood) dashed.
_LOOK = {
    NodeType.FREE_RV: ("white", "round,pad=0.35", "solid"),
    NodeType.OBSERVED_RV: ("#d9d9d9", "round,pad=0.35", "solid"),
    NodeType.DETERMINISTIC: ("white", "square,pad=0.35", "solid"),
    NodeType.DATA: ("#eeeeee", "square,pad=0.35", "solid"),
    NodeType.POTENTIAL: ("white", "round,pad=0.35", "dashed"),
}
_KIND_LABEL = {NodeType.DETERMINISTIC: "Deterministic", NodeType.DATA: "Data", NodeType.POTENTIAL: "Potential"}


class GraphFigure(Figure):
    """A matplotlib Figure that shows itself as an image in a notebook. A Figure made outside pyplot is shown
    as an image only once pyplot has been imported (that is when the inline backend registers its display
    hook): notebooks 06-08 draw their model's graph before any other figure, and stored it as the text
    `<Figure size ...>`."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()


@dataclass(frozen=True)
class GraphNode:
    """One named variable of a model: its kind, its distribution (or kind, if it has none) and its dims."""

    name: str
    kind: NodeType
    label: str        # e.g. "Normal", "Deterministic"
    dims: tuple[str, ...]  # e.g. ("experiment=4", "recovery_level=2"); empty for a scalar


def graph_structure(model: pm.Model) -> tuple[list[GraphNode], list[tuple[str, str]]]:
    """The model's named variables and its (parent, child) edges, as `pm.model_to_graphviz` would draw them."""
    graph = ModelGraph(model)
    names = list(graph.vars_to_plot())
    dim_lengths = {dim: int(length.eval()) for dim, length in model.dim_lengths.items()}
    nodes = []
    for name in names:
        kind = get_node_type(name, model)
        variable = model[name]
        if kind in (NodeType.FREE_RV, NodeType.OBSERVED_RV):
            label = random_variable_symbol(variable)
        else:
            label = _KIND_LABEL[kind]
        dims = model.named_vars_to_dims.get(name)
        if dims:
            shown = tuple(f"{dim}={dim_lengths[dim]}" for dim in dims)
        else:  # no named dims: show the shape, if any
            shown = tuple(str(n) for n in variable.shape.eval())
        nodes.append(GraphNode(name, kind, label, shown))
    edges = [(parent, child) for child, parents in graph.make_compute_graph().items() for parent in parents]
    return nodes, edges


def _rows(nodes: list[GraphNode], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Row of each node: 0 for a node without parents, else one more than its lowest parent's row."""
    parents: dict[str, list[str]] = {node.name: [] for node in nodes}
    for parent, child in edges:
        parents[child].append(parent)
    row: dict[str, int] = {}

    def depth(name: str, seen: tuple[str, ...] = ()) -> int:
        if name in seen:  # a model graph is acyclic; say so rather than recurse forever
            raise ValueError(f"the model graph has a cycle through {name}")
        if name not in row:
            row[name] = 1 + max((depth(p, seen + (name,)) for p in parents[name]), default=-1)
        return row[name]

    for node in nodes:
        depth(node.name)
    return row


def _text(node: GraphNode) -> str:
    return f"{node.name}\n{node.label}" + (f"\n[{', '.join(node.dims)}]" if node.dims else "")


def plot_model_graph(model: pm.Model, title: str | None = None, width: float = 11.0) -> Figure:
    """Draw the model's variables (name, distribution, dims) and arrows from each parent to its children."""
    nodes, edges = graph_structure(model)
    if not nodes:
        raise ValueError("the model has no named variables to draw")
    row = _rows(nodes, edges)
    n_rows = max(row.values()) + 1
    by_row: dict[int, list[GraphNode]] = {}
    for node in nodes:
        by_row.setdefault(row[node.name], []).append(node)
    # Within a row, keep the order in which the model defines its variables (how a reader meets them).
    # Each node gets horizontal room in proportion to its longest line, so that long names do not overlap.
    position = {}
    for r, members in by_row.items():
        room = [max(len(line) for line in _text(node).splitlines()) + 6 for node in members]
        left = 0.0
        for node, width in zip(members, room):
            position[node.name] = ((left + width / 2) / sum(room), 1.0 - (r + 0.5) / n_rows)
            left += width

    # A Figure outside pyplot: a notebook shows it once, by ending a cell with it, and nothing needs closing.
    fig = GraphFigure(figsize=(width, 1.25 * n_rows + (0.4 if title else 0.0)))
    ax = fig.subplots()
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    texts = {}
    for node in nodes:
        face, box, line = _LOOK[node.kind]
        texts[node.name] = ax.text(
            *position[node.name], _text(node), ha="center", va="center", fontsize=8, zorder=3,
            bbox=dict(boxstyle=box, facecolor=face, edgecolor="black", linestyle=line),
        )
    for parent, child in edges:
        ax.annotate("", xy=position[child], xytext=position[parent], zorder=4,
                    arrowprops=dict(arrowstyle="-|>", color="#444444", shrinkA=0, shrinkB=0,
                                    patchA=texts[parent].get_bbox_patch(), patchB=texts[child].get_bbox_patch()))
    if title:
        ax.set_title(title, fontsize=10)
    legend = [FancyBboxPatch((0, 0), 1, 1, boxstyle=_LOOK[kind][1], facecolor=_LOOK[kind][0], edgecolor="black",
                             linestyle=_LOOK[kind][2], label=label)
              for kind, label in [(NodeType.FREE_RV, "random (sampled)"), (NodeType.OBSERVED_RV, "observed"),
                                  (NodeType.DETERMINISTIC, "computed"), (NodeType.DATA, "data"),
                                  (NodeType.POTENTIAL, "log-likelihood term")]
              if any(node.kind == kind for node in nodes)]
    ax.legend(handles=legend, loc="lower right", fontsize=7, frameon=False, bbox_to_anchor=(1.0, -0.05))
    return fig
