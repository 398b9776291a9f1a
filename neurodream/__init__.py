"""neurodream: neuromorphic dreaming on an emulated DYNAP-SE1."""

import functools
import hashlib
from pathlib import Path

from . import blas as _blas
from . import lifeline as _lifeline
from . import numba_cache as _numba_cache

_numba_cache.ensure_writable_cache()  # before Numba is loaded: a writable cache for the jitted kernels
_blas.pin()  # before NumPy is loaded, where it is not yet: runs bit-reproducible across CPUs (neurodream.blas)
_lifeline.from_environment()  # under make figures: end with make (Ctrl-C, SIGTERM), kernel and workers alike

__version__ = "0.1.0"
"""The release; it changes rarely. What a checkpoint must match is :func:`code_fingerprint`."""


def code_fingerprint() -> str:
    """SHA-256 (first 16 hex digits) of every Python source file of the package, with its path:
    changes with any edit of the code. Saved with checkpoints (a checkpoint of other code is not
    resumed) and result files (for the record only: old results stay readable)."""
    return _fingerprint(Path(__file__).resolve().parent)


@functools.cache
def _fingerprint(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
