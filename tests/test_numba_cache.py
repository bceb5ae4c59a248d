"""paradox.numba_cache: entries of one compile directory's numba cache copied into another, whole, and
never over a file the target has."""

from paradox.numba_cache import add_missing_entries


def _write(directory, name, text):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(text)


def test_absent_entries_are_copied_and_present_ones_kept(tmp_path):
    source, target = tmp_path / "a" / "numba", tmp_path / "b" / "numba"
    _write(source, "string.add-1_fastmath0.py312.nbi", "index a")
    _write(source, "string.add-1_fastmath0.py312.1.nbc", "data a")
    _write(source, "string.mul-2_fastmath0.py312.nbi", "index of a")
    _write(source, "notes.txt", "not an entry")
    _write(target, "string.mul-2_fastmath0.py312.nbi", "index of b")
    assert add_missing_entries(source, target) == 2
    assert (target / "string.add-1_fastmath0.py312.nbi").read_text() == "index a"
    assert (target / "string.add-1_fastmath0.py312.1.nbc").read_text() == "data a"
    assert (target / "string.mul-2_fastmath0.py312.nbi").read_text() == "index of b"  # never overwritten
    assert sorted(p.name for p in target.iterdir()) == ["string.add-1_fastmath0.py312.1.nbc",
                                                         "string.add-1_fastmath0.py312.nbi",
                                                         "string.mul-2_fastmath0.py312.nbi"]  # no partial files
    assert add_missing_entries(source, target) == 0


def test_a_missing_source_adds_nothing(tmp_path):
    assert add_missing_entries(tmp_path / "none", tmp_path / "target") == 0


def test_entries_in_subdirectories_keep_their_place(tmp_path):
    source, target = tmp_path / "a", tmp_path / "b"
    _write(source / "sub", "entry.nbi", "index")
    assert add_missing_entries(source, target) == 1
    assert (target / "sub" / "entry.nbi").read_text() == "index"


def test_a_worker_takes_the_other_workers_entries_before_a_notebook(tmp_path):
    """The copy before each unit (conftest.py at the root) runs before notebooks too, the units that compile
    most: a conftest in tests/ is not called for items outside tests/, and until 2026-11-27 it sat there."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    notebook_dir = root / "build" / "test-numba-cache"
    notebook_dir.mkdir(parents=True, exist_ok=True)
    notebook = notebook_dir / f"one_cell_{os.getpid()}.ipynb"
    notebook.write_text(json.dumps({"cells": [{"cell_type": "code", "execution_count": None, "metadata": {},
                                               "outputs": [], "source": ["1 + 1"]}],
                                    "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    base = tmp_path / "compile"
    for worker in ("gw0", "gw1"):
        _write(base / f"pytest-{worker}" / "numba" / "x", f"entry-{worker}.nbi", worker)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTENSOR_FLAGS"] = f"base_compiledir={base}"
    try:
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2",
                              "--nbval-lax", "--nbval-current-env", str(notebook.relative_to(root))],
                             cwd=root, env=env, capture_output=True, text=True, timeout=300)
    finally:
        notebook.unlink()
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    copied = {p.parent.parent.parent.name for p in base.glob("pytest-*/numba/x/*.nbi")
              if p.read_text() != p.parent.parent.parent.name.removeprefix("pytest-")}
    assert copied, "no worker took the other's numba cache entries before the notebook"
