"""One OpenBLAS kernel family for every run, so that runs are bit-reproducible across CPUs.

NumPy hands matrix products to OpenBLAS, which picks its kernels for the CPU when it is loaded.
Kernels for different CPUs add the terms of a dot product in different orders, so a product such as
the world model's reward prediction ``W_r @ x`` can differ in its last bit from one machine to
another. Every other step is exact IEEE arithmetic, but a learning loop amplifies a last-bit
difference into a different run: the main comparison's dreaming runs, made where OpenBLAS chose its
AVX2 ("Haswell") kernels, diverged from their first games when recomputed where it chose AVX-512
("SkylakeX") kernels (``data/rerun/``, README known limits), while the baselines came out bit for
bit the same.

Importing :mod:`neurodream` therefore sets ``OPENBLAS_CORETYPE`` to :data:`PINNED_KERNEL` (the family
the committed runs were made with) when it is not set already (set but empty counts as not set:
OpenBLAS then picks its kernels for the CPU) and the CPU can run those kernels
(:func:`cpu_supports_pin`). The variable acts when OpenBLAS is loaded, i.e. when NumPy is first
imported: it covers this process if NumPy was not imported before :mod:`neurodream`, and every
process started afterwards (the sweep's workers) in any case; the Makefile exports it for the
notebooks and the tests. :func:`active_kernel` says which kernels this process really uses; every
run file records it.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

PINNED_KERNEL = "Haswell"
"""OpenBLAS's kernel family for x86-64 CPUs with AVX2 and FMA (the committed runs were made with it)."""
ENV = "OPENBLAS_CORETYPE"
_CORENAME_SYMBOLS = ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename",
                     "openblas_get_corename64_", "openblas_get_corename")


def cpu_supports_pin(cpuinfo: Path | str = "/proc/cpuinfo") -> bool:
    """Whether this CPU can run :data:`PINNED_KERNEL`: x86-64 with the AVX2 and FMA instructions
    (read from ``cpuinfo``, so Linux only; False where it cannot be told)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        text = Path(cpuinfo).read_text()
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            return {"avx2", "fma"} <= flags
    return False


def pin(environ=os.environ) -> str | None:
    """Set ``OPENBLAS_CORETYPE`` to :data:`PINNED_KERNEL` in ``environ`` unless it is set already (a
    choice made outside wins; an empty value, which OpenBLAS ignores, is no choice and is replaced)
    or the CPU cannot run it; returns the value in effect (or None)."""
    if not environ.get(ENV, "").strip() and cpu_supports_pin():
        environ[ENV] = PINNED_KERNEL
    return environ.get(ENV)


def active_kernel() -> str | None:
    """The kernel family of the OpenBLAS that NumPy loaded in this process (e.g. ``"Haswell"``,
    ``"SkylakeX"``), or None where NumPy uses another BLAS or the name cannot be read."""
    import ctypes

    import numpy as np

    libs = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    for path in sorted(libs.glob("lib*openblas*")) if libs.is_dir() else []:
        try:
            lib = ctypes.CDLL(str(path))  # the library NumPy already loaded: the same handle
        except OSError:
            continue
        for symbol in _CORENAME_SYMBOLS:
            function = getattr(lib, symbol, None)
            if function is not None:
                function.restype = ctypes.c_char_p
                name = function()
                return name.decode().strip() if name else None
    return None


def kernel_note() -> str | None:
    """A warning's text when this process's OpenBLAS kernels are not the pinned ones although the CPU
    could run them (NumPy imported before :mod:`neurodream`, or ``OPENBLAS_CORETYPE`` set to another
    family); None when all is as it should be or nothing can be told."""
    if "numpy" not in sys.modules or not cpu_supports_pin():
        return None
    kernel = active_kernel()
    if kernel is None or kernel.lower() == PINNED_KERNEL.lower():
        return None
    return (f"OpenBLAS runs its {kernel} kernels in this process, not {PINNED_KERNEL}: the learner's dot "
            f"products may differ in the last bit from the committed runs', and a learning run then "
            f"diverges from theirs. Import neurodream before numpy, or set {ENV}={PINNED_KERNEL} before "
            f"starting Python")
