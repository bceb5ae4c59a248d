"""Running a study on Dask distributed.

With no scheduler given, a LocalCluster of `workers` processes (one thread each) on this machine; with
`scheduler=ADDRESS` (or PARADOX_SCHEDULER), the same tasks on an existing cluster (dask-jobqueue,
Kubernetes, `dask scheduler` + `dask worker`), whose workers must run the same paradox and Python
packages. Tasks already in the store are skipped; each finished task is stored as soon as it arrives;
a progress bar counts them. Ctrl-C stops submitting, cancels what is queued, stores what finished and
raises StudyInterrupted (a KeyboardInterrupt) saying how to resume.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from distributed import Client, LocalCluster, as_completed
from tqdm import tqdm  # not tqdm.auto: in Jupyter it warns on import without ipywidgets

from paradox.studies.fit_task import fit_task
from paradox.studies.store import ResultStore
from paradox.studies.tasks import Study

SCHEDULER_ENV = "PARADOX_SCHEDULER"


class StudyInterrupted(KeyboardInterrupt):
    """Ctrl-C during a study; the finished rows are stored."""


class StudyFailed(RuntimeError):
    """Some tasks raised; the others are stored, and a rerun retries only the failed ones."""


@dataclass
class StudyRun:
    """What one call of run_study did."""

    store: ResultStore
    skipped: list[str] = field(default_factory=list)   # already in the store
    fitted: list[str] = field(default_factory=list)    # fitted and stored by this call
    seconds: float = 0.0

    def table(self):
        return self.store.table()


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def local_cluster(workers: int | None = None) -> LocalCluster:
    """The LocalCluster a study runs on when no scheduler is given: `workers` processes (default: one per
    core), one thread each (a fit's chains run one after another in its worker), no dashboard."""
    return LocalCluster(n_workers=workers or default_workers(), threads_per_worker=1, processes=True,
                        dashboard_address=None, silence_logs=logging.ERROR)


@contextlib.contextmanager
def _client(workers: int | None, scheduler: str | None):
    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with local_cluster(workers) as cluster, Client(cluster) as client:
        yield client


def run_study(study: Study, out: str | Path, *, workers: int | None = None, scheduler: str | None = None,
              progress: bool = True) -> StudyRun:
    """Fit every task of `study` not yet stored in `out`, on Dask; returns what was done."""
    started = time.perf_counter()
    scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or None
    store = ResultStore(out, study)
    done = store.done()
    tasks = study.tasks()
    todo = [t for t in tasks if t.key not in done]
    run = StudyRun(store, skipped=[t.key for t in tasks if t.key in done])
    if not todo:
        return run
    failed: dict[str, BaseException] = {}
    bar = tqdm(total=len(tasks), initial=len(run.skipped), desc=study.name, unit="fit", disable=not progress,
               file=sys.stderr)
    with _client(workers, scheduler) as client:
        futures = {}
        try:
            for task in todo:  # one at a time, so that Ctrl-C can stop submitting
                future = client.submit(fit_task, task, study, key=f"paradox-{study.name}-{task.key}", pure=False)
                futures[future] = task
            for future in as_completed(futures):
                _collect(future, futures[future], store, run, failed)
                bar.update()
        except KeyboardInterrupt:
            pending = [f for f in futures if f.status == "pending"]
            client.cancel(pending)
            for future, task in futures.items():  # keep what finished while we were stopping
                if future.status == "finished" and task.key not in run.fitted:
                    _collect(future, task, store, run, failed)
            bar.close()
            raise StudyInterrupted(
                f"Stopped: {len(run.fitted)} fits stored by this run, {len(run.skipped) + len(run.fitted)} of "
                f"{len(tasks)} in {store.directory}; run the same study again to resume") from None
        finally:
            bar.close()
    run.seconds = time.perf_counter() - started
    if failed:
        first = next(iter(failed.values()))
        raise StudyFailed(f"{len(failed)} of {len(todo)} tasks failed ({', '.join(sorted(failed)[:5])}"
                          f"{', ...' if len(failed) > 5 else ''}); the others are stored in {store.directory}. "
                          f"First error: {type(first).__name__}: {first}") from first
    return run


def _collect(future, task, store: ResultStore, run: StudyRun, failed: dict) -> None:
    if future.status == "error":
        failed[task.key] = future.exception()
        return
    store.write(task, future.result())
    run.fitted.append(task.key)
