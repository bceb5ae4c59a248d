"""The rows of finished tasks, one JSON file per task, so that a study interrupted at any point resumes
where it stopped.

    DIR/study.json              what the rows depend on (Study.fingerprint); a different study is refused, the
                                same study with scenarios added takes the stored rows over
    DIR/rows/<task key>.json    one finished task: its rows

Each file is written to a temporary name and renamed, so a file that exists is complete; a task is
never written twice (that would mean it was fitted twice).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pandas as pd

from paradox.studies.tasks import Study, Task, judged_at


class StudyMismatch(ValueError):
    """The directory holds the rows of a different study."""


def _write_atomically(path: Path, text: str) -> None:
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _extends(study: dict, stored: dict) -> bool:
    """Whether the study (fingerprint) is the stored one with scenarios added: every other entry equal and every
    stored scenario kept as it was. A task's rows depend on its own scenario alone (its seeds come from the master
    seed, the scenario's name and the replicate), so the stored rows stay valid."""
    others = {k: v for k, v in study.items() if k != "scenarios"}
    stored_others = {k: v for k, v in stored.items() if k != "scenarios"}
    kept = all(study["scenarios"].get(name) == definition for name, definition in stored["scenarios"].items())
    return others == stored_others and kept


class ResultStore:
    def __init__(self, directory: str | Path, study: Study):
        self.directory = Path(directory)
        self.rows_dir = self.directory / "rows"
        self.study = study
        fingerprint = study.fingerprint_json()
        stamp = self.directory / "study.json"
        if stamp.exists() and stamp.read_text() != fingerprint:
            if not _extends(json.loads(fingerprint), json.loads(stamp.read_text())):
                raise StudyMismatch(
                    f"{self.directory}: holds the rows of a different study (its study.json differs from this "
                    "study's method, settings, design or scenarios); use another directory, or delete this one "
                    "to start again")
            _write_atomically(stamp, fingerprint)  # the same study with more scenarios: its rows stay valid
        elif not stamp.exists():
            self.rows_dir.mkdir(parents=True, exist_ok=True)
            _write_atomically(stamp, fingerprint)
        self.rows_dir.mkdir(exist_ok=True)

    def _path(self, task: Task) -> Path:
        return self.rows_dir / f"{task.key}.json"

    def done(self) -> set[str]:
        """Keys of the finished tasks."""
        return {p.stem for p in self.rows_dir.glob("*.json")}

    def write(self, task: Task, rows: list[dict]) -> None:
        path = self._path(task)
        if path.exists():
            raise FileExistsError(f"{path}: task {task.key} was already stored (fitted twice?)")
        _write_atomically(path, json.dumps(rows, indent=0))

    def table(self) -> pd.DataFrame:
        """Every stored row, ordered by scenario, replicate and moderator, its verdict judged at the study's decision
        probability (`judged_at`: a row keeps the verdict of the probability it was fitted under, which the
        fingerprint leaves out, so that a new probability needs no refit)."""
        rows = [row for p in sorted(self.rows_dir.glob("*.json")) for row in json.loads(p.read_text())]
        if not rows:
            return pd.DataFrame()
        table = pd.DataFrame(rows).sort_values(["scenario", "replicate", "moderator"], kind="stable")
        return table.assign(verdict=judged_at(table, self.study.decision_rule.probability)).reset_index(drop=True)
