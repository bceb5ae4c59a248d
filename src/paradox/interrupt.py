"""Ctrl-C: stop a command promptly, whatever library is running when it comes.

A KeyboardInterrupt does not always reach the command: nutpie catches it and returns the draws
made so far, and one raised inside a ctypes callback is printed ("Exception ignored ...") and
dropped. So the command's SIGINT handler also records the request, and `check()`, called after
each sampler run and before any output is written, raises it again.
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

_requested = threading.Event()


def requested() -> bool:
    return _requested.is_set()


def check() -> None:
    """Raise KeyboardInterrupt if Ctrl-C was pressed since `catch_ctrl_c` began, even if a library swallowed it."""
    if _requested.is_set():
        raise KeyboardInterrupt


@contextlib.contextmanager
def catch_ctrl_c() -> Iterator[None]:
    """Within the block, Ctrl-C raises KeyboardInterrupt and is remembered for `check()`."""
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
        raise KeyboardInterrupt

    def unraisable(info):
        # The interrupt is already recorded; its "Exception ignored in ctypes callback" is noise.
        if not (isinstance(info.exc_value, KeyboardInterrupt) and _requested.is_set()):
            previous_hook(info)

    previous_handler = signal.signal(signal.SIGINT, on_sigint)
    previous_hook, sys.unraisablehook = sys.unraisablehook, unraisable
    try:
        with warnings.catch_warnings():  # the filters on_sigint changes are restored on the way out
            yield
    finally:
        signal.signal(signal.SIGINT, previous_handler)
        sys.unraisablehook = previous_hook
        _requested.clear()
