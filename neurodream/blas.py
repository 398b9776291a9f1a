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

NumPy's own math functions are a second source. NumPy picks, at import, loops for the best
instruction set the CPU offers among its dispatch targets: on CPUs with AVX-512 its ``X86_V4``
loops, elsewhere its AVX2 (``X86_V3``) ones, and their ``exp``, ``log`` and ``tanh`` can differ in
the last bit (a policy's entropy differs from game 0). Measured: 32 of the 275 committed runs, made
in earlier sessions where NumPy ran its AVX-512 loops, do not reproduce their first 6 games on a CPU
without AVX-512 (``data/rerun/first_games_check.csv``), while the powered study's runs do. Importing
:mod:`neurodream` therefore also sets ``NPY_DISABLE_CPU_FEATURES`` to :data:`NUMPY_DISABLED` (when
it is not set already and the CPU has AVX2 and FMA), so that every such CPU runs NumPy's AVX2
loops, as the CPUs without AVX-512 do; :func:`numpy_loops` says which loops this process runs.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

PINNED_KERNEL = "Haswell"
"""OpenBLAS's kernel family for x86-64 CPUs with AVX2 and FMA (the committed runs were made with it)."""
ENV = "OPENBLAS_CORETYPE"
NUMPY_ENV = "NPY_DISABLE_CPU_FEATURES"
NUMPY_DISABLED = "X86_V4 AVX512_ICL AVX512_SPR"
"""NumPy's dispatch targets above AVX2 (its names from NumPy 2.4 on): disabled, NumPy runs its
AVX2 loops (``X86_V3``) on every x86-64 CPU with AVX2 and FMA."""
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
    """Set ``OPENBLAS_CORETYPE`` to :data:`PINNED_KERNEL` and ``NPY_DISABLE_CPU_FEATURES`` to
    :data:`NUMPY_DISABLED` in ``environ``, each unless it is set already (a choice made outside wins;
    an empty value is no choice and is replaced) or the CPU cannot run the pinned kernels; returns
    the OpenBLAS kernel family in effect (or None)."""
    unset = [(name, value) for name, value in ((ENV, PINNED_KERNEL), (NUMPY_ENV, NUMPY_DISABLED))
             if not environ.get(name, "").strip()]
    if unset and cpu_supports_pin():  # the CPU is read only when there is something to set
        environ.update(unset)
    return environ.get(ENV)


def numpy_loops() -> str | None:
    """The best of NumPy's dispatch targets that this process runs (e.g. ``"X86_V3"``: the AVX2
    loops; ``"X86_V4"``: the AVX-512 ones), or None where NumPy dispatches none or cannot tell."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:
        return None
    active = [t for t in __cpu_dispatch__ if __cpu_features__.get(t)]
    return active[-1] if active else None


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
    loops = numpy_loops()
    if loops is not None and loops != "X86_V3" and any(t in loops for t in NUMPY_DISABLED.split()):
        return (f"NumPy runs its {loops} loops in this process, not its AVX2 (X86_V3) ones: its exp, log "
                f"and tanh may differ in the last bit from the committed runs', and a learning run then "
                f"diverges from theirs. Import neurodream before numpy, or set {NUMPY_ENV}=\"{NUMPY_DISABLED}\" "
                f"before starting Python")
    kernel = active_kernel()
    if kernel is None or kernel.lower() == PINNED_KERNEL.lower():
        return None
    return (f"OpenBLAS runs its {kernel} kernels in this process, not {PINNED_KERNEL}: the learner's dot "
            f"products may differ in the last bit from the committed runs', and a learning run then "
            f"diverges from theirs. Import neurodream before numpy, or set {ENV}={PINNED_KERNEL} before "
            f"starting Python")
