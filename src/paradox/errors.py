"""Errors for bad input, and writing outputs so that nothing is left half-written."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator, Sequence

#: Exit status of the command line for bad input.
EXIT_BAD_INPUT = 2
#: How many offending rows an error message lists.
MAX_ROWS_SHOWN = 5


class InputError(ValueError):
    """Bad user input: names the file, the column and the first offending rows.

    Row numbers are as a spreadsheet shows them: the header is row 1, so the first
    answer is row 2 (extra header rows of an export shift this, and are counted).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | os.PathLike | None = None,
        column: str | None = None,
        rows: Sequence[int] | None = None,
    ):
        self.file = str(file) if file is not None else None
        self.column = column
        self.rows = list(rows) if rows is not None else []
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"file {self.file}")
        if self.column:
            where.append(f"column '{self.column}'")
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:MAX_ROWS_SHOWN])
            more = f" (and {len(self.rows) - MAX_ROWS_SHOWN} more)" if len(self.rows) > MAX_ROWS_SHOWN else ""
            where.append(f"row{'s' if len(self.rows) > 1 else ''} {shown}{more}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


@contextlib.contextmanager
def atomic_output_dir(out: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary directory whose files move into `out` only if the block succeeds.

    On any exception the temporary directory is removed and `out` is left as it
    was (not created if it did not exist), so a failed run leaves nothing partial.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    created = not out.exists()
    out.mkdir(exist_ok=True)
    try:
        for item in tmp.iterdir():
            target = out / item.name
            if target.is_dir():
                shutil.rmtree(target)
            os.replace(item, target)
    except BaseException:
        if created:
            shutil.rmtree(out, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
