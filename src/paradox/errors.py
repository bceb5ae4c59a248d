"""Errors for bad input: one type, whose message names the file, the column and the rows."""

from __future__ import annotations

import os
from typing import Sequence

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
