"""Named DYNAP-SE1 biases: (coarse, fine) codes, their nominal currents, and the paper's presets.

The bias generator of every core produces 25 named currents. All public DYNAP-SE1 software maps a
code to a current with the same linear ladder (``docs/chip_model.md`` §2, Rockpool
``BiasGen``)::

    I(coarse, fine) = I_COARSE_A[coarse] * fine / 255

This module only knows codes and nominal currents. Per-bias scale factors (the LowBias question)
and the dark-current floor are calibration choices applied in :mod:`neurodream.chip.circuits`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType

import numpy as np

from .limits import N_COARSE, N_FINE

I_COARSE_A = (15e-12, 105e-12, 820e-12, 6.5e-9, 50e-9, 0.4e-6, 3.2e-6, 24e-6)
"""Largest current (fine = 255) of each coarse level 0..7, in A (identical for N and P biases)."""

BIAS_ROLES: Mapping[str, str] = MappingProxyType(
    {
        "IF_AHTAU_N": "adaptation (AHP) DPI leak -> tau_ahp",
        "IF_AHTHR_N": "adaptation (AHP) DPI gain",
        "IF_AHW_P": "adaptation (AHP) weight per output spike",
        "IF_BUF_P": "membrane-potential monitor buffer (no effect on dynamics)",
        "IF_CASC_N": "membrane cascode (no effect in any simulator)",
        "IF_DC_P": "constant (DC) input current to the membrane",
        "IF_NMDA_N": "NMDA voltage-gate threshold current",
        "IF_RFR_N": "refractory period (larger current -> shorter period)",
        "IF_TAU1_N": "membrane leak -> tau_mem (neurons on tau1, the default)",
        "IF_TAU2_N": "membrane leak -> tau_mem (neurons switched to tau2)",
        "IF_THR_N": "membrane gain (DPI threshold current I_th)",
        "NPDPIE_TAU_F_P": "AMPA (fast excitatory) DPI leak -> tau_ampa",
        "NPDPIE_TAU_S_P": "NMDA (slow excitatory) DPI leak -> tau_nmda",
        "NPDPIE_THR_F_P": "AMPA DPI gain",
        "NPDPIE_THR_S_P": "NMDA DPI gain",
        "NPDPII_TAU_F_P": "GABA_A (fast inhibitory, shunting) DPI leak -> tau_gaba_a",
        "NPDPII_TAU_S_P": "GABA_B (slow inhibitory, subtractive) DPI leak -> tau_gaba_b",
        "NPDPII_THR_F_P": "GABA_A DPI gain",
        "NPDPII_THR_S_P": "GABA_B DPI gain",
        "PS_WEIGHT_EXC_F_N": "AMPA weight per CAM word",
        "PS_WEIGHT_EXC_S_N": "NMDA weight per CAM word",
        "PS_WEIGHT_INH_F_N": "GABA_A weight per CAM word",
        "PS_WEIGHT_INH_S_N": "GABA_B weight per CAM word",
        "PULSE_PWLK_P": "pulse-extender current -> synaptic pulse width",
        "R2R_P": "R2R ladder bias (no effect in any simulator)",
    }
)
"""The 25 bias names of a DYNAP-SE1 core and what each one sets."""

BIAS_NAMES: tuple[str, ...] = tuple(sorted(BIAS_ROLES))


def _allowed_names() -> str:
    return ", ".join(BIAS_NAMES)


def check_bias_name(name: str) -> str:
    """Return ``name`` if it is one of the 25 DYNAP-SE1 bias names, else raise ``ValueError``."""
    if name not in BIAS_ROLES:
        raise ValueError(f"unknown bias name {name!r}; allowed names: {_allowed_names()}")
    return name


def check_code(coarse: int, fine: int, name: str = "bias") -> tuple[int, int]:
    """Validate a (coarse, fine) code: coarse 0..7 and fine 0..255, both integers."""
    for label, value, n in (("coarse", coarse, N_COARSE), ("fine", fine, N_FINE)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name}: {label} value {value!r} is not an integer; allowed 0..{n - 1}")
        if not 0 <= value < n:
            raise ValueError(f"{name}: {label} value {value} is out of range; allowed 0..{n - 1}")
    return int(coarse), int(fine)


def bias_current(coarse: int, fine: int) -> float:
    """Nominal current of a (coarse, fine) code in A: ``I_COARSE_A[coarse] * fine / 255``.

    No dark-current floor and no per-bias scale are applied here (see ``circuits``).

    >>> bias_current(7, 255)
    2.4e-05
    >>> round(bias_current(5, 47) * 1e9, 2)   # the agent's NMDA weight, in nA
    73.73
    """
    coarse, fine = check_code(coarse, fine)
    return I_COARSE_A[coarse] * fine / 255.0


def code_for_current(current_a: float) -> tuple[int, int]:
    """The (coarse, fine) code whose nominal current is closest to ``current_a`` (A).

    Among equally close codes the lowest coarse level wins (finest current step). Currents above
    the largest code give (7, 255); zero or negative currents give (0, 0).
    """
    if not np.isfinite(current_a):
        raise ValueError(f"current {current_a!r} is not a finite number of amperes")
    best = (0, 0)
    best_err = abs(current_a)
    for coarse, top in enumerate(I_COARSE_A):
        fine = int(np.clip(round(current_a / top * 255.0), 0, 255))
        err = abs(fine * top / 255.0 - current_a)
        if err < best_err:
            best, best_err = (coarse, fine), err
    return best


class CoreBiases(Mapping[str, tuple[int, int]]):
    """The biases explicitly set on one core: an immutable mapping ``name -> (coarse, fine)``.

    Names that are not set keep the chip's power-on value, which is a calibration choice
    (:attr:`neurodream.chip.calibration.Calibration.unset_biases`).

    >>> b = CoreBiases({"IF_RFR_N": (2, 128)})
    >>> b["IF_RFR_N"]
    (2, 128)
    >>> b.with_biases(IF_DC_P=(1, 10))["IF_DC_P"]
    (1, 10)
    >>> CoreBiases({"IF_TAU_N": (1, 1)})
    Traceback (most recent call last):
    ...
    ValueError: unknown bias name 'IF_TAU_N'; allowed names: ...
    """

    __slots__ = ("_codes",)

    def __init__(self, codes: Mapping[str, tuple[int, int]] | None = None, **kwargs: tuple[int, int]):
        merged = dict(codes or {})
        merged.update(kwargs)
        checked = {}
        for name, code in merged.items():
            check_bias_name(name)
            try:
                coarse, fine = code
            except (TypeError, ValueError):
                raise ValueError(f"{name}: expected a (coarse, fine) pair, got {code!r}") from None
            checked[name] = check_code(coarse, fine, name)
        self._codes = MappingProxyType(dict(sorted(checked.items())))

    def __getitem__(self, name: str) -> tuple[int, int]:
        return self._codes[name]

    def __reduce__(self):  # picklable (checkpoints), though its mapping is read-only
        return (CoreBiases, (dict(self._codes),))

    def __iter__(self) -> Iterator[str]:
        return iter(self._codes)

    def __len__(self) -> int:
        return len(self._codes)

    def __repr__(self) -> str:
        return f"CoreBiases({dict(self._codes)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CoreBiases) and dict(self._codes) == dict(other._codes)

    def __hash__(self) -> int:
        return hash(tuple(self._codes.items()))

    def with_biases(self, codes: Mapping[str, tuple[int, int]] | None = None, **kwargs: tuple[int, int]) -> "CoreBiases":
        """A copy with some biases set to new codes."""
        merged = dict(self._codes)
        merged.update(codes or {})
        merged.update(kwargs)
        return CoreBiases(merged)

    def currents(self) -> dict[str, float]:
        """Nominal current (A) of every bias that is set."""
        return {name: bias_current(*code) for name, code in self._codes.items()}


# The parameter groups of the released neuromorphic-dreaming code (docs/protocol.md §3).
# Only the NMDA weight differs between the two networks among the synapses they use; the unused
# GABA taus differ too and are kept for fidelity.
_PAPER_COMMON = {
    "IF_THR_N": (0, 0),
    "IF_RFR_N": (2, 128),
    "IF_TAU1_N": (3, 150),
    "IF_TAU2_N": (3, 150),
    "IF_DC_P": (0, 0),
    "NPDPIE_TAU_S_P": (2, 100),
    "NPDPIE_THR_S_P": (5, 200),
    "NPDPIE_TAU_F_P": (7, 255),
    "NPDPIE_THR_F_P": (5, 200),
    "PS_WEIGHT_EXC_F_N": (6, 200),
    "NPDPII_THR_F_P": (5, 200),
    "PS_WEIGHT_INH_F_N": (6, 120),
    "NPDPII_THR_S_P": (5, 200),
    "PS_WEIGHT_INH_S_N": (7, 255),
}

PAPER_AGENT_BIASES = CoreBiases(
    _PAPER_COMMON,
    PS_WEIGHT_EXC_S_N=(5, 47),
    NPDPII_TAU_F_P=(7, 255),
    NPDPII_TAU_S_P=(7, 255),
)
"""Biases of the agent cores (0 and 1) in the paper's released code."""

PAPER_WORLD_MODEL_BIASES = CoreBiases(
    _PAPER_COMMON,
    PS_WEIGHT_EXC_S_N=(4, 50),
    NPDPII_TAU_F_P=(3, 150),
    NPDPII_TAU_S_P=(3, 150),
)
"""Biases of the world-model cores (2 and 3) in the paper's released code."""
