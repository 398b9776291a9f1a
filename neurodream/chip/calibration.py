"""What the chip does not reveal: one record of calibration constants, each with its source.

The DYNAP-SE1 documentation fixes the bias ladder and the circuit topology, not the capacitances,
the spike threshold, the positive-feedback fit, the pulse width nor the LowBias scale of the
membrane leak. Every such value lives here, once, with the source or the reason for it
(:meth:`Calibration.sources`). Users pass another record to the emulator to vary them; the
emulator notebook shows how the spike counts depend on the uncertain ones.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .biases import CoreBiases, check_bias_name, check_code
from .limits import SynapseType


def _frozen(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


PAPER_CHIP = 3
"""The chip the paper's networks use (its cores 0-1: agent, 2-3: world model)."""
PAPER_AGENT_PULSE = (5, 45)
PAPER_MODEL_PULSE = (4, 46)
"""PULSE_PWLK_P of the agent and world-model cores, frozen before any dreaming run of the study: the
agent's fitted to the published baseline, the world model's by a rule on activity (see
``CALIBRATION_SOURCES['core_unset_biases']`` and notebook 00)."""
DREAMING_AGENT_PULSE = (5, 62)
"""The first emulation's PULSE_PWLK_P of the agent cores in the dreaming setup (no longer a default:
the released code had one setting for both conditions); kept to reproduce that emulation."""


_CAPACITOR = (1e-13, 1e-9, "0.1 pF to 1 nF, on-chip capacitors (synapse capacitors of 10 fF break "
              "the DPI pulse solver)")
_CURRENT = (1e-15, 1e-5, "1 fA to 10 uA, the range of the chip's bias currents")
CALIBRATION_RANGES: Mapping[str, tuple[float, float, str]] = _frozen({
    "thermal_voltage_V": (0.01, 0.05, "kT/q from about 116 K to 580 K"),
    "kappa": (0.1, 1.0, "the subthreshold slope factor, at most 1 in any MOS transistor"),
    "dark_current_A": (1e-18, 1e-9, "1 aA to 1 nA"),
    "C_mem_F": _CAPACITOR, "C_syn_F": _CAPACITOR, "C_ahp_F": _CAPACITOR, "C_ref_F": _CAPACITOR,
    "C_pulse_F": _CAPACITOR,
    "V_switch_V": (0.05, 5.0, "a switching voltage below a supply of a few volts"),
    "ahp_pulse_fraction": (1e-6, 10.0, "the AHP pulse as a fraction of the synaptic pulse width"),
    "spike_threshold_A": _CURRENT,
    "reset_current_A": (1e-18, 1e-5, "1 aA to 10 uA"),
    "feedback_gain_A": (1e-40, 1e-5, "up to 10 uA; 1e-30 switches the positive feedback off"),
    "feedback_threshold_A": _CURRENT,
    "feedback_slope_A": _CURRENT,
})
"""Plausible range ``(low, high, reason)`` of each number of a :class:`Calibration` (SI units): far
wider than any published value, narrow enough to refuse what the emulator cannot run in reasonable
time or at all. A value outside (or not finite) raises ``ValueError`` naming it."""
BIAS_SCALE_RANGE = (1e-9, 1.0)
"""Range of a ``bias_scale`` factor: a LowBias scale can only make a bias smaller (the emulator's
time per window grows with it: 0.4 s per 10 ms window of the paper chip at 1, 4 s at 10)."""


