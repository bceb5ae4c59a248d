"""Sharing numba's compile cache between pytensor compile directories, by copying whole entries.

pytensor compiles each operation of a model with numba and keeps the result in `<compiledir>/numba`, one
entry per operation named by a hash of its generated source: an index file (`*.nbi`) and one data file
per compiled signature (`*.nbc`). The names do not depend on the directory, so an entry compiled in one
directory is valid in any other. A cold entry costs about a second to compile; a model has dozens, so a
model compiled with an empty cache takes 60-80 s against 10-16 s with a warm one (notebook 09's plan model,
2026-11-26). nutpie's callbacks are stored there too (paradox.models.nutpie_callbacks) and copied in the same
way.

Processes must not share one compile directory (pytensor's cache is not safe for processes compiling at the
same time), so each has its own, and `add_missing_entries` copies into it what another directory has
compiled already. It never changes a file the target has: only absent files are added, each written under a
temporary name and renamed, so a reader sees whole files or none. numba writes an entry's data files before
its index, so the indexes are listed first and copied last: every copied index finds its data.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

#: pytensor's numba cache inside a compile directory.
NUMBA_SUBDIR = "numba"


def add_missing_entries(source: Path, target: Path) -> int:
    """Copy into the numba cache directory `target` every file of `source` it lacks; returns how many.

    A file that vanishes or fails to copy is skipped (the entry is compiled again: slower, never wrong).
    """
    if not source.is_dir():
        return 0
    indexes = list(source.rglob("*.nbi"))   # before the data files: theirs exist by then
    data = list(source.rglob("*.nbc"))
    added = 0
    for path in data + indexes:
        destination = target / path.relative_to(source)
        if destination.exists():
            continue
        partial = destination.with_name(f".{path.name}.{os.getpid()}.partial")
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, partial)
            os.replace(partial, destination)
            added += 1
        except OSError:
            partial.unlink(missing_ok=True)
    return added
