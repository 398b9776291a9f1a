"""Device mismatch: frozen, seeded, multiplicative variation of every bias-derived current.

Each neuron's copy of a bias current passes through its own transistors, so the currents differ
from neuron to neuron (and, for synapses, from type to type). Currents are exponential in gate
voltage, so the factor is log-normal (``docs/chip_model.md`` §6) with mean 1 and the requested
coefficient of variation::

    factor = exp(sigma z - sigma^2 / 2),   sigma = sqrt(ln(1 + cv^2)),   z ~ N(0, 1)

The factors are drawn once, from their own generator, when the chip is built.
"""

from __future__ import annotations

import numpy as np

DEFAULT_MISMATCH_CV = 0.2
"""Default coefficient of variation: teili's default and Rockpool VirtualDynapse's 20 %
(the DYNAP-SE literature quotes 10-20 %)."""


def lognormal_factors(shape, cv: float, rng: np.random.Generator) -> np.ndarray:
    """Mean-1 log-normal factors with coefficient of variation ``cv`` (``cv = 0``: all ones)."""
    if not (np.isfinite(cv) and cv >= 0):
        raise ValueError(f"mismatch CV {cv!r} must be a non-negative number (0.2 means 20 %)")
    if cv == 0:
        return np.ones(shape)
    sigma = np.sqrt(np.log1p(cv * cv))
    return np.exp(sigma * rng.standard_normal(shape) - 0.5 * sigma * sigma)
