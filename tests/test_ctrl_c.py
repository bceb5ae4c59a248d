"""Ctrl-C during sampling stops `paradox fit` and `paradox meta` promptly: exit status 130, one line,
nothing written. Each command runs in a subprocess that marks the moment nutpie starts sampling (a
file), so the signal is sent while it samples, never on a timer; the draws are too many to finish first.
The child can also send it itself at the moments a timed signal hits only by luck: inside Python code
that nutpie's native code calls back (paradox.interrupt holds it there)."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time

import pytest

from paradox.interrupt import EXIT_INTERRUPTED, NATIVE_CALLERS, catch_ctrl_c
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


def _command_env() -> dict:
    return {**os.environ, "PARADOX_MODE": "fast", "PARADOX_CACHE": "off", "MPLBACKEND": "Agg",
            "PARADOX_SAMPLER": "nutpie"}


def _assert_interrupted(returncode: int, stderr: str, command: str, work) -> None:
    """Exit status 130, the one line on stderr, and nothing written."""
    assert returncode == EXIT_INTERRUPTED, stderr
    assert stderr.strip().splitlines() == [f"paradox {command}: interrupted (Ctrl-C); nothing was written"], stderr
    assert list(work.iterdir()) == []  # no output, no partial folder, no lock


@pytest.mark.parametrize("command", list(COMMANDS))
def test_ctrl_c_while_sampling_exits_130_and_writes_nothing(command, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    started = tmp_path / "sampling-started"
    env = _command_env()
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
    assert time.monotonic() - sent < STOP_TIMEOUT
    _assert_interrupted(process.returncode, stderr, command, work)


#: Runs paradox.cli.main with a Ctrl-C sent from inside rust-numpy's one-time NumPy check (numpy.lib.NumpyVersion),
#: Python code that native code calls back on the main thread and that must not fail there, the first time the
#: check runs below a frame of the function named by argv[2]; touches SIGNALLED (argv[1]) when it sends.
DRIVER_IN_NATIVE_CALLBACK = """
import pathlib, signal, sys, numpy.lib
signalled, below = pathlib.Path(sys.argv[1]), sys.argv[2]
class NumpyVersion(numpy.lib.NumpyVersion):
    def __init__(self, vstring):
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_name != below:
            frame = frame.f_back
        if frame is not None and not signalled.exists():
            signalled.touch()
            signal.raise_signal(signal.SIGINT)  # its Python handler runs at once: inside this callback
        super().__init__(vstring)
numpy.lib.NumpyVersion = NumpyVersion
from paradox.cli import main
sys.exit(main(sys.argv[3:]))
"""
#: Where nutpie's sampling calls back into Python from native code: nutpie's Rust code reading the model's
#: coordinates (before the chains start; the cold-run failure), arro3's reading the draws (after they finish).
NATIVE_CALLBACKS = {"before the chains": ("_make_model", ENDLESS),
                    "reading the draws": ("_arrow_to_arviz", ["--draws", "20", "--tune", "20", "--chains", "2"])}


@pytest.mark.parametrize("moment", list(NATIVE_CALLBACKS))
def test_ctrl_c_inside_a_native_callback_exits_130_and_writes_nothing(moment, tmp_path):
    """A KeyboardInterrupt raised there would make rust-numpy panic (a pyo3 PanicException and Rust's panic
    text, not the one line): the interrupt must wait until the native call has returned."""
    below, sizes = NATIVE_CALLBACKS[moment]
    work = tmp_path / "work"
    work.mkdir()
    signalled = tmp_path / "signalled"
    env = _command_env()
    process = subprocess.run(
        [sys.executable, "-c", DRIVER_IN_NATIVE_CALLBACK, str(signalled), below, *COMMANDS["meta"],
         "--out", str(work / "results"), *sizes],
        capture_output=True, text=True, env=env, preexec_fn=_ctrl_c_as_in_a_terminal,
        timeout=START_TIMEOUT + STOP_TIMEOUT)
    assert signalled.exists(), f"the callback below {below} never ran: this test checked nothing\n{process.stderr}"
    _assert_interrupted(process.returncode, process.stderr, "meta", work)


@pytest.fixture
def ctrl_c_handled():
    """Ctrl-C's default handler in this process, for catch_ctrl_c to take over (xdist's workers ignore it)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_a_ctrl_c_inside_a_native_callback_is_raised_once_the_native_call_returns(ctrl_c_handled):
    """In-process and without nutpie: a function of a NATIVE_CALLERS module calls native code (ctypes)
    that calls Python back, and the Ctrl-C comes inside that callback. Raised there, ctypes would drop it
    (the callback would stop short and the caller go on); it must be held, then raised in the caller."""
    steps = []

    @ctypes.CFUNCTYPE(None)
    def callback():
        signal.raise_signal(signal.SIGINT)  # its Python handler runs at once: inside the callback
        steps.append("callback finished")

    caller = {"__name__": sorted(NATIVE_CALLERS)[0]}
    exec("def sample(native, steps):\n    native()\n    steps.append('caller went on')\n", caller)
    with pytest.raises(KeyboardInterrupt):
        with catch_ctrl_c():
            caller["sample"](callback, steps)
    assert steps == ["callback finished"]
    assert sys.getprofile() is None


def test_an_error_after_a_ctrl_c_is_reported_as_the_ctrl_c(ctrl_c_handled):
    """nutpie, stopped while it reads the draws, fails its own way ("Sampler has no results to take");
    the same error without a Ctrl-C is left alone."""
    def library(interrupted: bool):
        try:
            if interrupted:
                signal.raise_signal(signal.SIGINT)
        except KeyboardInterrupt:
            pass
        raise ValueError("Sampler has no results to take")

    with pytest.raises(KeyboardInterrupt):
        with catch_ctrl_c():
            library(interrupted=True)
    with pytest.raises(ValueError):
        with catch_ctrl_c():
            library(interrupted=False)
