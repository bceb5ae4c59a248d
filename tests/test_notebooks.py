"""The committed notebooks as a student opens them: every figure stored as an image, within a size budget."""

import json
import re

import pytest

from paradox.settings import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: Largest committed notebook (README, "Notebooks"): figures are stored at screen resolution, not dropped.
SIZE_BUDGET_BYTES = 2_000_000
#: How a matplotlib figure that was not rendered shows up in a stored output.
FIGURE_AS_TEXT = re.compile(r"^<\w*Figure size [\d.]+x[\d.]+ with \d+ Axes>$")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_notebook_stays_within_its_size_budget(path):
    assert path.stat().st_size < SIZE_BUDGET_BYTES, f"{path.name}: {path.stat().st_size:,} bytes"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_figure_is_stored_as_an_image(path):
    """A figure whose only stored output is "<Figure size ...>" is invisible on a code host or in a course."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for number, cell in enumerate(cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            text = "".join(data.get("text/plain", ""))
            if FIGURE_AS_TEXT.match(text.strip()):
                assert "image/png" in data, f"{path.name}, cell {number}: {text.strip()} stored without its image"


def test_the_check_finds_a_figure_stored_as_text():
    assert FIGURE_AS_TEXT.match("<Figure size 2900x415 with 1 Axes>")
    assert FIGURE_AS_TEXT.match("<GraphFigure size 2900x415 with 1 Axes>")
    assert not FIGURE_AS_TEXT.match("SamplerSettings(draws=1000)")
