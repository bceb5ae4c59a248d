"""Figures. Each function draws one figure from fitted results and returns the matplotlib Figure;
`save` writes it where the run settings say (figures/ in full mode, build/ in fast mode), with the numbers it
draws (`paradox.figures.numbers`) as a CSV of the same name beside the PNG, which `paradox.figure_check` compares.

Modules: `srp` (the paradox tests), `meta` (meta-analysis), `regression` (paradox fit).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from paradox.figures.numbers import numbers_of

#: Same look everywhere; no timestamps in the files so a re-run rewrites identical bytes.
STYLE = {"figure.dpi": 110, "savefig.dpi": 110, "axes.spines.top": False, "axes.spines.right": False, "font.size": 10}
PNG_METADATA = {"Software": None}
#: Caption of every figure drawn from the synthetic stand-in: a figure may be seen without its notebook.
SYNTHETIC = "Synthetic stand-in data (paradox.simulate), not Magnini et al.'s"
#: Notebook 07's example export: made-up respondents, not a real replication.
SIMULATED_EXAMPLE = "Simulated example export (data/examples/make_examples.py): made-up respondents"
#: Notebook 08's study table: made-up studies, not de Matos et al.'s or any real paper's.
SIMULATED_META = "Simulated study table (data/meta/srp_meta_example_simulated.csv): made-up studies, not real ones"


def note_source(fig: plt.Figure, text: str) -> plt.Figure:
    """Write where the data come from under the figure (e.g. SYNTHETIC), so it travels with the image."""
    fig.text(0.01, 0.0, text, fontsize=7, style="italic", color="#555555", ha="left", va="top",
             transform=fig.transFigure)
    return fig


def save(fig: plt.Figure, directory: str | Path, name: str) -> Path:
    """Save `fig` as directory/name.png (directory created if needed) and return the path; the numbers it
    draws, when its function attached them, go to directory/name.csv (one row per number, with its mcse)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.png"
    fig.savefig(path, bbox_inches="tight", metadata=PNG_METADATA)
    table = numbers_of(fig)
    if table is not None:
        table = table.assign(figure=name)[["figure", *table.columns.drop("figure", errors="ignore")]]
        table.to_csv(directory / f"{name}.csv", index=False, float_format="%.10g")
    # Let go of pyplot's reference: notebooks show the figure by ending a cell with it.
    plt.close(fig)
    return path
