"""The DYNAP-SE1 emulator: chip limits, named biases, calibration, mismatch, networks, kernels.

It knows nothing of Pong or learning. Typical use::

    net = Network(generator_chip=3)
    idx = net.add_neurons(3, 0, range(1, 256))
    net.set_biases(3, 0, PAPER_AGENT_BIASES)
    net.connect_generator(12, idx[0], "NMDA", weight=2)
    chip = Emulator(net, seed=0)
    counts = chip.run(0.010, stimulus).counts
"""

from .biases import (
    BIAS_NAMES,
    PAPER_AGENT_BIASES,
    PAPER_WORLD_MODEL_BIASES,
    CoreBiases,
    bias_current,
    code_for_current,
)
from .calibration import Calibration
from .circuits import CoreCircuit, core_circuit
from .emulator import Emulator, EventCounts, RunResult
from .limits import SynapseType
from .mismatch import DEFAULT_MISMATCH_CV
from .network import Address, Network
from .stimulus import Stimulus, poisson_events, regular_train

__all__ = [
    "BIAS_NAMES",
    "PAPER_AGENT_BIASES",
    "PAPER_WORLD_MODEL_BIASES",
    "CoreBiases",
    "bias_current",
    "code_for_current",
    "Calibration",
    "CoreCircuit",
    "core_circuit",
    "Emulator",
    "EventCounts",
    "RunResult",
    "SynapseType",
    "DEFAULT_MISMATCH_CV",
    "Address",
    "Network",
    "Stimulus",
    "poisson_events",
    "regular_train",
]
