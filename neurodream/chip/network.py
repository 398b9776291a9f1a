"""What is put on the chip: neurons, CAM entries, spike-generator routing and core biases.

A :class:`Network` is a plain description validated against the DYNAP-SE1's limits
(:mod:`.limits`); :meth:`Network.validate` raises ``ValueError`` naming the neuron, core and limit
when the network could not be put on the chip. Routing follows the hardware: the FPGA sends every
generator event to one chip and a set of its cores (``core_mask``); there, each neuron whose CAM
holds the event's tag (core = id // 256, neuron = id % 256) receives one pulse per matching word.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections import defaultdict

import numpy as np

from .biases import CoreBiases
from .limits import (
    N_CAM_PER_NEURON,
    N_CORES_PER_CHIP,
    N_NEURONS_PER_CORE,
    N_SPIKE_GENERATORS,
    N_SRAM_PER_NEURON,
    SynapseType,
    check_address,
)


@dataclasses.dataclass(frozen=True, order=True)
class Address:
    """Hardware address of a neuron."""

    chip: int
    core: int
    neuron: int

    def __post_init__(self) -> None:
        check_address(self.chip, self.core, self.neuron)

    @property
    def tag(self) -> tuple[int, int]:
        """CAM tag other neurons use to listen to this one: (core, neuron); no chip id."""
        return (self.core, self.neuron)

    def __str__(self) -> str:
        return f"neuron (chip {self.chip}, core {self.core}, neuron {self.neuron})"


def generator_tag(generator_id: int) -> tuple[int, int]:
    """CAM tag of an FPGA spike generator: (id // 256, id % 256), aliasing on-chip neurons."""
    return (generator_id // N_NEURONS_PER_CORE, generator_id % N_NEURONS_PER_CORE)


@dataclasses.dataclass(frozen=True)
class CamEntry:
    """``multiplicity`` identical CAM words of one post neuron: source, synapse type."""

    post: int
    source_kind: str  # "generator" or "neuron"
    source: int  # generator id, or neuron index in the network
    syn_type: SynapseType
    multiplicity: int


class Network:
    """Neurons placed on cores, their CAM entries and the biases of every core used.

    >>> net = Network(generator_chip=0)
    >>> post = net.add_neurons(chip=0, core=1, neurons=[1, 2])
    >>> net.connect_generator(5, post[0], "NMDA", weight=3)
    >>> net.n_neurons, net.cam_words(post[0])
    (2, 3)
    """

    def __init__(self, generator_chip: int = 0, generator_core_mask: int = 0b1111):
        check_address(generator_chip, 0)
        if not (isinstance(generator_core_mask, int) and 0 < generator_core_mask < 2**N_CORES_PER_CHIP):
            raise ValueError(
                f"generator core mask {generator_core_mask!r} must select 1..4 cores (1..15)"
            )
        self.generator_chip = generator_chip
        self.generator_core_mask = generator_core_mask
        self._addresses: list[Address] = []
        self._index: dict[Address, int] = {}
        self._entries: list[CamEntry] = []
        self._biases: dict[tuple[int, int], CoreBiases] = {}
        self._tau2: set[int] = set()
        self.empty_cam_listens_to_tag0 = False

    # --- building -----------------------------------------------------------------------
    def add_neurons(self, chip: int, core: int, neurons) -> np.ndarray:
        """Place neurons (ids on the core) in the network; returns their network indices."""
        out = []
        for n in np.atleast_1d(np.asarray(neurons)).tolist():
            addr = Address(chip, core, int(n))
            if addr in self._index:
                raise ValueError(f"{addr} is already in the network")
            if addr.core == 0 and addr.neuron == 0:
                warnings.warn(
                    f"{addr}: empty CAM words read as (core 0, neuron 0, NMDA) on the chip, so this "
                    "neuron may drive every neuron with free CAM words; the paper's code avoids it",
                    stacklevel=2,
                )
            self._index[addr] = len(self._addresses)
            self._addresses.append(addr)
            out.append(self._index[addr])
        return np.asarray(out, dtype=np.int64)

    def set_biases(self, chip: int, core: int, biases: CoreBiases) -> None:
        """Set the 25-bias parameter group of one core (unset names keep power-on values)."""
        check_address(chip, core)
        if not isinstance(biases, CoreBiases):
            biases = CoreBiases(biases)
        self._biases[(chip, core)] = biases

    def use_tau2(self, indices) -> None:
        """Switch neurons to the IF_TAU2_N leak (default: IF_TAU1_N)."""
        for i in np.atleast_1d(np.asarray(indices)).tolist():
            self._check_index(i)
            self._tau2.add(int(i))

    def connect_generator(self, generator_id: int, post: int, syn_type, weight: int = 1) -> None:
        """Write ``weight`` CAM words (generator's tag, ``syn_type``) into neuron ``post``."""
        if not (isinstance(generator_id, (int, np.integer)) and 0 <= generator_id < N_SPIKE_GENERATORS):
            raise ValueError(f"spike generator id {generator_id!r} does not exist; allowed 0..{N_SPIKE_GENERATORS - 1}")
        self._add_entry(post, "generator", int(generator_id), syn_type, weight)

    def connect_neurons(self, pre: int, post: int, syn_type, weight: int = 1) -> None:
        """Write ``weight`` CAM words (pre's tag, ``syn_type``) into ``post`` and route pre's spikes."""
        self._check_index(pre)
        self._add_entry(post, "neuron", int(pre), syn_type, weight)

    def _add_entry(self, post, kind, source, syn_type, weight) -> None:
        self._check_index(post)
        syn = SynapseType.parse(syn_type)
        if isinstance(weight, bool) or not isinstance(weight, (int, np.integer)) or not 1 <= weight <= N_CAM_PER_NEURON:
            raise ValueError(
                f"weight {weight!r} of a connection to {self._addresses[post]} must be an integer "
                f"number of CAM words, 1..{N_CAM_PER_NEURON}"
            )
        self._entries.append(CamEntry(int(post), kind, source, syn, int(weight)))

    def _check_index(self, i) -> None:
        if not (isinstance(i, (int, np.integer)) and 0 <= i < len(self._addresses)):
            raise ValueError(f"neuron index {i!r} is not in the network (0..{len(self._addresses) - 1})")

    # --- views --------------------------------------------------------------------------
    @property
    def n_neurons(self) -> int:
        return len(self._addresses)

    @property
    def addresses(self) -> tuple[Address, ...]:
        return tuple(self._addresses)

    @property
    def entries(self) -> tuple[CamEntry, ...]:
        return tuple(self._entries)

    def biases(self, chip: int, core: int) -> CoreBiases:
        """Biases set on a core (empty if none were set: all keep power-on values)."""
        return self._biases.get((chip, core), CoreBiases())

    def uses_tau2(self, index: int) -> bool:
        return index in self._tau2

    def cam_words(self, post: int) -> int:
        """Number of CAM words neuron ``post`` uses."""
        return sum(e.multiplicity for e in self._entries if e.post == post)

    def reaches(self, address: Address) -> bool:
        """Whether the FPGA generators' events reach this neuron's core."""
        return address.chip == self.generator_chip and bool(self.generator_core_mask >> address.core & 1)

    # --- validation -----------------------------------------------------------------------
    def validate(self) -> None:
        """Raise ``ValueError`` if the network could not be put on a DYNAP-SE1 board."""
        words = defaultdict(int)
        for e in self._entries:
            words[e.post] += e.multiplicity
        for post, n in words.items():
            if n > N_CAM_PER_NEURON:
                raise ValueError(
                    f"{self._addresses[post]} has {n} CAM entries; the limit is {N_CAM_PER_NEURON} per neuron"
                )
        for e in self._entries:
            if e.source_kind == "generator" and not self.reaches(self._addresses[e.post]):
                raise ValueError(
                    f"{self._addresses[e.post]} listens to spike generator {e.source}, but the generators "
                    f"reach chip {self.generator_chip} cores {self._mask_cores()} only"
                )
        # fan-out: one SRAM entry per target chip
        targets = defaultdict(set)
        for e in self._entries:
            if e.source_kind == "neuron":
                targets[e.source].add(self._addresses[e.post].chip)
        for pre, chips in targets.items():
            if len(chips) > N_SRAM_PER_NEURON:
                raise ValueError(
                    f"{self._addresses[pre]} projects to {len(chips)} chips; a neuron has "
                    f"{N_SRAM_PER_NEURON} SRAM destination entries (one per target chip)"
                )
        # aliasing rule 1: one post neuron, one (tag, type): all sources must share the multiplicity
        by_tag = defaultdict(dict)
        for e in self._entries:
            tag, chip = self._source_tag(e)
            key = (e.post, tag, e.syn_type)
            prev = by_tag[key].get(chip)
            if prev is not None:
                raise ValueError(
                    f"{self._addresses[e.post]} lists source tag {tag} ({e.syn_type.name}) twice from "
                    f"the same chip; give one connection the summed weight instead"
                )
            by_tag[key][chip] = e.multiplicity
        for (post, tag, syn), chips in by_tag.items():
            if len(set(chips.values())) > 1:
                raise ValueError(
                    f"{self._addresses[post]}: sources on different chips share the CAM tag {tag} "
                    f"({syn.name}) with different weights {sorted(chips.values())}; the CAM has no chip id, "
                    "so aliased sources must have the same weight"
                )
        # aliasing rule 2: within one post core, a tag must come from the same set of source chips
        core_tags = defaultdict(dict)
        for (post, tag, syn), chips in by_tag.items():
            a = self._addresses[post]
            key = (a.chip, a.core, tag)
            src = frozenset(chips)
            prev = core_tags[key].setdefault("chips", src)
            if prev != src:
                raise ValueError(
                    f"core {a.core} of chip {a.chip}: neurons listen to tag {tag} from different sets of "
                    f"source chips ({sorted(map(str, prev))} vs {sorted(map(str, src))}); the CAM cannot tell them apart"
                )

    def _source_tag(self, e: CamEntry) -> tuple[tuple[int, int], object]:
        if e.source_kind == "generator":
            return generator_tag(e.source), "fpga"
        a = self._addresses[e.source]
        return a.tag, a.chip

    def _mask_cores(self) -> list[int]:
        return [c for c in range(N_CORES_PER_CHIP) if self.generator_core_mask >> c & 1]

    def cores(self) -> list[tuple[int, int]]:
        """(chip, core) of every core that holds a neuron of the network, sorted."""
        return sorted({(a.chip, a.core) for a in self._addresses})

    def generator_connections(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Emulated wiring from generators to neurons: arrays ``(generator, post, syn_type, multiplicity)``.

        Follows the hardware's tag matching: a generator event reaches the cores of the generator
        mask on the generator chip and drives every CAM word there with its tag, whatever source
        those words were written for (aliasing). With ``empty_cam_listens_to_tag0`` the free CAM
        words of every reached neuron act as (tag (0, 0), NMDA) words, as the chip's empty words read.
        """
        self.validate()
        gen_by_tag = defaultdict(list)
        for e in self._entries:
            if e.source_kind == "generator":
                gen_by_tag[generator_tag(e.source)].append(e.source)
        listened = defaultdict(int)  # (post, tag, type) -> multiplicity
        for e in self._entries:
            if not self.reaches(self._addresses[e.post]):
                continue
            tag, _ = self._source_tag(e)
            listened[(e.post, tag, int(e.syn_type))] = e.multiplicity
        if self.empty_cam_listens_to_tag0:
            for post, addr in enumerate(self._addresses):
                free = N_CAM_PER_NEURON - self.cam_words(post)
                if free > 0 and self.reaches(addr):
                    key = (post, (0, 0), int(SynapseType.NMDA))
                    listened[key] = listened.get(key, 0) + free
                    gen_by_tag[(0, 0)].append(0)
        rows = []
        for (post, tag, syn), mult in sorted(listened.items()):
            for gen in sorted(set(gen_by_tag.get(tag, ()))):
                rows.append((gen, post, syn, mult))
        if not rows:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty.copy(), empty.copy(), empty.copy()
        arr = np.asarray(rows, dtype=np.int64)
        return arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3]

    def has_neuron_sources(self) -> bool:
        return any(e.source_kind == "neuron" for e in self._entries)
