"""nutpie's callbacks built without optimising the log density a second time.

nutpie hands its sampler two C callbacks (`numba.cfunc`) that call the model's log density, a numba function
pytensor compiled (or read from numba's disk cache) at LLVM's -O3. To build a callback, numba links that
already optimised code into the callback's module and optimises the whole module again at -O3: about 10 s of
every model compile, cached or not, never stored on disk (README, Runtime). Here the callback's own module is
optimised at level 0 instead; the log density and every operation in it keep the -O3 code they were compiled
with, and every other numba compile is untouched. Measured with benchmarks/callback_opt.py on 2026-11-27 (the whole
survey's integrated SRP model; 2-core AMD EPYC): with the operations in numba's cache, a process's first compile
took 14.4-16.3 s against 23.7 s and a second compile 9.1-9.3 s against 18.2 s; sampling 4 x 1,500 took 76-82 s
against 71-77 s (within the spread of repeated runs); the draws were identical, bit for bit.

Setting NUMBA_OPT=0 for the whole callback build is not the same: with a cold cache the operations themselves
are compiled inside that build, and sampling was 24 times slower (README, Runtime).
"""

from __future__ import annotations

import threading

_building = threading.local()  # qualified name of the callback numba is compiling in this thread, if any
_counts = {"callbacks": 0}


def _callback_name() -> str | None:
    return getattr(_building, "name", None)


def link_callbacks_unoptimised() -> None:
    """Install the level-0 link for numba.cfunc callbacks in this process (once; later calls do nothing)."""
    from numba.core import ccallback, codegen, config

    if getattr(ccallback.CFunc.compile, "level0_of", None) is not None:
        return
    compile_callback = ccallback.CFunc.compile
    optimise_final_module = codegen.CPUCodeLibrary._optimize_final_module

    def compile_marked(self):
        # A numba function the callback calls and that is not yet compiled is compiled inside this call, in a
        # library of its own name: only the library named after the callback is optimised at level 0.
        _building.name = self.__qualname__
        try:
            return compile_callback(self)
        finally:
            _building.name = None

    def optimise_callback_at_level0(self):
        if self.name != _callback_name():
            return optimise_final_module(self)
        level = config.OPT
        config.OPT = config._OptLevel(0)  # numba reads it each time it builds a pass manager
        try:
            optimise_final_module(self)
        finally:
            config.OPT = level
        _counts["callbacks"] += 1

    compile_marked.level0_of = compile_callback
    ccallback.CFunc.compile = compile_marked
    codegen.CPUCodeLibrary._optimize_final_module = optimise_callback_at_level0


def counts() -> dict[str, int]:
    """How many callback modules this process optimised at level 0."""
    return dict(_counts)
