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
