"""From named biases to circuit parameters: currents (A), time constants and pulse widths (s).

Three layers are kept apart: bias codes (:mod:`biases`), the calibration record
(:mod:`calibration`) and the circuit parameters derived here. Equations (``docs/chip_model.md`` §2-3):

* bias current: ``I = max(I_nominal(coarse, fine) * scale[name], I0)`` (dark-current floor);
* DPI time constant (S1): ``tau = C U_T / (kappa I_tau)`` (Bartolozzi & Indiveri 2007);
* pulse-extender and refractory durations: ``t = V_switch C / I`` (Rockpool DYNAP-SE1 model).
"""

from __future__ import annotations

import dataclasses

from .biases import CoreBiases, bias_current
from .calibration import Calibration
from .limits import SynapseType

# Bias names of the three DPI currents (leak, gain, weight) of each synapse type.
SYNAPSE_BIAS_NAMES: dict[SynapseType, tuple[str, str, str]] = {
    SynapseType.GABA_B: ("NPDPII_TAU_S_P", "NPDPII_THR_S_P", "PS_WEIGHT_INH_S_N"),
    SynapseType.GABA_A: ("NPDPII_TAU_F_P", "NPDPII_THR_F_P", "PS_WEIGHT_INH_F_N"),
    SynapseType.NMDA: ("NPDPIE_TAU_S_P", "NPDPIE_THR_S_P", "PS_WEIGHT_EXC_S_N"),
    SynapseType.AMPA: ("NPDPIE_TAU_F_P", "NPDPIE_THR_F_P", "PS_WEIGHT_EXC_F_N"),
}


def bias_to_current(name: str, code: tuple[int, int], calibration: Calibration) -> float:
    """Current (A) of a bias on the emulated chip: nominal x per-bias scale, floored at I0."""
    nominal = bias_current(*code) * calibration.bias_scale.get(name, 1.0)
    return max(nominal, calibration.dark_current_A)


def dpi_tau(capacitance_F: float, i_tau_A: float, calibration: Calibration) -> float:
    """Time constant of a DPI circuit (S1): ``C U_T / (kappa I_tau)`` in s."""
    return capacitance_F * calibration.thermal_voltage_V / (calibration.kappa * i_tau_A)


def switch_time(capacitance_F: float, current_A: float, calibration: Calibration) -> float:
    """Time for ``current_A`` to charge ``capacitance_F`` to the switching voltage: ``V C / I`` in s."""
    return calibration.V_switch_V * capacitance_F / current_A


@dataclasses.dataclass(frozen=True)
class CoreCircuit:
    """Circuit parameters of one core, before device mismatch (SI units).

    Synapse tuples are indexed by :class:`SynapseType` (GABA_B, GABA_A, NMDA, AMPA).
    """

    i_tau_mem_A: float
    """Membrane leak for neurons on tau1 (IF_TAU1_N)."""
    i_tau2_mem_A: float
    """Membrane leak for neurons switched to tau2 (IF_TAU2_N)."""
    i_th_mem_A: float
    """Membrane DPI gain current (IF_THR_N)."""
    i_dc_A: float
    """Constant input current (IF_DC_P)."""
    i_nmda_gate_A: float
    """NMDA voltage-gate threshold current (IF_NMDA_N)."""
    i_ref_A: float
    """Refractory current (IF_RFR_N)."""
    i_pulse_A: float
    """Pulse-extender current (PULSE_PWLK_P)."""
    i_tau_ahp_A: float
    i_th_ahp_A: float
    i_w_ahp_A: float
    i_tau_syn_A: tuple[float, float, float, float]
    i_th_syn_A: tuple[float, float, float, float]
    i_w_syn_A: tuple[float, float, float, float]
    calibration: Calibration

    @property
    def tau_mem_s(self) -> float:
        """Membrane time constant of tau1 neurons: ``C_mem U_T / (kappa I_tau)``."""
        return dpi_tau(self.calibration.C_mem_F, self.i_tau_mem_A, self.calibration)

    @property
    def tau_syn_s(self) -> tuple[float, ...]:
        """DPI time constant of each synapse type."""
        cal = self.calibration
        return tuple(dpi_tau(cal.C_syn_F[s], self.i_tau_syn_A[s], cal) for s in SynapseType)

    @property
    def tau_ahp_s(self) -> float:
        return dpi_tau(self.calibration.C_ahp_F, self.i_tau_ahp_A, self.calibration)

    @property
    def refractory_s(self) -> float:
        """Refractory period ``V_switch C_ref / I(IF_RFR_N)``."""
        return switch_time(self.calibration.C_ref_F, self.i_ref_A, self.calibration)

    @property
    def pulse_width_s(self) -> float:
        """Synaptic pulse width ``V_switch C_pulse / I(PULSE_PWLK_P)``."""
        return switch_time(self.calibration.C_pulse_F, self.i_pulse_A, self.calibration)

    @property
    def syn_steady_state_A(self) -> tuple[float, ...]:
        """Linear-regime DPI output during a long pulse of one CAM word (S3): ``I_th I_w / I_tau``."""
        return tuple(self.i_th_syn_A[s] * self.i_w_syn_A[s] / self.i_tau_syn_A[s] for s in SynapseType)

    def summary(self) -> dict[str, float]:
        """The derived quantities a reader looks at first (SI units)."""
        out = {
            "tau_mem_s": self.tau_mem_s,
            "refractory_s": self.refractory_s,
            "pulse_width_s": self.pulse_width_s,
            "i_th_mem_A": self.i_th_mem_A,
            "i_tau_mem_A": self.i_tau_mem_A,
            "i_dc_A": self.i_dc_A,
        }
        for s in SynapseType:
            out[f"tau_{s.name.lower()}_s"] = self.tau_syn_s[s]
            out[f"i_w_{s.name.lower()}_A"] = self.i_w_syn_A[s]
        return out


def core_circuit(biases: CoreBiases, calibration: Calibration | None = None,
                 core: tuple[int, int] | None = None) -> CoreCircuit:
    """Convert the biases of core ``(chip, core)`` (unset ones filled from the calibration) to
    circuit parameters."""
    cal = calibration or Calibration()
    full = cal.resolve(biases, core)

    def cur(name: str) -> float:
        return bias_to_current(name, full[name], cal)

    syn = {s: tuple(cur(n) for n in SYNAPSE_BIAS_NAMES[s]) for s in SynapseType}
    return CoreCircuit(
        i_tau_mem_A=cur("IF_TAU1_N"),
        i_tau2_mem_A=cur("IF_TAU2_N"),
        i_th_mem_A=cur("IF_THR_N"),
        i_dc_A=cur("IF_DC_P"),
        i_nmda_gate_A=cur("IF_NMDA_N"),
        i_ref_A=cur("IF_RFR_N"),
        i_pulse_A=cur("PULSE_PWLK_P"),
        i_tau_ahp_A=cur("IF_AHTAU_N"),
        i_th_ahp_A=cur("IF_AHTHR_N"),
        i_w_ahp_A=cur("IF_AHW_P"),
        i_tau_syn_A=tuple(syn[s][0] for s in SynapseType),
        i_th_syn_A=tuple(syn[s][1] for s in SynapseType),
        i_w_syn_A=tuple(syn[s][2] for s in SynapseType),
        calibration=cal,
    )
