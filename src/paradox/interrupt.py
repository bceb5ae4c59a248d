"""Ctrl-C: stop a command promptly, whatever library is running when it comes.

A KeyboardInterrupt does not always reach the command: nutpie catches it and returns the draws
made so far, and one raised inside a ctypes callback is printed ("Exception ignored ...") and
dropped. So the command's SIGINT handler also records the request, and `check()`, called after
each sampler run and before any output is written, raises it again.

Nor may the handler raise it everywhere. CPython runs it on the main thread between two steps of
whatever Python code runs there, and that can be code that native code called back and cannot
pass an exception on from: while nutpie samples, its Rust code (setting up the model) and arro3's
(reading the draws) check NumPy's version in Python (numpy.lib.NumpyVersion) the first time they
meet an array, and panic if that fails, with Rust's panic text and a pyo3 PanicException instead
of the one line. So while a function of a NATIVE_CALLERS module runs, the handler raises only in
that package's own Python code (also where nutpie's wait loop polls for signals, and stops the
chains); elsewhere it holds the Ctrl-C and a profile function raises it at the first call or return
in that code, once the native call has returned.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import warnings
from typing import Iterator

#: Exit status of a command stopped by Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130
#: Modules whose functions call native code that calls Python back on the main thread (never their
#: own package's Python code, so a KeyboardInterrupt raised in that is passed on).
NATIVE_CALLERS = frozenset({"nutpie.sample"})
_NATIVE_CALLER_PACKAGES = frozenset(module.partition(".")[0] for module in NATIVE_CALLERS)

_requested = threading.Event()


def requested() -> bool:
    return _requested.is_set()


def check() -> None:
    """Raise KeyboardInterrupt if Ctrl-C was pressed since `catch_ctrl_c` began, even if a library swallowed it."""
    if _requested.is_set():
        raise KeyboardInterrupt


def is_failure(error: BaseException) -> bool:
    """An Exception, or a Rust extension's panic (nutpie, arro3): pyo3's PanicException is a BaseException
    and has no importable class, so it is known by name. Not KeyboardInterrupt or SystemExit."""
    return isinstance(error, Exception) or type(error).__name__ == "PanicException"


def _module(frame) -> str:
    return frame.f_globals.get("__name__", "")


def _can_raise_in(frame) -> bool:
    """Whether a KeyboardInterrupt raised in `frame` reaches the command: not in other packages' code
    below a frame of NATIVE_CALLERS, for it may be a callback from their native code."""
    if frame is None or _module(frame).partition(".")[0] in _NATIVE_CALLER_PACKAGES:
        return True
    caller = frame.f_back
    while caller is not None:
        if _module(caller) in NATIVE_CALLERS:
            return False
        caller = caller.f_back
    return True


def _raise_held_ctrl_c(frame, event, arg) -> None:
    """Profile function (calls and returns on the main thread): raise the held Ctrl-C where it can be."""
    if _can_raise_in(frame):
        sys.setprofile(None)
        raise KeyboardInterrupt


@contextlib.contextmanager
def catch_ctrl_c() -> Iterator[None]:
    """Within the block, Ctrl-C raises KeyboardInterrupt (where it can be passed on) and is remembered for `check()`."""
    # Not in a thread, and not when Ctrl-C is ignored on purpose (nohup, a background job).
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        yield
        return
    _requested.clear()

    def on_sigint(signum, frame):
        _requested.set()
        # What libraries warn about while they wind down (arviz on a trace cut to fewer draws than
        # chains, say) is noise after a Ctrl-C: the user gets the one line.
        warnings.simplefilter("ignore")
        holding = sys.getprofile() is _raise_held_ctrl_c
        # Under a profiler, which holding would replace, it is raised at once.
        if _can_raise_in(frame) or not (holding or sys.getprofile() is None):
            if holding:
                sys.setprofile(None)
            raise KeyboardInterrupt
        sys.setprofile(_raise_held_ctrl_c)

    def unraisable(info):
        # The interrupt is already recorded; its "Exception ignored in ctypes callback" is noise.
        if not (isinstance(info.exc_value, KeyboardInterrupt) and _requested.is_set()):
            previous_hook(info)

    previous_handler = signal.signal(signal.SIGINT, on_sigint)
    previous_hook, sys.unraisablehook = sys.unraisablehook, unraisable
    try:
        with warnings.catch_warnings():  # the filters on_sigint changes are restored on the way out
            yield
    except BaseException as error:
        # After a Ctrl-C, a library being stopped may fail its own way: nutpie, stopped while it reads
        # the draws, asks its sampler for them a second time ("Sampler has no results to take"); a Rust
        # extension that met the KeyboardInterrupt where it could not pass it on panics (pyo3's
        # PanicException, a BaseException). The user asked to stop, and that is what the command reports.
        if _requested.is_set() and is_failure(error):
            raise KeyboardInterrupt from error
        raise
    finally:
        signal.signal(signal.SIGINT, previous_handler)
        sys.unraisablehook = previous_hook
        if sys.getprofile() is _raise_held_ctrl_c:  # a Ctrl-C still held when the block ended
            sys.setprofile(None)
        _requested.clear()
