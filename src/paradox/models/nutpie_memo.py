"""nutpie models compiled once per process: an unchanged model sampled again reuses its compiled form.

`pm.sample(nuts_sampler="nutpie")` compiles the model every time it is called. Part of that compile, numba's
build of nutpie's callbacks around the log density, is never cached on disk and costs 5-25 s per call even
when every operation of the graph is (README, Runtime). A process that samples one model several times (a
test module refitting one survey, a CLI run in-process, the same fit with other draws or another seed)
pays it once with `reusing_compiled_models()` installed: nutpie.compile_pymc_model is wrapped by a memo
keyed by what the compile depends on, and the compiled object (immutable; each nutpie.sample call builds
its own sampler from it) is handed back. The draws are the same as with a fresh compile: the compile is
deterministic and pm.sample's own path is otherwise unchanged.

The key: the graphs of the log density and of the Deterministics (the compiled model computes them too) with
every constant and data value (paradox.cache.model_fingerprint), and the compile options pm.sample passes
(var_names, backend, initial points). The memo keeps the KEEP most recently used models.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import pymc as pm

from paradox.cache import model_fingerprint

#: Compiled models kept per process (most recently used).
KEEP = 8

_lock = threading.Lock()
_compiled: OrderedDict[str, object] = OrderedDict()
_counts = {"compiled": 0, "reused": 0}


def compile_key(model: pm.Model, options: dict) -> str:
    """What a compiled nutpie model depends on (see the module docstring)."""
    return f"{model_fingerprint(model)}|{sorted(options.items())!r}"


def reusing_compiled_models() -> None:
    """Install the memo around nutpie.compile_pymc_model in this process (once; later calls do nothing)."""
    import nutpie

    if getattr(nutpie.compile_pymc_model, "memo_of", None) is not None:
        return
    compile_model = nutpie.compile_pymc_model

    def compile_or_reuse(model, **options):
        key = compile_key(model, options)
        with _lock:
            if key in _compiled:
                _compiled.move_to_end(key)
                _counts["reused"] += 1
                return _compiled[key]
        compiled = compile_model(model, **options)
        with _lock:
            _compiled[key] = compiled
            _counts["compiled"] += 1
            while len(_compiled) > KEEP:
                _compiled.popitem(last=False)
        return compiled

    compile_or_reuse.memo_of = compile_model
    nutpie.compile_pymc_model = compile_or_reuse


def forget() -> None:
    """Drop every compiled model kept (the next sample compiles afresh)."""
    with _lock:
        _compiled.clear()


def counts() -> dict[str, int]:
    """How many models this process compiled and how many compiles the memo saved."""
    with _lock:
        return dict(_counts)
