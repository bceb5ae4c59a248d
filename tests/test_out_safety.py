"""--out is never destructive (paradox.outputs): refused before any work, written all at once,
replaced only with --overwrite and only the files the earlier run wrote; nothing left on failure."""

from __future__ import annotations

import errno
import json
import os

import pytest

from paradox import analysis, interrupt, outputs
from paradox.fit import run as fit_run
from paradox.cli import main
from paradox.errors import EXIT_BAD_INPUT, InputError
from paradox.meta import model as meta_model
from paradox.outputs import MANIFEST, output_dir
from paradox.settings import ROOT

HOUSING = ROOT / "data" / "reference" / "housing.csv"
HOUSING_CONFIG = ROOT / "data" / "examples" / "housing.yaml"
BCG = ROOT / "data" / "reference" / "bcg.csv"
QUICK = ["--draws", "100", "--tune", "100", "--chains", "2"]


def tree(folder) -> dict[str, bytes]:
    """Every file below `folder` (hidden ones too) with its bytes: 'unchanged' means equal trees."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def no_sampling(monkeypatch):
    """Refusals must come before the work: sampling fails the test (status 1, not 2)."""
    def tripwire(*args, **kwargs):
        raise AssertionError("sampled although the run should have been refused first")

    monkeypatch.setattr(fit_run, "sample", tripwire)
    monkeypatch.setattr(meta_model, "sample", tripwire)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A user's project folder, as in the report: data, config, their own figures and notes, a summary.csv."""
    folder = tmp_path / "project"
    (folder / "figures").mkdir(parents=True)
    (folder / "figures" / "fig1_thesis.png").write_bytes(b"\x89PNG thesis figure")
    (folder / "notes.txt").write_text("my notes\n")
    (folder / "summary.csv").write_text("my own summary\n")
    (folder / "survey.csv").write_text(HOUSING.read_text())
    (folder / "analysis.yaml").write_text(HOUSING_CONFIG.read_text())
    (folder / "bcg.csv").write_text(BCG.read_text())
    monkeypatch.chdir(folder)
    return folder


def fit_argv(out, *extra):
    return ["fit", "survey.csv", "--config", "analysis.yaml", "--out", out, *QUICK, *extra]


def meta_argv(out, *extra):
    return ["meta", "bcg.csv", "--measure", "log_rr", "--no-moderators", "--ignore", "latitude", "--out", out,
            *QUICK, *extra]


# --- refused before any work, the folder unchanged ------------------------------------------

REFUSED_OUT = {
    # --out value (relative to the project folder): words the message must have
    ".": "is the current folder",
    "": "is empty (an unset shell variable?)",
    "..": "is the current folder, or a folder that contains it",
    "figures": "holds files paradox",  # an existing folder of the user's
    "survey.csv": "is the input file",
}


@pytest.mark.parametrize("command", ["fit", "meta"])
@pytest.mark.parametrize("out", list(REFUSED_OUT))
def test_destructive_out_is_refused_and_nothing_changes(command, out, project, no_sampling, capsys):
    before = tree(project.parent)
    argv = fit_argv(out) if command == "fit" else meta_argv(out)
    if command == "meta" and out == "survey.csv":
        argv = meta_argv("bcg.csv")  # meta's own input
    status = main(argv)
    err = capsys.readouterr().err
    assert status == EXIT_BAD_INPUT, err
    assert err.startswith(f"paradox {command}: error: --out")
    assert REFUSED_OUT[out] in err, err
    assert len(err.strip().splitlines()) == 1
    assert tree(project.parent) == before


def test_out_is_the_folder_of_the_input_or_above_it(tmp_path, no_sampling, capsys):
    data = tmp_path / "study" / "data" / "bcg.csv"
    data.parent.mkdir(parents=True)
    data.write_text(BCG.read_text())
    before = tree(tmp_path)
    for out in (data.parent, data.parent.parent):
        status = main(["meta", str(data), "--measure", "log_rr", "--ignore", "latitude", "--out", str(out)])
        assert status == EXIT_BAD_INPUT
        assert "is the folder of the input" in capsys.readouterr().err
    assert tree(tmp_path) == before


