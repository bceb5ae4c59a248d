"""The committed notebooks as a student opens them: every figure stored as an image, within a size budget, and
every figure drawn from data that are not real saying so on itself."""

import json
import re

import pytest

from paradox.settings import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: Largest committed notebook (README, "Notebooks"): figures are stored at screen resolution, not dropped.
SIZE_BUDGET_BYTES = 2_000_000
#: How a matplotlib figure that was not rendered shows up in a stored output.
FIGURE_AS_TEXT = re.compile(r"^<\w*Figure size [\d.]+x[\d.]+ with \d+ Axes>$")
#: A figure saved by a notebook cell: save(<figure>, FIGURES, name).
SAVED_FIGURE = re.compile(r"\bsave\(\w+, FIGURES, (f?\"[^\"]+\")\)")
#: Figures drawn from no data at all, which say so in their title (the schematic of notebook 00).
NO_DATA = {'"00_paradox_concept"'}


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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_ends_with_the_whole_watermark(path):
    """The last cell records what the numbers depend on: the sampler (nutpie), the plotting libraries and the
    checksum of constraints.txt, the file that pins every version."""
    source = "".join(json.loads(path.read_text(encoding="utf-8"))["cells"][-1]["source"])
    for needed in ("%watermark", "nutpie", "arviz_plots", "matplotlib", "constraints.txt"):
        assert needed in source, f"{path.name}: the last cell's watermark lacks {needed}"


def test_the_check_finds_a_figure_stored_as_text():
    assert FIGURE_AS_TEXT.match("<Figure size 2900x415 with 1 Axes>")
    assert FIGURE_AS_TEXT.match("<GraphFigure size 2900x415 with 1 Axes>")
    assert not FIGURE_AS_TEXT.match("SamplerSettings(draws=1000)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_figure_from_invented_data_says_so_on_itself(path):
    """Every notebook draws on synthetic, simulated or illustrative data (the paper's data are not available),
    and a figure may be seen without its notebook: the cell that saves it also writes the data's source on it
    (`note_source`, or the figure function's `caption`)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for number, cell in enumerate(cells):
        source = "".join(cell["source"])
        for name in SAVED_FIGURE.findall(source):
            if name not in NO_DATA:
                assert "note_source(" in source or "caption=" in source, \
                    f"{path.name}, cell {number}: figure {name} is saved without saying where its data come from"


def test_the_check_sees_every_committed_figure():
    """Every figure in figures/ is saved by a notebook cell the check above reads."""
    assert SAVED_FIGURE.findall('note_source(fig, X)\nsave(fig, FIGURES, "08_meta_forest")') == ['"08_meta_forest"']
    names = [name for path in NOTEBOOKS for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]
             for name in SAVED_FIGURE.findall("".join(cell["source"]))]
    patterns = [re.compile(re.sub(r"\\{\w+\\}", ".+", re.escape(name.lstrip("f").strip('"'))) + "$") for name in names]
    unseen = [p.stem for p in (ROOT / "figures").glob("*.png") if not any(pattern.match(p.stem) for pattern in patterns)]
    assert not unseen and len(names) > 30


#: A function definition at the start of a printed line: the start of a source listing (`inspect.getsource`).
PRINTED_DEF = re.compile(r"^def (\w+)\(", re.MULTILINE)
#: Where the functions whose source the notebooks print live.
SOURCE_MODULES = ("paradox.models.srp", "paradox.models.ordinal", "paradox.models.regression", "paradox.models.terms",
                  "paradox.meta.model")


def printed_sources(path) -> list[tuple[int, str, str]]:
    """(cell number, function name, stored text) for each function whose source a cell prints."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    found = []
    for number, cell in enumerate(cells):
        if "inspect.getsource" not in "".join(cell.get("source", "")):
            continue
        stored = "".join("".join(o.get("text", "")) for o in cell.get("outputs", []) if o.get("name") == "stdout")
        found += [(number, name, stored) for name in PRINTED_DEF.findall(stored)]
    return found


def current_source(name: str) -> str:
    import importlib
    import inspect

    owners = [m for m in map(importlib.import_module, SOURCE_MODULES)
              if inspect.isfunction(getattr(m, name, None)) and getattr(m, name).__module__ == m.__name__]
    assert len(owners) == 1, f"{name}: defined in {len(owners)} of {', '.join(SOURCE_MODULES)}"
    return inspect.getsource(getattr(owners[0], name))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_printed_model_code_is_the_current_code(path):
    """A notebook that shows a model's code (inspect.getsource) must show the code as it is: these cells are not
    compared by nbval (fast mode re-executes them, but only NBVAL_CHECK_OUTPUT cells are compared), so an edit of
    the function would leave the committed notebook teaching the old code. Re-execute the notebook after such an
    edit (`make notebooks NOTEBOOKS=notebooks/<name>.ipynb`)."""
    for number, name, stored in printed_sources(path):
        assert current_source(name) in stored, (
            f"{path.name}, cell {number}: the printed source of {name} is not the current code; re-execute it")


def test_the_source_check_finds_the_printed_functions():
    """Notebooks 02, 06, 07 and 08 print their models' code; the check sees each listing."""
    names = {p.stem[:2]: {name for _, name, _ in printed_sources(p)} for p in NOTEBOOKS}
    assert {"ordinal_model", "_recovery_effects", "gaussian_model"} <= names["02"]
    assert {"_build_ordinal", "linear_predictor"} <= names["07"] and "build_model" in names["08"]
    assert "_recovery_effects" in names["06"]
