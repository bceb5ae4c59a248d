"""nutpie's callbacks built for less: not optimised twice, plain loops, and stored in numba's disk cache.

nutpie hands its sampler two C callbacks (`numba.cfunc`) that call the model's log density, a numba function
pytensor compiled (or read from numba's disk cache) at LLVM's -O3. nutpie builds them afresh in every process and
for every model, and three things made that slow:

* To build a callback, numba links that already optimised code into the callback's module and optimises the
  whole module again at -O3: about 10 s of every model compile, cached or not (README, Runtime). Here the
  callback's own module is optimised at level 0 instead (`link_callbacks_unoptimised`); the log density and every
  operation in it keep the -O3 code they were compiled with, and every other numba compile is untouched.
  Measured with benchmarks/callback_opt.py on 2026-11-27 (the whole survey's integrated SRP model; 2-core AMD
  EPYC): with the operations in numba's cache, a process's first compile took 14.4-16.3 s against 23.7 s and a
  second compile 9.1-9.3 s against 18.2 s; sampling 4 x 1,500 took 76-82 s against 71-77 s (within the spread of
  repeated runs); the draws were identical, bit for bit.
* nutpie's callbacks copy the gradient with `out[...] = grad` and check it with `np.all(np.isfinite(out))`:
  numba types and lowers its general broadcasting assignment for that in every process, about half of what was
  left of a warm compile (cProfile, 2026-11-28: `fancy_setslice`, 9.8 of 21.2 s under load). The callbacks here
  (`plain_loop_callbacks`) copy and check element by element, with nutpie's return codes: 0; -1 for a wrong size;
  1 (log density) or -2 (expansion) for an error; 3 for a non-finite gradient; 4 for a non-finite log density.
* nutpie's callbacks are closures, which numba cannot find in its disk cache again (it keys a closure on its
  pickled contents, new in every process). These are compiled from source text with their free names as globals,
  under a key made of pytensor's own cache key for the log density (the graph and every operation's code), the
  sizes, the layout of nutpie's shared-data record and nutpie's version, in pytensor's numba cache directory;
  `paradox.numba_cache` copies them between directories like any other entry. A process that compiles a model
  whose callbacks are stored loads them instead of building them.

Measured with benchmarks/callback_build.py (notebook 07's regression model, operations in numba's cache; see
there and README, Runtime for the figures); the draws were identical, bit for bit, in every variant.

Setting NUMBA_OPT=0 for the whole callback build is not the same: with a cold cache the operations themselves
are compiled inside that build, and sampling was 24 times slower (README, Runtime).
"""

from __future__ import annotations

import hashlib
import json
import threading

import numpy as np

_building = threading.local()  # qualified name of the callback numba is compiling in this thread, if any
_counts = {"callbacks": 0, "loaded": 0}


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
        from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS

        if self._pyfunc in CACHED_SRC_FUNCTIONS:  # a callback of plain_loop_callbacks with a key: stored on disk
            self.enable_caching()
        _building.name = self.__qualname__
        hits = self._cache_hits
        try:
            return compile_callback(self)
        finally:
            _building.name = None
            _counts["loaded"] += self._cache_hits - hits

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


def plain_loop_callbacks() -> None:
    """Have nutpie take its two callbacks from here: element-by-element loops, with a key for numba's disk cache
    (which `link_callbacks_unoptimised`'s hook turns on: `install` does both). Once per process; later calls do
    nothing. nutpie's own builders are replaced by name: a nutpie without them fails here, loudly."""
    import nutpie.compile_pymc as nutpie_compile

    if nutpie_compile._make_c_logp_func is _logp_callback:
        return
    for name in ("_make_c_logp_func", "_make_c_expand_func", "make_extraction_fn"):
        if not hasattr(nutpie_compile, name):
            raise RuntimeError(f"nutpie {nutpie_compile.__name__} has no {name}: paradox.models.nutpie_callbacks "
                               "was written for nutpie 0.16 (constraints.txt)")
    nutpie_compile._make_c_logp_func = _logp_callback
    nutpie_compile._make_c_expand_func = _expand_callback


def install() -> None:
    """Every saving of this module, in this process (what paradox.models.sampling and paradox.studies call before
    compiling)."""
    link_callbacks_unoptimised()
    plain_loop_callbacks()


#: Part of every stored callback's key: change it whenever the callbacks' source below changes.
CALLBACK_VERSION = 1

