"""Energy and power of the emulated chip and of the host, from counted events (beyond the paper).

Chip side (the structure of Moradi et al. 2018's per-operation energies; ``docs/chip_model.md``)::

    E = spikes * E_spike + core_broadcasts * E_broadcast + cam_matches * E_pulse
        + (input_events + spikes) * E_route + P_static * T

Every energy per event is a parameter of :class:`ChipEnergies`. The defaults are the per-operation
values the reference recalls for Moradi et al. 2018 (DYNAP-SE, 0.18 um) and marks **unverified**:
the paper's table could not be retrieved here, so these numbers are placeholders to be checked,
and every figure that uses them says so. Static power is unknown and 0 by default.

Host side: the readouts and their learning are multiply-adds on a CPU, counted exactly here and
priced with an energy per multiply-add (also a parameter). The conventional counterpart of the
chip's hidden layer is a dense 40 -> 510 layer of rate units computed on the same CPU.
"""

from __future__ import annotations

import dataclasses

from .chip import EventCounts
from .encoding import N_STATE_GENERATORS
from .networks import N_HIDDEN


@dataclasses.dataclass(frozen=True)
class ChipEnergies:
    """Energy per hardware event (J) and static power (W) of the DYNAP-SE."""

    spike_J: float = 0.9e-9
    broadcast_J: float = 7e-9
    pulse_J: float = 0.3e-9
    route_J: float = 0.4e-9
    static_W: float = 0.0

    def __post_init__(self):
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if not (isinstance(v, (int, float)) and v >= 0):
                raise ValueError(f"{f.name} = {v!r}: must be a non-negative number")

    @staticmethod
    def sources() -> dict[str, str]:
        recalled = "Moradi et al. 2018 (IEEE TBioCAS 12(1):106-122), value recalled from memory, UNVERIFIED"
        return {
            "spike_J": f"generate one spike (neuron + encoder): {recalled}",
            "broadcast_J": f"broadcast one event into a core (CAM search over 256 x 64 words): {recalled}",
            "pulse_J": f"one matching CAM word's synaptic pulse: {recalled}",
            "route_J": f"route one event one hop (FPGA <-> chip): {recalled}",
            "static_W": "unknown; 0 counts dynamic energy only",
        }


HOST_MAC_J = 1e-9
"""Energy of one multiply-add on the host CPU including memory traffic (J): an order-of-magnitude
placeholder (a ~10 W core doing ~10^10 multiply-adds/s), to be replaced by a measurement."""


def chip_energy_J(events: EventCounts, e: ChipEnergies = ChipEnergies()) -> dict[str, float]:
    """Energy of the counted events, by kind, and their total (J)."""
    parts = {
        "spikes": events.spikes * e.spike_J,
        "broadcasts": events.core_broadcasts * e.broadcast_J,
        "pulses": events.cam_matches * e.pulse_J,
        "routing": (events.input_events + events.spikes) * e.route_J,
        "static": e.static_W * events.time_s,
    }
    parts["total"] = sum(parts.values())
    return parts


def readout_macs_per_step(dreaming: bool, learning: bool = True) -> int:
    """Host multiply-adds per network step: filter + 3 policy logits (+ trace update), and with
    dreaming the world model's filter + 5 outputs (+ its gradient step)."""
    macs = N_HIDDEN + 3 * N_HIDDEN + (3 * N_HIDDEN if learning else 0)
    if dreaming:
        macs += N_HIDDEN + 5 * N_HIDDEN + (5 * N_HIDDEN if learning else 0)
    return macs


def dense_hidden_macs_per_step() -> int:
    """Multiply-adds of a conventional dense hidden layer of the same size (40 inputs -> 510)."""
    return N_STATE_GENERATORS * N_HIDDEN
