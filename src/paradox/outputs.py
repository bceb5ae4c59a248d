"""Output folders a run owns: checked before the work, written all at once, never destructive.

`output_dir(out, ...)` is used by every command that writes a folder (`paradox fit`, `paradox meta`):

* Before any work: `out` is refused when it is empty (`--out ""`), the current folder or one that
  contains it, the input file, its folder or a folder above it, a file, or a folder holding files
  paradox did not write; a previous paradox output is replaced only with `overwrite`. The run then
  takes a lock beside `out` (a second run to the same `out` is refused while the first runs) and
  creates its temporary folder, which proves `out`'s filesystem can be written.
* The run writes into that temporary folder, which lies on `out`'s filesystem (beside `out`, or
  inside it when it exists and may be a mount point), so that the final moves are renames.
* On success the files move into `out`; MANIFEST names the files the output owns, so that a later
  `overwrite` replaces those and nothing else. On any failure, Ctrl-C included, the temporary folder,
  the lock and any parent folder the run created are removed: nothing is left anywhere.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path
from typing import Iterable, Iterator

from paradox import interrupt
from paradox.errors import InputError

#: The file in an output folder that names the files it owns (sorted, no timestamps: re-runs give the same bytes).
MANIFEST = ".paradox-output.json"
PARTIAL_PREFIX = ".paradox-partial-"
LOCK = ".paradox-lock"


def _out_error(message: str, out) -> InputError:
    return InputError(f"--out {out if str(out) else chr(34) * 2}: {message}")


def _files_in(folder: Path) -> list[str]:
    """Every file below `folder`, as relative POSIX paths, sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir())


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_out(out: str | os.PathLike, *, command: str, inputs: Iterable[str | os.PathLike] = (),
              may_write: Iterable[str] = (), overwrite: bool = False) -> list[str]:
    """Refuse an `out` the run must not write to; return the files a previous output there owns.

    `may_write` are the files the command can write (relative paths): a folder without a MANIFEST
    that holds only such files is taken as an output written before manifests existed.
    """
    if str(out).strip() == "":
        raise _out_error("is empty (an unset shell variable?); give the folder to create for the results", out)
    path = Path(out).expanduser().resolve()
    if _is_within(Path.cwd().resolve(), path):
        raise _out_error("is the current folder, or a folder that contains it; give a new folder for the "
                         "results, e.g. --out results/my_run", out)
    for given in inputs:
        source = Path(given).expanduser().resolve()
        if path == source:
            raise _out_error(f"is the input file {given}; give a new folder for the results", out)
        if _is_within(source, path):
            raise _out_error(f"is the folder of the input {given}, or a folder above it; give a new folder "
                             "for the results, e.g. a subfolder", out)
    if path.exists() and not path.is_dir():
        raise _out_error("must be a directory, but a file of that name exists", out)
    if not path.exists():
        return []
    try:
        files = _files_in(path)
    except OSError as exc:
        raise _out_error(f"cannot be read ({exc.strerror or exc})", out) from None
    # A run killed outright (kill -9) can leave its temporary folder and lock file; they are no one's output.
    present = [f for f in files if f != LOCK and not f.split("/")[0].startswith(PARTIAL_PREFIX)]
    if not present:
        return []
    owned = _owned(path, command, may_write, present)
    if owned is None:
        shown = ", ".join(present[:5]) + (f" and {len(present) - 5} more" if len(present) > 5 else "")
        raise _out_error(f"exists and holds files paradox {command} did not write ({shown}); nothing was changed. "
                         "Give a new folder (it is created), or an empty one", out)
    if not overwrite:
        raise _out_error(f"holds the output of an earlier paradox {command} run; add --overwrite to replace it "
                         "(only the files that run wrote are replaced), or give a new folder", out)
    clash = sorted((set(present) - set(owned)) & set(may_write))
    if clash:
        raise _out_error(f"holds {', '.join(clash)}, which the earlier run did not write and this one would "
                         "replace; move them away first", out)
    return owned


def _owned(path: Path, command: str, may_write: Iterable[str], present: list[str]) -> list[str] | None:
    """The files a previous output of `command` in `path` owns, or None if it is not one."""
    manifest = path / MANIFEST
    if manifest.is_file():
        try:
            record = json.loads(manifest.read_text())
            if record.get("paradox") == command:
                return [f for f in record["files"] if isinstance(f, str)] + [MANIFEST]
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            pass
        return None
    may_write = set(may_write)
    return present if may_write and set(present) <= may_write else None