def test_earlier_output_needs_overwrite(tmp_path, no_sampling, capsys):
    out = tmp_path / "results"
    with output_dir(out, command="fit") as tmp:
        (tmp / "summary.csv").write_text("earlier\n")
    before = tree(tmp_path)
    status = main(["fit", str(HOUSING), "--config", str(HOUSING_CONFIG), "--out", str(out), *QUICK])
    assert status == EXIT_BAD_INPUT
    assert "add --overwrite" in capsys.readouterr().err
    assert tree(tmp_path) == before
    # An output of the other command is not this one's to replace, even with --overwrite.
    status = main(["meta", str(BCG), "--measure", "log_rr", "--ignore", "latitude", "--out", str(out), "--overwrite"])
    assert status == EXIT_BAD_INPUT and "did not write" in capsys.readouterr().err
    assert tree(tmp_path) == before


def test_output_from_before_manifests_is_recognised_by_its_file_names(tmp_path):
    legacy = tmp_path / "old"
    (legacy / "figures").mkdir(parents=True)
    (legacy / "summary.csv").write_text("x")
    (legacy / "figures" / "effects.png").write_bytes(b"png")
    assert outputs.check_out(legacy, command="fit", may_write=analysis.OUTPUT_FILES, overwrite=True) == [
        "figures/effects.png", "summary.csv"]
    (legacy / "figures" / "fig1_thesis.png").write_bytes(b"png")  # a file fit never writes: not an output
    with pytest.raises(InputError, match="did not write"):
        outputs.check_out(legacy, command="fit", may_write=analysis.OUTPUT_FILES, overwrite=True)


def test_what_a_killed_run_leaves_does_not_make_an_output_foreign(tmp_path):
    out = tmp_path / "results"
    with output_dir(out, command="fit") as tmp:
        (tmp / "summary.csv").write_text("old")
    (out / outputs.LOCK).write_text("")  # kill -9: flock is released, the file stays
    (out / f"{outputs.PARTIAL_PREFIX}x1y2").mkdir()
    (out / f"{outputs.PARTIAL_PREFIX}x1y2" / "summary.csv").write_text("half")
    with output_dir(out, command="fit", overwrite=True) as tmp:
        (tmp / "summary.csv").write_text("new")
    assert tree(out)["summary.csv"] == b"new"


def test_a_second_run_to_the_same_out_is_refused_while_the_first_runs(tmp_path, no_sampling, capsys):
    out = tmp_path / "results"
    with output_dir(out, command="fit") as first:  # a first run, from its start to its last file
        (first / "summary.csv").write_text("first run")
        for argv in (["--overwrite"], []):
            status = main(["fit", str(HOUSING), "--config", str(HOUSING_CONFIG), "--out", str(out), *QUICK, *argv])
            assert status == EXIT_BAD_INPUT
            assert "another paradox run is writing to this folder" in capsys.readouterr().err
    assert tree(out)["summary.csv"] == b"first run"  # the first run's results are all there
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]  # the lock went with the first run


def test_out_that_cannot_be_written_is_refused_before_the_work(tmp_path, monkeypatch, no_sampling, capsys):
    # Root may write anywhere, so a read-only filesystem is simulated where the run first writes.
    def read_only(*args, **kwargs):
        raise PermissionError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(outputs.tempfile, "mkdtemp", read_only)
    out = tmp_path / "new" / "results"
    status = main(["fit", str(HOUSING), "--config", str(HOUSING_CONFIG), "--out", str(out), *QUICK])
    err = capsys.readouterr().err
    assert status == EXIT_BAD_INPUT and "cannot be written (Read-only file system)" in err
    assert list(tmp_path.iterdir()) == []  # the parent it created is gone again


# --- the output folder itself ---------------------------------------------------------------


