"""Cached results of the emulator studies that notebook 01 plots, as the training runs are cached.

A study's result is stored in ``data/studies/<name>_<key>.csv`` (a table) or ``.npz`` (named
arrays); ``data/quick/studies/`` for ``make figures QUICK=1``. The key is a hash of

* the study's inputs (states, calibrations, codes, seeds: :func:`input_digest`), and
* the source of every module of the package that can change a number (:func:`code_digest`):
  the emulator (``neurodream/chip/``) and everything it is driven by. Docstrings, comments and blank
  lines do not count, so documentation edits keep the cache; any change to the code itself gives a
  new key, and the study is computed again: a stale result is never shown.

When a study is computed, the files of the same study under other keys are removed, so ``data/``
holds the results of the present code only.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import io
import json
import re
import tokenize
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

PACKAGE = Path(__file__).resolve().parent
STUDIES = "studies"

PRESENTATION_MODULES = frozenset({
    "__main__.py", "analysis.py", "atomic_file.py", "bench.py", "energy.py", "numba_cache.py", "outputs.py",
    "plotting.py", "powered.py", "rerun.py", "run_digest.py", "run_lock.py", "safe_pickle.py", "stats.py",
    "study_cache.py", "sweep.py", "teaching.py", "lifeline.py",
})
"""Modules that only plot, tabulate, time or run other modules: they do not change a study's
numbers, so editing them keeps the cache. Every other module of the package counts."""


VARIANT_DIR: Path | None = None
"""Where a variant notebook (:func:`neurodream.outputs.notebook_outputs`) stores the studies the
committed cache does not hold; None: the committed cache itself."""


def use_variant_dir(folder: Path | str | None) -> None:
    """Store the studies the committed cache does not hold in ``folder`` (None: in the committed
    cache), so a variant never writes, or removes, a committed study."""
    global VARIANT_DIR
    VARIANT_DIR = None if folder is None else Path(folder)


def study_dir(quick: bool) -> Path:
    """``data/studies/``, or ``data/quick/studies/`` for ``make figures QUICK=1``."""
    from .sweep import data_dir

    return data_dir(quick) / STUDIES


def code_digest(package: Path = PACKAGE) -> str:
    """Hash of the code of every module that can change a study's numbers (all of ``package``'s
    ``*.py`` files but :data:`PRESENTATION_MODULES`), without docstrings, comments and blank lines."""
    h = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package).as_posix()
        if rel in PRESENTATION_MODULES:
            continue
        h.update(rel.encode() + b"\0" + _code_only(path.read_text()).encode() + b"\0")
    return h.hexdigest()


def input_digest(inputs: Any) -> str:
    """Hash of a study's inputs: numbers, strings, sequences, mappings, arrays, dataclasses and
    calibration records (anything with ``to_dict``), compared by value."""
    text = json.dumps(_canonical(inputs), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def study_key(inputs: Mapping[str, Any], package: Path = PACKAGE) -> str:
    """The cache key of a study: its inputs and the code, 12 hex digits."""
    return hashlib.sha256((input_digest(inputs) + code_digest(package)).encode()).hexdigest()[:12]


def cached_study(name: str, compute: Callable[[], Any], *, inputs: Mapping[str, Any], quick: bool = False,
                 directory: Path | None = None):
    """``compute()``'s result for study ``name`` with these ``inputs``: read from the cache when it
    holds them under the present code, else computed and stored. A result is a DataFrame (stored as
    CSV after a line with each column's kind: floats round-trip exactly, text stays text, tuple cells
    come back as tuples) or a mapping of names to arrays (stored as ``.npz``)."""
    directory = Path(directory) if directory is not None else study_dir(quick)
    stem = f"{name}_{study_key(inputs)}"
    folders = [directory]
    if VARIANT_DIR is not None and directory == study_dir(quick):
        folders.append(VARIANT_DIR)  # a variant notebook: computed beside its runs, the committed studies kept
    for folder in folders:
        for path in (folder / f"{stem}.csv", folder / f"{stem}.npz"):
            if path.exists():
                return _read(path)
    directory = folders[-1]
    result = compute()
    directory.mkdir(parents=True, exist_ok=True)
    path = _write(result, directory / stem)
    for stale in directory.glob(f"{name}_*"):
        if stale != path and re.fullmatch(rf"{re.escape(name)}_[0-9a-f]{{12}}\.(csv|npz)", stale.name):
            stale.unlink()
    return _read(path)


def cached_call(name: str, quick: bool, function: Callable, *args, **kwargs):
    """``function(*args, **kwargs)`` through :func:`cached_study`: the inputs are the function's
    qualified name and its arguments (``name`` must be unique per call in a notebook, since a
    computed study removes the other files of its name)."""
    inputs = {"function": f"{function.__module__}.{function.__qualname__}", "args": list(args), "kwargs": kwargs}
    return cached_study(name, lambda: function(*args, **kwargs), inputs=inputs, quick=quick)


def _write(result, stem: Path) -> Path:
    from .atomic_file import write_atomically

    if isinstance(result, pd.DataFrame):
        kinds = {str(c): _kind(result[c]) for c in result.columns}
        return write_atomically(stem.with_suffix(".csv"), "# " + json.dumps(kinds) + "\n" + result.to_csv(index=False))
    if isinstance(result, Mapping) and all(isinstance(v, np.ndarray) for v in result.values()):
        buf = io.BytesIO()
        np.savez(buf, **result)
        return write_atomically(stem.with_suffix(".npz"), buf.getvalue())
    raise TypeError(f"a study result must be a DataFrame or a mapping of arrays, got {type(result).__name__}")


def _read(path: Path):
    if path.suffix == ".npz":
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    with open(path) as f:
        kinds = json.loads(f.readline()[2:])
    text = {c for c, k in kinds.items() if k in ("str", "tuple")}
    table = pd.read_csv(path, skiprows=1, dtype={c: str for c in text})
    for col, kind in kinds.items():
        if kind == "tuple":
            table[col] = table[col].map(ast.literal_eval)
        elif kind not in ("str", "object"):
            table[col] = table[col].astype(kind)
    return table


def _kind(column: pd.Series) -> str:
    """How a column is stored: its numpy dtype, or ``str`` / ``tuple`` / ``object`` for object columns."""
    if column.dtype != object:
        return str(column.dtype)
    values = column.dropna()
    for kind, types in (("str", str), ("tuple", tuple)):
        if len(values) == len(column) and values.map(lambda v: isinstance(v, types)).all():
            return kind
    return "object"


def _canonical(obj):
    if hasattr(obj, "to_dict") and not isinstance(obj, (pd.DataFrame, pd.Series)):
        return {"__type__": type(obj).__name__, **_canonical(dict(obj.to_dict()))}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {"__type__": type(obj).__name__, **_canonical(dataclasses.asdict(obj))}
    if isinstance(obj, np.ndarray):
        a = np.ascontiguousarray(obj)
        return {"__array__": hashlib.sha256(a.tobytes()).hexdigest(), "dtype": str(a.dtype), "shape": list(a.shape)}
    if isinstance(obj, Mapping):
        return {str(k): _canonical(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return repr(float(obj))
    if obj is None or isinstance(obj, str):
        return obj
    raise TypeError(f"cannot hash a study input of type {type(obj).__name__}")


def _code_only(source: str) -> str:
    """``source`` without docstrings, comments and blank lines (lines kept otherwise as written)."""
    lines = source.splitlines()
    drop = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
        else:
            continue
        # the docstring, and the attribute docstrings that follow assignments (a bare string statement)
        for stmt in body:
            if (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
                    and isinstance(stmt.value.value, str)):
                drop.update(range(stmt.lineno - 1, stmt.end_lineno))
    comments = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0] - 1] = tok.start[1]
    out = []
    for k, line in enumerate(lines):
        if k in drop:
            continue
        if k in comments:
            line = line[:comments[k]]
        line = line.rstrip()
        if line:
            out.append(line)
    return "\n".join(out)
