"""The README's figure table is complete and points at functions that exist."""

import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
ROW = re.compile(r"^\| `figures/(?P<file>[^`]+)` \| `(?P<notebook>[^`]+)` \| `(?P<function>paradox\.[\w.]+)` \|", re.M)


def _rows():
    return {m["file"]: m for m in ROW.finditer(README)}


def test_every_committed_figure_is_in_the_table():
    listed = set(_rows())
    on_disk = {p.name for p in (ROOT / "figures").glob("*.png")}
    assert on_disk, "figures/ is empty: run `make reproduce`"
    assert on_disk <= listed, f"figures missing from README.md: {sorted(on_disk - listed)}"


def test_every_listed_figure_names_a_real_function_and_notebook():
    for file, row in _rows().items():
        module, _, name = row["function"].rpartition(".")
        assert hasattr(importlib.import_module(module), name), row["function"]
        assert (ROOT / "notebooks" / f"{row['notebook']}.ipynb").exists(), row["notebook"]


def test_readme_gives_both_commands():
    assert "make test" in README and "make reproduce" in README


def test_the_verdict_table_is_the_committed_one():
    """The README's verdict table shows results/verdicts.csv as it is (one column per method)."""
    import pandas as pd

    table = pd.read_csv(ROOT / "results" / "verdicts.csv")
    start = README.index("<!-- verdict table:")
    rows = [line for line in README[start:].split("\n\n")[0].splitlines() if line.startswith("| H")]
    shown = {(cells[0], method): verdict
             for cells in ([c.strip() for c in row.strip("|").split("|")] for row in rows)
             for method, verdict in zip(("ordinal", "gaussian", "welch"), cells[3:6])}
    committed = {(r.hypothesis, r.method): r.verdict for r in table.itertuples()}
    assert shown == committed
    p_claim = {row.split("|")[1].strip(): row.split("|")[-2].strip() for row in rows}
    assert p_claim == {r.hypothesis: f"{r.p_claim:.3f}" for r in table[table["method"] == "ordinal"].itertuples()}