def _check_number(label: str, value: Any, low: float, high: float, reason: str) -> float:
    """``value`` as a float if it is a finite number in ``[low, high]``; ``ValueError`` naming ``label``."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not (ok and low <= value <= high):
        raise ValueError(f"calibration {label} = {value!r}: must be a finite number between {low:g} and "
                         f"{high:g} ({reason})")
    return float(value)


@dataclasses.dataclass(frozen=True)
class Calibration:
    """Physical and layout constants of the emulated chip (SI units).

    Synapse capacitances are indexed by :class:`~neurodream.chip.limits.SynapseType`
    (GABA_B, GABA_A, NMDA, AMPA).
    """

    thermal_voltage_V: float = 0.025
    kappa: float = 0.705
    dark_current_A: float = 0.5e-12
    C_mem_F: float = 3e-12
    C_syn_F: tuple[float, float, float, float] = (25e-12, 24.5e-12, 25e-12, 24.5e-12)
    C_ahp_F: float = 40e-12
    C_ref_F: float = 1.5e-12
    C_pulse_F: float = 0.5e-12
    V_switch_V: float = 0.7
    ahp_pulse_fraction: float = 0.1
    spike_threshold_A: float = 1e-9
    reset_current_A: float = 0.5e-12
    feedback_gain_A: float = 50e-12
    feedback_threshold_A: float = 0.5e-9
    feedback_slope_A: float = 10e-12
    bias_scale: Mapping[str, float] = dataclasses.field(
        default_factory=lambda: _frozen({"IF_TAU1_N": 1e-4, "IF_TAU2_N": 1e-4})
    )
    unset_biases: Mapping[str, tuple[int, int]] = dataclasses.field(
        default_factory=lambda: _frozen({"PULSE_PWLK_P": (3, 106)})
    )
    core_unset_biases: Mapping[str, Mapping[str, tuple[int, int]]] = dataclasses.field(
        default_factory=lambda: _frozen({
            f"{PAPER_CHIP}:{core}": _frozen({"PULSE_PWLK_P": code})
            for core, code in ((0, PAPER_AGENT_PULSE), (1, PAPER_AGENT_PULSE),
                               (2, PAPER_MODEL_PULSE), (3, PAPER_MODEL_PULSE))
        })
    )
    """Per-core values of unset biases, keyed ``"chip:core"``; they override :attr:`unset_biases`."""

    def __post_init__(self) -> None:
        for name, (low, high, reason) in CALIBRATION_RANGES.items():
            if name != "C_syn_F":
                _check_number(name, getattr(self, name), low, high, reason)
        if isinstance(self.C_syn_F, (str, bytes)) or len(self.C_syn_F) != 4:
            raise ValueError(f"calibration C_syn_F = {self.C_syn_F!r}: need 4 capacitances (F), one per synapse type")
        syn = tuple(_check_number(f"C_syn_F[{k}]", c, *CALIBRATION_RANGES["C_syn_F"]) for k, c in enumerate(self.C_syn_F))
        object.__setattr__(self, "C_syn_F", syn)
        scale = {}
        for name, factor in dict(self.bias_scale).items():
            check_bias_name(name)
            scale[name] = _check_number(f"bias_scale[{name!r}]", factor, *BIAS_SCALE_RANGE,
                                        "a LowBias scale can only make a bias smaller")
        object.__setattr__(self, "bias_scale", _frozen(scale))
        unset = {}
        for name, code in dict(self.unset_biases).items():
            check_bias_name(name)
            unset[name] = check_code(*code, name=name)
        object.__setattr__(self, "unset_biases", _frozen(unset))
        per_core = {}
        for key, values in dict(self.core_unset_biases).items():
            parts = str(key).split(":")
            if len(parts) != 2 or not all(x.isdigit() for x in parts) or int(parts[0]) > 3 or int(parts[1]) > 3:
                raise ValueError(f"calibration core_unset_biases key {key!r}: must be 'chip:core' with chip and core in 0-3")
            codes = {}
            for name, code in dict(values).items():
                check_bias_name(name)
                codes[name] = check_code(*code, name=name)
            per_core[str(key)] = _frozen(codes)
        object.__setattr__(self, "core_unset_biases", _frozen(per_core))
        if self.reset_current_A >= self.spike_threshold_A:
            raise ValueError(
                f"reset current {self.reset_current_A} A must be below the spike threshold "
                f"{self.spike_threshold_A} A"
            )

    def replace(self, **changes: Any) -> "Calibration":
        """A copy with some constants changed (validated like the original)."""
        return dataclasses.replace(self, **changes)

    def resolve(self, biases: CoreBiases, core: tuple[int, int] | None = None) -> CoreBiases:
        """The biases of core ``(chip, core)`` with every unset name filled from
        :attr:`core_unset_biases` (that core's entry), else :attr:`unset_biases`, else (0, 0)."""
        from .biases import BIAS_NAMES

        full = {name: self.unset_biases.get(name, (0, 0)) for name in BIAS_NAMES}
        if core is not None:
            full.update(self.core_unset_biases.get(f"{core[0]}:{core[1]}", {}))
        full.update(biases)
        return CoreBiases(full)

    def syn_capacitance_F(self, syn: SynapseType | str | int) -> float:
        """Capacitance of one synapse type's DPI (F)."""
        return self.C_syn_F[SynapseType.parse(syn)]

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python view (for saving with results)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["bias_scale"] = dict(self.bias_scale)
        out["unset_biases"] = {k: list(v) for k, v in self.unset_biases.items()}
        out["core_unset_biases"] = {c: {k: list(v) for k, v in m.items()} for c, m in self.core_unset_biases.items()}
        out["C_syn_F"] = list(self.C_syn_F)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Calibration":
        """Inverse of :meth:`to_dict`; unknown keys raise ``ValueError``."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown calibration keys {sorted(unknown)}; allowed: {sorted(names)}")
        data = dict(data)
        if "unset_biases" in data:
            data["unset_biases"] = {k: tuple(v) for k, v in data["unset_biases"].items()}
        if "core_unset_biases" in data:
            data["core_unset_biases"] = {c: {k: tuple(v) for k, v in m.items()}
                                         for c, m in data["core_unset_biases"].items()}
        if "C_syn_F" in data:
            data["C_syn_F"] = tuple(data["C_syn_F"])
        return cls(**data)

    def __reduce__(self):  # picklable (checkpoints), though its mappings are read-only
        return (Calibration.from_dict, (self.to_dict(),))

    def with_core_bias(self, cores, name: str, code: tuple[int, int]) -> "Calibration":
        """A copy with the unset bias ``name`` set to ``code`` on each ``(chip, core)`` in ``cores``
        (validated like any record)."""
        per_core = {key: dict(values) for key, values in self.core_unset_biases.items()}
        for chip, core in cores:
            per_core.setdefault(f"{chip}:{core}", {})[name] = tuple(code)
        return self.replace(core_unset_biases=per_core)

    @staticmethod
    def sources() -> dict[str, str]:
        """Where each default value comes from, or why it was chosen."""
        return dict(CALIBRATION_SOURCES)


CALIBRATION_SOURCES: Mapping[str, str] = _frozen(
    {
        "thermal_voltage_V": "U_T = 25 mV, as in teili, Rockpool (DynapSE1Layout) and the INI dynapse-simulator.",
        "kappa": "Mean of kappa_n 0.75 and kappa_p 0.66 (teili, Rockpool, dynapse-simulator).",
        "dark_current_A": "I0 = 0.5 pA (teili, Rockpool); every current is floored at I0.",
        "C_mem_F": "3 pF: Rockpool DYNAP-SE1 model (6 C0, C0 = 0.5 pF). Not a published chip value.",
        "C_syn_F": "GABA_B 25, GABA_A 24.5, NMDA 25, AMPA 24.5 pF: Rockpool DYNAP-SE1 model.",
        "C_ahp_F": "40 pF: Rockpool DYNAP-SE1 model (80 C0).",
        "C_ref_F": "1.5 pF: Rockpool DYNAP-SE1 model; t_ref = V_switch C_ref / I(IF_RFR_N).",
        "C_pulse_F": "0.5 pF: Rockpool DYNAP-SE1 model; t_pulse = V_switch C_pulse / I(PULSE_PWLK_P).",
        "V_switch_V": "0.7 V switching voltage of the pulse extender and refractory circuits (Rockpool Von/Vth).",
        "ahp_pulse_fraction": "The AHP block's pulse is 0.1 of the synaptic pulse width (Rockpool SE1 fpulse_ahp).",
        "spike_threshold_A": "1 nA: teili's I_spkthr (the SE1 threshold is fixed by layout and unpublished).",
        "reset_current_A": "Reset to the dark current I0 (Rockpool).",
        "feedback_gain_A": "Positive-feedback sigmoid fit of teili / INI dynapse-simulator: I_a gain 50 pA.",
        "feedback_threshold_A": "teili fit: I_a half-activation at 0.5 nA.",
        "feedback_slope_A": "teili fit: I_a slope 10 pA.",
        "bias_scale": "IF_TAU1_N (and IF_TAU2_N) are LowBias on every public cAER default set; Rockpool's "
        "SE1 converter scales IF_TAU1_N by 1e-4 without explanation. Used for both leak biases.",
        "unset_biases": "Biases the paper's code never sets keep samna's power-on value, which could not be "
        "read. PULSE_PWLK_P (3, 106) is the cAER default set (wzygzlm/caer dynapse_common.c); all other "
        "unset biases are (0, 0), i.e. the dark current.",
        "core_unset_biases": "PULSE_PWLK_P is a per-core bias the paper's code never set, so the chip ran with "
        "its unknown power-on value, the same in both conditions. The agent cores (3:0, 3:1) get the value "
        "fitted to the published baseline curves alone (notebook 00: a coarse search over six widths, "
        "5 runs x 2000 games each of the emulated released loop, ranked by the start, the RMS difference of "
        "the mean curves and the share of points within the published +-1 SD; figures/00_calibration_search.csv), "
        "(5, 45), a 5 us pulse. The baseline cannot tell the world-model cores' (3:2, 3:3) value; they get "
        "the one with which the untrained world model fires as many spikes per read as the untrained agent "
        "in the dreaming setup (emulator_study.matched_model_pulse; figures/00_model_pulse.csv), (4, 46), "
        "a rule on activity alone, fixed before any dreaming run. Both were frozen, and committed, before "
        "the first dreaming run of the study: dreaming is a prediction.",
    }
)