@contextlib.contextmanager
def _lock(out: Path) -> Iterator[None]:
    """An exclusive lock on `out`, refused at once (not waited for) when another run holds it.

    The lock file lies in `out` when it exists (its parent may be read-only, as for a mounted
    volume), else beside it; flock is released by the system if the process dies.
    """
    lock_path = out / LOCK if out.is_dir() else out.parent / f".{out.name}{LOCK}"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _out_error("another paradox run is writing to this folder right now; wait for it to finish, "
                             "or give another folder", out) from None
        # The file may have been removed by the run that held it, after we opened it: then it is not ours.
        try:
            ours = os.stat(lock_path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            ours = False
        if not ours:
            raise _out_error("another paradox run has just finished writing to this folder; run again", out)
        try:
            yield
        finally:
            with contextlib.suppress(FileNotFoundError):
                lock_path.unlink()
    finally:
        os.close(fd)


def _make_parents(folder: Path) -> list[Path]:
    """Create `folder` and its missing parents; return the ones created, deepest last."""
    missing = [p for p in [folder, *folder.parents] if not p.exists()][::-1]
    created = []
    for p in missing:
        try:
            p.mkdir()
        except FileExistsError:
            continue
        created.append(p)
    return created


def _move(source: Path, target: Path) -> None:
    """Rename; copy then delete only if the filesystem refuses a rename (a bind mount)."""
    try:
        os.replace(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        shutil.copy2(source, target)
        source.unlink()


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C back while files move, so that `out` is never left half-replaced."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _commit(tmp: Path, out: Path, command: str, owned: list[str]) -> None:
    """Move the files of `tmp` into `out`; then remove the previous output's files this one does not rewrite."""
    new = _files_in(tmp)
    (tmp / MANIFEST).write_text(json.dumps({"paradox": command, "files": new}, indent=1) + "\n")
    if not out.exists():
        try:
            os.rename(tmp, out)  # the usual case: one rename, `out` appears complete or not at all
            return
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            out.mkdir()  # a filesystem that refuses even this rename: move file by file below
    for rel in new:
        if (out / rel).exists() and rel not in owned:
            raise _out_error(f"{rel} appeared in the folder while this run worked; nothing was changed", out)
    for rel in [*new, MANIFEST]:  # the manifest last: it says the output is complete
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        _move(tmp / rel, target)
    for rel in sorted(set(owned) - set(new) - {MANIFEST}):
        with contextlib.suppress(FileNotFoundError):
            (out / rel).unlink()
        for parent in (out / rel).parents:  # folders the old output made that are empty now
            if parent == out:
                break
            with contextlib.suppress(OSError):
                parent.rmdir()


@contextlib.contextmanager
def output_dir(out: str | os.PathLike, *, command: str, inputs: Iterable[str | os.PathLike] = (),
               may_write: Iterable[str] = (), overwrite: bool = False) -> Iterator[Path]:
    """Check `out`, lock it and yield a temporary folder whose files replace the output in `out` only
    if the block succeeds. See the module notes for what is refused and what is cleaned up."""
    owned = check_out(out, command=command, inputs=inputs, may_write=may_write, overwrite=overwrite)
    out = Path(out).expanduser().absolute()
    created: list[Path] = []
    try:
        with contextlib.ExitStack() as stack:
            try:
                created = _make_parents(out.parent)
                stack.enter_context(_lock(out))
                # Inside `out` when it exists: it may be a mount point, on another filesystem than its parent.
                inside = out.is_dir()
                tmp = Path(tempfile.mkdtemp(prefix=PARTIAL_PREFIX if inside else f".{out.name}{PARTIAL_PREFIX}",
                                            dir=out if inside else out.parent))
                umask = os.umask(0)
                os.umask(umask)
                tmp.chmod(0o777 & ~umask)  # mkdtemp's 0700 would become the output folder's mode
            except OSError as exc:
                raise _out_error(f"cannot be written ({exc.strerror or exc}); give a folder you can write to",
                                 out) from None
            stack.callback(shutil.rmtree, tmp, ignore_errors=True)
            yield tmp
            interrupt.check()  # a Ctrl-C that a library swallowed still means: write nothing
            with _signals_deferred():
                _commit(tmp, out, command, owned)
    finally:
        for folder in reversed(created):  # parents this run made, unless the output is in them now
            with contextlib.suppress(OSError):
                folder.rmdir()
