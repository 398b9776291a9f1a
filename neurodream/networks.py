"""The paper's two feed-forward networks on one emulated DYNAP-SE1 (docs/protocol.md §3).

Agent: cores 0-1 of chip 3, neurons 1-255 of each (510 neurons); world model: cores 2-3. Every
hidden neuron gets 8 NMDA CAM words from the 40 state generators: integer weights drawn uniformly
from 1-4 (the last one truncated to what is left), each to a distinct random generator. Network
index ``i`` of a network's neurons is the readout index ``neuron - 1 + 255 * core``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .chip import PAPER_AGENT_BIASES, PAPER_WORLD_MODEL_BIASES, CoreBiases, Network
from .chip.calibration import PAPER_CHIP
from .encoding import ACTION_GENERATORS, N_STATE_GENERATORS
from .seeding import stream

CHIP_ID = PAPER_CHIP
AGENT_CORES = (0, 1)
AGENT_CHIP_CORES = tuple((CHIP_ID, core) for core in AGENT_CORES)
"""The agent's cores as ``(chip, core)`` pairs (what calibration records are keyed by)."""
MODEL_CORES = (2, 3)
MODEL_CHIP_CORES = tuple((CHIP_ID, core) for core in MODEL_CORES)
NEURONS_PER_CORE_USED = 255
CAM_WORDS_PER_NEURON = 8
MAX_WEIGHT = 4
N_HIDDEN = NEURONS_PER_CORE_USED * 2
FIDELITY_MODES = ("paper", "corrected")
assert ACTION_GENERATORS == tuple(range(N_STATE_GENERATORS, N_STATE_GENERATORS + 3))  # drawn by index below


@dataclasses.dataclass
class PaperChip:
    """The network put on the chip and where each population's neurons are (network indices)."""

    network: Network
    agent: np.ndarray
    model: np.ndarray | None


def draw_weights(rng: np.random.Generator, total: int = CAM_WORDS_PER_NEURON) -> list[int]:
    """Integer weights 1..4 drawn uniformly, the last truncated, summing to ``total``."""
    out = []
    left = total
    while left > 0:
        w = min(int(rng.integers(1, MAX_WEIGHT + 1)), left)
        out.append(w)
        left -= w
    return out


def _population(net: Network, cores, biases: CoreBiases, rng, n_sources: int) -> np.ndarray:
    """Neurons 1-255 of each core, each with 8 NMDA words from distinct random generators among the
    first ``n_sources`` (40: the state generators; 43: the action generators too)."""
    idx = []
    for core in cores:
        idx.append(net.add_neurons(CHIP_ID, core, range(1, NEURONS_PER_CORE_USED + 1)))
        net.set_biases(CHIP_ID, core, biases)
    idx = np.concatenate(idx)
    for post in idx:
        weights = draw_weights(rng)
        sources = rng.choice(n_sources, size=len(weights), replace=False)
        for g, w in zip(sources, weights):
            net.connect_generator(int(g), int(post), "NMDA", weight=w)
    return idx


def build_paper_chip(
    seed: int,
    *,
    with_model: bool = True,
    fidelity: str = "paper",
    agent_biases: CoreBiases = PAPER_AGENT_BIASES,
    model_biases: CoreBiases = PAPER_WORLD_MODEL_BIASES,
) -> PaperChip:
    """Agent (and world model) with independent random connectivity drawn from ``seed``.

    ``fidelity="paper"``: every hidden neuron draws its sources from the 40 state generators, so the
    action generators (ids 40-42) have no CAM targets, as in the released code (docs/protocol.md §8).
    ``"corrected"``: the world model's neurons draw theirs from all 43 generators, the fix of that
    bug, so each action drives its own random subset of model neurons (a fraction 1 - (40/43)^8 of
    them sees an action at all); the agent is the same in both modes.
    """
    if fidelity not in FIDELITY_MODES:
        raise ValueError(f"unknown fidelity mode {fidelity!r}; allowed: {', '.join(FIDELITY_MODES)}")
    agent_rng = stream(seed, "connectivity-agent")
    model_rng = stream(seed, "connectivity-model")
    net = Network(generator_chip=CHIP_ID)
    agent = _population(net, AGENT_CORES, agent_biases, agent_rng, N_STATE_GENERATORS)
    model = None
    if with_model:
        n_sources = N_STATE_GENERATORS + (len(ACTION_GENERATORS) if fidelity == "corrected" else 0)
        model = _population(net, MODEL_CORES, model_biases, model_rng, n_sources)
    return PaperChip(net, agent, model)
