"""Run one fit of workloads.py in its own process and measure it from outside.

Peak memory is the largest total resident set of the process and all its children (PyMC's chain
processes run at the same time, so their memory adds up), sampled every 0.2 s with psutil.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable


def tree_rss(process: psutil.Process) -> int:
    total = 0
    for p in [process, *process.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def run_fit(job: dict, timeout: float = 1800.0) -> dict:
    """The fit's own measurements plus peak_gib and process_s; {"error": ...} if it fails or times out."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    start = time.perf_counter()
    proc = subprocess.Popen([PYTHON, str(HERE / "workloads.py"), json.dumps(job)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    watched, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(watched))
        if time.perf_counter() - start > timeout:
            for child in watched.children(recursive=True):
                child.kill()
            proc.kill()
            proc.wait()
            return {**job, "error": f"did not finish in {timeout:.0f} s", "peak_gib": peak / 2**30}
        time.sleep(0.2)
    out, err = proc.communicate()
    lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
    if proc.returncode or not lines:
        return {**job, "error": (err.strip().splitlines() or ["no output"])[-1]}
    return {**json.loads(lines[-1][len("RESULT "):]), "peak_gib": peak / 2**30,
            "process_s": time.perf_counter() - start, "load_at_start": os.getloadavg()[0]}


def median_of(runs: list[dict]) -> dict:
    """Median of every number over repeats (the first run's other fields); errors are passed on."""
    good = [r for r in runs if "error" not in r]
    if not good:
        return runs[0]
    out = dict(good[0])
    for key, value in good[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = statistics.median(r[key] for r in good)
    out["repeats"] = len(good)
    return out


def machine() -> dict:
    from importlib.metadata import version

    packages = ["pymc", "pytensor", "nutpie", "numpyro", "jax", "bambi", "statsmodels", "numpy", "arviz"]
    return {
        "date": datetime.now().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                   f"{psutil.virtual_memory().total / 2**30:.0f} GiB, {platform.platform()}",
        "cpu": next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name")), platform.processor()),
        "python": platform.python_version(),
        "versions": ", ".join(f"{p} {version(p)}" for p in packages),
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def markdown(table) -> str:
    """A pandas DataFrame as a Markdown table, numbers to 3 significant figures (no tabulate needed)."""
    def cell(value) -> str:
        if isinstance(value, float):
            return "" if value != value else f"{value:.3g}"
        return "" if value is None else str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(cell(c) for c in table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)
