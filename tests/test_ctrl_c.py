"""Ctrl-C during sampling stops `paradox fit` and `paradox meta` promptly: exit status 130, one line,
nothing written. Each command runs in a subprocess that marks the moment nutpie starts sampling (a
file), so the signal is sent while it samples, never on a timer; the draws are too many to finish first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from paradox.interrupt import EXIT_INTERRUPTED
from paradox.settings import ROOT

#: Runs paradox.cli.main with nutpie.sample wrapped to touch STARTED just before it samples.
DRIVER = """
import pathlib, sys, nutpie
started = pathlib.Path(sys.argv[1])
original = nutpie.sample
def sample(*args, **kwargs):
    started.touch()
    return original(*args, **kwargs)
nutpie.sample = sample
from paradox.cli import main
sys.exit(main(sys.argv[2:]))
"""
#: Far more draws than could finish before the test gives up waiting.
ENDLESS = ["--draws", "1000000", "--tune", "100", "--chains", "2"]
COMMANDS = {
    "fit": ["fit", str(ROOT / "data" / "reference" / "housing.csv"), "--config",
            str(ROOT / "data" / "examples" / "housing.yaml")],
    "meta": ["meta", str(ROOT / "data" / "reference" / "bcg.csv"), "--measure", "log_rr", "--no-moderators",
             "--ignore", "latitude", "--no-prior-sensitivity"],
}
#: Generous bounds for a loaded 2-core machine: compiling the model, then stopping.
START_TIMEOUT, STOP_TIMEOUT = 180, 60


def _ctrl_c_as_in_a_terminal() -> None:
    """The child starts with Ctrl-C's default action, as from a shell. A child inherits an ignored SIGINT,
    and pytest-xdist's workers ignore it (their controller handles Ctrl-C); the command then, rightly,
    leaves it ignored, as under nohup."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_ctrl_c_while_sampling_exits_130_and_writes_nothing(command, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    started = tmp_path / "sampling-started"
    env = {**os.environ, "PARADOX_MODE": "fast", "PARADOX_CACHE": "off", "MPLBACKEND": "Agg",
           "PARADOX_SAMPLER": "nutpie"}
    process = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(started), *COMMANDS[command], "--out", str(work / "results"), *ENDLESS],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, preexec_fn=_ctrl_c_as_in_a_terminal)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not started.exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "sampling did not start"
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        sent = time.monotonic()
        stdout, stderr = process.communicate(timeout=STOP_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == EXIT_INTERRUPTED, stderr
    assert time.monotonic() - sent < STOP_TIMEOUT
    assert stderr.strip().splitlines() == [f"paradox {command}: interrupted (Ctrl-C); nothing was written"], stderr
    assert list(work.iterdir()) == []  # no output, no partial folder, no lock
