"""Topology and hard limits of the DYNAP-SE1 board, each defined once.

Sources: samna/ctxctl constants as used by the neuromorphic-dreaming code, Rockpool ``params.py``
and the INI dynapse-simulator ``DynapSE.py`` (summarised in ``docs/chip_model.md`` §1 and §7).
A network that violates one of these limits cannot be put on the chip; the validation in
:mod:`neurodream.chip.network` raises a ``ValueError`` naming the limit.
"""

from __future__ import annotations

import enum

N_CHIPS = 4
"""Chips per board (2 x 2)."""
N_CORES_PER_CHIP = 4
"""Cores per chip; the 25 biases are shared by all neurons of a core."""
N_NEURONS_PER_CORE = 256
"""Neurons per core (16 x 16)."""
N_NEURONS_PER_CHIP = N_CORES_PER_CHIP * N_NEURONS_PER_CORE
N_CAM_PER_NEURON = 64
"""CAM words per neuron: the fan-in. A connection's weight is the number of identical words."""
N_SRAM_PER_NEURON = 4
"""SRAM destination entries per neuron: at most this many target chips (fan-out)."""
N_BIASES_PER_CORE = 25
"""Named coarse/fine biases per core."""
N_COARSE = 8
"""Coarse bias levels 0..7."""
N_FINE = 256
"""Fine bias levels 0..255."""

FPGA_CLOCK_HZ = 90e6
"""FPGA spike-generator clock; the ISI unit is ``isi_base / 90 MHz`` (isi_base 90 -> 1 us)."""
ISI_MAX_UNITS = 65535
"""Largest inter-spike interval an FPGA stimulus event can carry (16-bit field)."""
MAX_STIMULUS_EVENTS = 32766
"""Longest FPGA stimulus (events); the dreaming code's limit is ``< 2**15 - 1``."""
N_SPIKE_GENERATORS = 1024
"""FPGA virtual neurons (ids 0..1023); id -> tag (core = id // 256, neuron = id % 256)."""
N_SYNAPSE_TYPES = 4


class SynapseType(enum.IntEnum):
    """The four DPI synapse types, numbered as samna's ``Dynapse1SynType`` (CAM bits: exc/inh, fast/slow)."""

    GABA_B = 0
    """Slow inhibitory; subtracted from the neuron's input current."""
    GABA_A = 1
    """Fast inhibitory; shunting (adds to the membrane leak)."""
    NMDA = 2
    """Slow excitatory; voltage-gated by IF_NMDA_N."""
    AMPA = 3
    """Fast excitatory; added to the neuron's input current."""

    @classmethod
    def parse(cls, value: "SynapseType | str | int") -> "SynapseType":
        """Accept a member, its name (any case) or its number; raise ``ValueError`` otherwise."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            try:
                return cls[value.upper()]
            except KeyError:
                pass
        elif isinstance(value, int) and not isinstance(value, bool):
            try:
                return cls(value)
            except ValueError:
                pass
        allowed = ", ".join(m.name for m in cls)
        raise ValueError(f"unknown synapse type {value!r}; allowed: {allowed} (or 0..3)")


def global_neuron_id(chip: int, core: int, neuron: int) -> int:
    """Board-wide neuron id ``chip * 1024 + core * 256 + neuron`` (samna convention)."""
    check_address(chip, core, neuron)
    return chip * N_NEURONS_PER_CHIP + core * N_NEURONS_PER_CORE + neuron


def check_address(chip: int, core: int, neuron: int | None = None) -> None:
    """Raise ``ValueError`` if a chip, core or neuron index is outside the board."""
    if not 0 <= chip < N_CHIPS:
        raise ValueError(f"chip {chip} does not exist; allowed 0..{N_CHIPS - 1}")
    if not 0 <= core < N_CORES_PER_CHIP:
        raise ValueError(f"core {core} does not exist; allowed 0..{N_CORES_PER_CHIP - 1}")
    if neuron is not None and not 0 <= neuron < N_NEURONS_PER_CORE:
        raise ValueError(f"neuron {neuron} does not exist; allowed 0..{N_NEURONS_PER_CORE - 1}")
