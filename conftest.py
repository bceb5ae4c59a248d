"""Compile directories of `make test`'s worker processes; loaded for every unit, notebook or test module.

`make test` runs the suite in two worker processes (pytest-xdist). pytensor's compile cache is not safe to
share between processes that compile at the same time, so each worker, and the notebook kernels it starts
(they inherit its environment), gets a compile directory of its own. This must happen before pytensor is
first imported, hence at the top of this file. Before each notebook or test module, a worker copies in what
the other worker has compiled since (`paradox.numba_cache`): an operation one worker has compiled is not
compiled again by the other.

This file sits at the root, not in tests/, because pytest calls a conftest's hooks only for the items under
its directory: in tests/ (until 2026-11-27) the copy never ran before a notebook, the units that compile most.
"""

import os
from pathlib import Path


def _own_compile_directory(env: dict) -> Path | None:
    """Point PYTENSOR_FLAGS at this worker's own directory, <base>/pytest-<worker>; returns <base>."""
    worker = env.get("PYTEST_XDIST_WORKER")
    if not worker:
        return None
    flags = dict(f.split("=", 1) for f in env.get("PYTENSOR_FLAGS", "").split(",") if "=" in f)
    base = Path(flags.get("base_compiledir", Path.home() / ".pytensor")).expanduser()
    flags["base_compiledir"] = str(base / f"pytest-{worker}")
    env["PYTENSOR_FLAGS"] = ",".join(f"{k}={v}" for k, v in flags.items())
    return base


_COMPILE_BASE = _own_compile_directory(os.environ)

import pytest  # noqa: E402

from paradox.numba_cache import NUMBA_SUBDIR, add_missing_entries  # noqa: E402

_last_file: list = [None]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """At the first item of each file, before a notebook's kernel starts: nothing of this worker compiles now
    (the previous notebook's kernel and any test's subprocesses have ended), so its numba cache can take the
    other workers' entries."""
    if _COMPILE_BASE is None or item.path == _last_file[0]:
        return
    _last_file[0] = item.path
    own = _COMPILE_BASE / f"pytest-{os.environ['PYTEST_XDIST_WORKER']}"
    for other in sorted(_COMPILE_BASE.glob("pytest-*")):
        if other != own:
            add_missing_entries(other / NUMBA_SUBDIR, own / NUMBA_SUBDIR)
