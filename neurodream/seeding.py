"""Independent random streams from one run seed, one per purpose.

``SeedSequence(seed).spawn(k)`` gives the same children wherever it is called, so two modules that
both spawn from the run seed would share streams (e.g. connectivity and mismatch). Every stream
outside the emulator is therefore named: its entropy is ``[seed, crc32(name)]``, which differs
from the emulator's own ``SeedSequence(seed)`` tree and from every other name.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    """The generator of purpose ``name`` for run ``seed``."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), zlib.crc32(name.encode())]))