# The callbacks as source text, compiled with their free names as globals (n_dim, n_expanded, extract, np,
# numba) rather than a closure: numba keys its disk cache on a closure's pickled contents, which differ in every
# process, and would never find a stored callback again.
_LOGP_SOURCE = """
def logp_numba(dim, x_, out_, logp_, user_data_):
    if dim != n_dim:
        return -1
    try:
        x = numba.carray(x_, (n_dim,))
        out = numba.carray(out_, (n_dim,))
        logp = numba.carray(logp_, (1,))
        logp_val, grad = extract(x, user_data_)
        if grad.shape[0] != n_dim:
            return 1
        logp[0] = logp_val
        finite = True
        for i in range(n_dim):
            out[i] = grad[i]
            finite = finite and np.isfinite(grad[i])
        if not finite:
            return 3
        if not np.isfinite(logp_val):
            return 4
    except Exception:  # as nutpie's: any error is a failed evaluation, not a crash
        return 1
    return 0
"""
_EXPAND_SOURCE = """
def expand_numba(dim, expanded, x_, out_, user_data_):
    if dim != n_dim or expanded != n_expanded:
        return -1
    try:
        x = numba.carray(x_, (n_dim,))
        out = numba.carray(out_, (n_expanded,))
        (values,) = extract(x, user_data_)
        if values.shape[0] != n_expanded:
            return -2
        for i in range(n_expanded):
            out[i] = values[i]
    except Exception:
        return -2
    return 0
"""


def _callback(name, source, fn, sizes, user_data, shared_keys, shared_data):
    """One callback from its source, with a key for numba's disk cache when pytensor cached `fn` (the log density or
    expansion it calls) under a key of its own: that key names the graph and every operation's code, and the
    callback's code depends besides only on its sizes, on the layout of nutpie's shared-data record, and on
    nutpie's extraction code (its version)."""
    import nutpie
    import nutpie.compile_pymc as nutpie_compile
    import numba
    from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS, compile_numba_function_src

    extract = nutpie_compile.make_extraction_fn(fn, shared_data, shared_keys, user_data.dtype)
    graph_key = CACHED_SRC_FUNCTIONS.get(getattr(fn, "py_func", None))
    key = None
    if graph_key is not None:
        # nutpie names each shared array by a fresh uuid: the layout is the record's, with those names numbered
        order = {k: f"shared{i}" for i, k in enumerate(shared_data)}
        layout = str(user_data.dtype)
        for uuid, number in order.items():
            layout = layout.replace(uuid, number)
        parts = [CALLBACK_VERSION, nutpie.__version__, graph_key, [int(n) for n in sizes], layout,
                 [order[k] for k in shared_keys]]
        key = f"paradox_nutpie_{name}_" + hashlib.sha256(json.dumps(parts).encode()).hexdigest()
    sizes_env = dict(zip(("n_dim", "n_expanded"), sizes))
    # __name__: a callback loaded from the cache rebuilds its environment from the module that defined it
    return compile_numba_function_src(source, name, global_env={"__name__": __name__, "np": np, "numba": numba,
                                                                "extract": extract, **sizes_env}, cache_key=key)


def _logp_callback(n_dim, logp_fn, user_data, shared_keys, shared_data):
    """nutpie's log-density callback (nutpie.compile_pymc._make_c_logp_func) with loops instead of array
    assignment: the same signature, the same values and return codes."""
    import numba

    double_pointer = numba.types.CPointer(numba.types.double)
    signature = numba.types.int64(numba.types.uint64, double_pointer, double_pointer, double_pointer,
                                  numba.types.voidptr)
    function = _callback("logp_numba", _LOGP_SOURCE, logp_fn, [n_dim], user_data, shared_keys, shared_data)
    return function, signature


def _expand_callback(n_dim, n_expanded, expand_fn, user_data, shared_keys, shared_data):
    """nutpie's expansion callback (nutpie.compile_pymc._make_c_expand_func) with a loop instead of array
    assignment."""
    import numba

    double_pointer = numba.types.CPointer(numba.types.double)
    signature = numba.types.int64(numba.types.uint64, numba.types.uint64, double_pointer, double_pointer,
                                  numba.types.voidptr)
    function = _callback("expand_numba", _EXPAND_SOURCE, expand_fn, [n_dim, n_expanded], user_data, shared_keys,
                         shared_data)
    return function, signature


def counts() -> dict[str, int]:
    """How many callback modules this process optimised at level 0 (`callbacks`) and loaded from numba's cache
    (`loaded`)."""
    return dict(_counts)
