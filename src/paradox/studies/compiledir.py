"""A pytensor compile directory of its own for each worker process.

pytensor's compile cache (and numba's, which lives in it) is not safe to share between processes that
compile at the same time, and pytensor reads its directory once, when it is first imported. So before
a worker imports pytensor it claims a slot, `<base>/dask-worker-<i>`, by holding an exclusive lock on
a file in it for as long as the process lives: two live workers never share a slot, and a later
worker reuses a slot a finished one left, with its warm cache (a cold numba cache costs 20-55 s per
model). <base> is the base_compiledir of PYTENSOR_FLAGS in the worker's environment, or ~/.pytensor.
Each claim adds to the slot the entries of <base>'s numba cache it lacks (`paradox.numba_cache`), where
the process that starts the study has usually compiled the same operations already (copies of whole
files, so nothing is shared).

`fit_task` claims a slot itself before anything imports pytensor, so workers need no set-up; for
workers of your own cluster you may also claim it at start-up: `dask worker ADDRESS --preload
paradox.studies.compiledir`.
"""

from __future__ import annotations

import fcntl
import os
import sys
import threading
from pathlib import Path

from paradox.numba_cache import NUMBA_SUBDIR, add_missing_entries

_lock = threading.Lock()
_claimed: tuple[Path, object] | None = None  # (directory, the open lock file: closing it frees the slot)


def _flags(env: dict) -> dict[str, str]:
    return dict(f.split("=", 1) for f in env.get("PYTENSOR_FLAGS", "").split(",") if "=" in f)


def claim_compile_dir(env: dict | None = None) -> Path:
    """Claim this process's compile directory (once) and point PYTENSOR_FLAGS at it; returns it.

    Raises RuntimeError if pytensor was imported before: its directory can no longer change.
    """
    global _claimed
    env = os.environ if env is None else env
    with _lock:
        if _claimed is not None:
            return _claimed[0]
        if "pytensor" in sys.modules:
            raise RuntimeError("pytensor was imported before this worker claimed its own compile directory; "
                               "start workers with `--preload paradox.studies.compiledir`, or do not import "
                               "pytensor in them before the study's first task")
        flags = _flags(env)
        base = Path(flags.get("base_compiledir", Path.home() / ".pytensor")).expanduser()
        for slot in range(10_000):
            directory = base / f"dask-worker-{slot}"
            directory.mkdir(parents=True, exist_ok=True)
            handle = open(directory / ".claimed-by-a-live-process", "w")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            add_missing_entries(base / NUMBA_SUBDIR, directory / NUMBA_SUBDIR)
            flags["base_compiledir"] = str(directory)
            env["PYTENSOR_FLAGS"] = ",".join(f"{k}={v}" for k, v in flags.items())
            _claimed = (directory, handle)
            return directory
        raise RuntimeError(f"no free compile directory under {base}")


def dask_setup(worker=None) -> None:
    """Dask's preload hook (`dask worker --preload paradox.studies.compiledir`)."""
    claim_compile_dir()
