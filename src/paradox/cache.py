"""A cache of fitted results, so that `make reproduce` refits only what changed.

Every sampler run (posterior, prior and posterior predictive) is stored under results/cache/ as
NetCDF plus a small JSON of its provenance, named by a key that hashes everything the draws depend
on: the model (the graphs of its log density and its Deterministics with every constant in them, so
the data, the priors and the structure, and the code of any compiled kernel in them), its coords, the
sampler settings and the versions of paradox and PyMC. Change any of these and the key changes, so the
model is refitted.

A cache entry that is corrupt (unreadable, or its bytes no longer match the checksum recorded when it
was written), truncated, or stale (its provenance disagrees with its key) is reported on stderr,
deleted and refitted; it is never used silently.

PARADOX_CACHE=on (default in full mode) | off (default in fast mode, so tests always sample) |
refresh (ignore what is stored and overwrite it: `make reproduce FRESH=1`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
import pymc as pm
import pytensor
import xarray as xr
from pytensor.graph.basic import Constant
from pytensor.graph.traversal import graph_inputs, io_toposort
from pytensor.compile.sharedvalue import SharedVariable

from paradox import __version__
from paradox.settings import RESULTS_DIR, SamplerSettings

CACHE_DIR = RESULTS_DIR / "cache"
#: Settings fields that do not change the draws, and so stay out of the key.
_NOT_IN_KEY = {"mode", "cache"}


def _graph_text(outputs: list, data_values: bool, data_shapes: bool = True) -> str:
    """The graphs as text, operation by operation in topological order, each with its inputs: a constant by its
    type and a hash of its value, a pm.Data by its name, type (dtype and rank), (data_shapes) shape and
    (data_values) value, a value variable by its name and type. Not pytensor.dprint: it prints a constant by the
    name a compile may give it later (pytensor shares constants between graphs), so the key would depend on what
    the process compiled before."""
    labels: dict = {}

    def label(var) -> str:
        if var not in labels:
            if isinstance(var, Constant):
                labels[var] = f"constant {var.type} {_constant_sha256(var.data)}"
            elif isinstance(var, SharedVariable):
                value = np.asarray(var.get_value())
                labels[var] = f"data {var.name} {var.type} {value.dtype}" + (
                    f"{value.shape}" if data_shapes else "") + (f" {_array_sha256(value)}" if data_values else "")
            else:
                labels[var] = f"input {var.name} {var.type}"
        return labels[var]

    lines = []
    for i, node in enumerate(io_toposort(list(graph_inputs(outputs)), outputs)):
        lines.append(f"{_op_text(node.op)} {[label(x) for x in node.inputs]}")
        labels.update({out: f"#{i}.{j} {out.type}" for j, out in enumerate(node.outputs)})
    lines.append(str([label(out) for out in outputs]))
    return "\n".join(lines)


def _op_text(op) -> str:
    """An operation as text. One that runs code of its own rather than a graph (a compiled kernel,
    paradox.models.pattern_integral) states a digest of that code as `code_digest`: its text, its class name,
    does not change when its code does, and a changed kernel must not be served the draws of the old one."""
    digest = getattr(op, "code_digest", None)
    return str(op) if digest is None else f"{op} code {digest}"


def _array_sha256(value) -> str:
    return hashlib.sha256(np.ascontiguousarray(np.asarray(value)).tobytes()).hexdigest()


#: Bits of a floating-point constant's significand that enter the key (of 52): 2**-CONSTANT_BITS = 2.3e-10
#: relative.
CONSTANT_BITS = 32


def _constant_sha256(value) -> str:
    """A constant's hash, a floating-point one rounded to CONSTANT_BITS significant bits. Constants the code
    computes differ in their last bits between machines: NumPy's np.exp takes another SIMD path on another CPU
    (the quadrature's weights, paradox.models.quadrature, changed every integrated model's key on a machine
    without AVX-512 on 2026-11-27). A 1-bit difference moves the rounded value with probability 2**-20 per
    number; two constants that differ by less than 2e-10 share a key, and their draws by as little."""
    array = np.asarray(value)
    if array.dtype.kind == "f":
        significand, exponent = np.frexp(array.astype(np.float64))
        array = np.stack([np.round(significand * 2.0**CONSTANT_BITS), exponent.astype(np.float64)])
    return _array_sha256(array)


def model_fingerprint(model: pm.Model, data_values: bool = True) -> str:
    """A hash of the model's log density and its Deterministics: their graphs, every constant in them, the
    model's coords and initial values. (Deterministics matter: two models of one log density whose
    Deterministics differ, say two cells' roles swapped, give different draws of them.)

    data_values=True (the result cache): also every value and shape of its pm.Data (shared variables), so
    that any change of data changes the key. data_values=False (the studies' compiled models): only their
    dtypes and ranks, and their shapes unless `_sized_by_coords(model)`, so that surveys of one design share
    a key and one compiled model serves them all, whatever their sizes (the compiled log density takes data
    of any length: pm.Data have no static shape); the coords are then those of the dims the draws have.
    Names are in the key either way: of the value variables and pm.Data in the graphs, of the
    Deterministics, and of every free variable in the initial values.
    """
    digest = hashlib.sha256()
    graphs = [model.logp()]
    if model.deterministics:  # in value variables, as the log density (no random generators)
        graphs += model.replace_rvs_by_values(model.deterministics)
    any_size = not data_values and _sized_by_coords(model)
    digest.update(_graph_text(graphs, data_values, data_shapes=not any_size).encode())
    digest.update(json.dumps([d.name for d in model.deterministics]).encode())
    drawn = {dim for var in _drawn(model) for dim in model.named_vars_to_dims.get(var.name, ())}
    coords = {name: [str(v) for v in values] for name, values in model.coords.items()
              if values is not None and (not any_size or name in drawn)}
    digest.update(json.dumps(coords, sort_keys=True).encode())
    initial = {rv.name: str(value) for rv, value in model.rvs_to_initial_values.items()}
    digest.update(json.dumps(initial, sort_keys=True).encode())
    return digest.hexdigest()


def _drawn(model: pm.Model) -> list:
    """The variables a posterior has: the free variables and the Deterministics."""
    return [*model.free_RVs, *model.deterministics]


def _sized_by_coords(model: pm.Model) -> bool:
    """Whether the coords alone give the shape of every drawn variable (each axis a named dim), so that no
    pm.Data shape can change a draw's shape: the compiled sampler's layout (nutpie fixes it when it compiles)
    then holds for data of any size. A variable with an unnamed axis might take its length from the data."""
    return all(len(model.named_vars_to_dims.get(var.name, ())) == var.ndim for var in _drawn(model))


def datatree_fingerprint(idata: xr.DataTree) -> str:
    """A hash of every array in a result (used to key a posterior predictive run to its posterior)."""
    digest = hashlib.sha256()
    for node in idata.subtree:
        for name in sorted(node.ds.data_vars):
            digest.update(f"{node.path}/{name}".encode())
            digest.update(np.ascontiguousarray(node.ds[name].values).tobytes())
    return digest.hexdigest()


def _version(package: str) -> str | None:
    """Installed version of an external sampler (None for PyMC's own, already in the key)."""
    if package == "pymc":
        return None
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def cache_key(kind: str, model: pm.Model, settings: SamplerSettings, extra: dict | None = None) -> tuple[str, dict]:
    """The key of a run and the provenance it is made from."""
    provenance = {
        "kind": kind,
        "model": model_fingerprint(model),
        "settings": {k: v for k, v in dataclasses.asdict(settings).items() if k not in _NOT_IN_KEY},
        "extra": extra or {},
        "paradox": __version__,
        "pymc": pm.__version__,
        "pytensor": pytensor.__version__,
        "sampler": _version(settings.nuts_sampler),
    }
    key = hashlib.sha256(json.dumps(provenance, sort_keys=True, default=str).encode()).hexdigest()[:24]
    return f"{kind}-{key}", provenance


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _report(message: str) -> None:
    print(f"paradox cache: {message}", file=sys.stderr)


class ResultCache:
    """NetCDF + JSON files in one directory, keyed as `cache_key` says."""

    def __init__(self, directory: str | Path = CACHE_DIR):
        self.directory = Path(directory)

    def paths(self, key: str) -> tuple[Path, Path]:
        return self.directory / f"{key}.nc", self.directory / f"{key}.json"

    def load(self, key: str, provenance: dict) -> xr.DataTree | None:
        """The stored result, or None when there is none or it cannot be trusted (then it is deleted)."""
        data_path, meta_path = self.paths(key)
        if not data_path.exists() and not meta_path.exists():
            return None
        problem = self._problem(key, provenance)
        if problem is None:
            try:
                return xr.open_datatree(data_path, engine="h5netcdf").load()
            except Exception as exc:  # unreadable despite a matching checksum
                problem = f"unreadable ({type(exc).__name__}: {exc})"
        _report(f"{data_path.name} is {problem}; refitting")
        self.discard(key)
        return None

    def _problem(self, key: str, provenance: dict) -> str | None:
        data_path, meta_path = self.paths(key)
        if not meta_path.exists():
            return "missing its provenance file (an interrupted write?)"
        if not data_path.exists():
            return "missing (only its provenance file is there)"
        try:
            meta = json.loads(meta_path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return "corrupt (its provenance file is not valid JSON)"
        if meta.get("size") != data_path.stat().st_size:
            return f"truncated or altered ({data_path.stat().st_size} bytes, {meta.get('size')} recorded)"
        if meta.get("sha256") != _file_sha256(data_path):
            return "corrupt (checksum mismatch)"
        if json.loads(json.dumps(meta.get("provenance"), default=str)) != json.loads(json.dumps(provenance, default=str)):
            return "stale (its provenance does not match this run)"
        return None

    def store(self, key: str, idata: xr.DataTree, provenance: dict) -> None:
        """Write atomically: NetCDF first, then the JSON that vouches for it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        data_path, meta_path = self.paths(key)
        encoding = {
            node.path: {name: {"zlib": True, "complevel": 1} for name in node.ds.data_vars if node.ds[name].ndim}
            for node in idata.subtree if node.ds.data_vars
        }
        fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".nc.partial")
        os.close(fd)
        try:
            idata.to_netcdf(tmp, engine="h5netcdf", encoding=encoding)
            meta = {"key": key, "provenance": provenance, "size": os.path.getsize(tmp), "sha256": _file_sha256(Path(tmp))}
            os.replace(tmp, data_path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        tmp_meta = meta_path.with_suffix(".json.partial")
        tmp_meta.write_text(json.dumps(meta, indent=1, sort_keys=True, default=str))
        os.replace(tmp_meta, meta_path)

    def discard(self, key: str) -> None:
        for path in self.paths(key):
            path.unlink(missing_ok=True)


def cached(
    kind: str,
    model: pm.Model,
    settings: SamplerSettings,
    compute: Callable[[], xr.DataTree],
    extra: dict | None = None,
    cache: ResultCache | None = None,
) -> xr.DataTree:
    """Return the stored result of this run when it can be trusted; otherwise compute and store it."""
    if settings.cache == "off":
        return compute()
    cache = cache or ResultCache()
    key, provenance = cache_key(kind, model, settings, extra)
    if settings.cache != "refresh":
        hit = cache.load(key, provenance)
        if hit is not None:
            return hit
    result = compute()
    cache.store(key, result, provenance)
    return result