def test_files_appear_at_once_with_a_manifest_of_what_the_run_owns(tmp_path):
    out = tmp_path / "a" / "b"
    with output_dir(out, command="meta") as tmp:
        assert tmp.parent == out.parent and tmp.stat().st_dev == out.parent.stat().st_dev
        (tmp / "pooled.csv").write_text("1\n")
        (tmp / "figs").mkdir()
        (tmp / "figs" / "forest.png").write_bytes(b"png")
        assert not out.exists()
    assert tree(tmp_path) == {"a/b/pooled.csv": b"1\n", "a/b/figs/forest.png": b"png",
                              f"a/b/{MANIFEST}": tree(out)[MANIFEST]}
    assert json.loads((out / MANIFEST).read_text()) == {"paradox": "meta", "files": ["figs/forest.png", "pooled.csv"]}


@pytest.mark.parametrize("failure", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_failure_or_ctrl_c_leaves_nothing_anywhere(tmp_path, failure):
    out = tmp_path / "new" / "results"
    with pytest.raises(type(failure)):
        with output_dir(out, command="fit") as tmp:
            (tmp / "summary.csv").write_text("partial")
            raise failure
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_that_a_library_swallowed_still_writes_nothing(tmp_path, monkeypatch):
    out = tmp_path / "results"
    with pytest.raises(KeyboardInterrupt):
        with output_dir(out, command="fit") as tmp:
            (tmp / "summary.csv").write_text("from draws cut short")
            interrupt._requested.set()  # what the SIGINT handler records; nutpie then returns normally
    interrupt._requested.clear()
    assert list(tmp_path.iterdir()) == []


def test_overwrite_replaces_only_the_files_the_earlier_output_owns(tmp_path):
    out = tmp_path / "results"
    with output_dir(out, command="fit") as tmp:
        (tmp / "summary.csv").write_text("old")
        (tmp / "verdicts.csv").write_text("old")  # not written by the new run: removed
    (out / "notes.txt").write_text("mine")  # the user's: kept
    with output_dir(out, command="fit", overwrite=True) as tmp:
        assert tmp.parent == out  # inside DIR: DIR may be a mount point on another filesystem
        (tmp / "summary.csv").write_text("new")
    assert tree(out) == {"summary.csv": b"new", "notes.txt": b"mine", MANIFEST: tree(out)[MANIFEST]}
    assert json.loads((out / MANIFEST).read_text())["files"] == ["summary.csv"]


@pytest.mark.parametrize("existing", [False, True])
def test_a_filesystem_that_refuses_renames_gets_copies(tmp_path, monkeypatch, existing):
    """`--out` on a mounted volume: the last step must not fail with 'Invalid cross-device link'."""
    out = tmp_path / "results"
    if existing:
        out.mkdir()

    def cross_device(src, dst):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(outputs.os, "rename", cross_device)
    monkeypatch.setattr(outputs.os, "replace", cross_device)
    with output_dir(out, command="fit") as tmp:
        (tmp / "summary.csv").write_text("new")
    assert tree(out) == {"summary.csv": b"new", MANIFEST: tree(out)[MANIFEST]}
    assert [p.name for p in tmp_path.iterdir()] == ["results"]


# --- one real run: --overwrite from the command line ------------------------------------------


def test_overwrite_from_the_command_line_keeps_the_users_files(tmp_path, capsys):
    out = tmp_path / "results"
    with output_dir(out, command="fit") as tmp:  # an earlier run's output
        (tmp / "summary.csv").write_text("old")
        (tmp / "srp_tests.csv").write_text("old")
    (out / "notes.txt").write_text("mine")
    status = main(["fit", str(HOUSING), "--config", str(HOUSING_CONFIG), "--out", str(out), *QUICK, "--overwrite"])
    assert status == 0, capsys.readouterr().err
    files = tree(out)
    assert files["notes.txt"] == b"mine"
    assert "srp_tests.csv" not in files and files["summary.csv"].startswith(b"parameter,mean")
    owned = json.loads(files[MANIFEST])["files"]
    assert set(owned) == set(files) - {"notes.txt", MANIFEST} and "figures/effects.png" in owned
    assert [p.name for p in tmp_path.iterdir()] == ["results"]
    assert os.stat(out).st_mode & 0o777 == 0o777 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
