"""Closed forms the emulator's engines are checked against (tests and ``bench accuracy``).

* (T3) The inter-spike interval of a neuron driven by a constant current, without positive feedback
  and adaptation: the membrane equation (``_dpi``) is then the DPI form
  ``tau (1 + I_th / I) dI/dt + I = A``, separable; integrated from the reset to the threshold::

      ISI = tau [(1 + I_th / A) ln((A - I_reset) / (A - I_spk)) + (I_th / A) ln(I_spk / I_reset)]
      A   = (I_th / I_leak) (I_in - I_leak),   tau = C_mem U_T / (kappa I_leak)

  (Chicca et al. 2014, the DPI neuron's first-order solution). Every DPI of the emulator rests at
  the dark current I0, so the idle AHP and GABA_A circuits add 2 I0 to the leak, and the idle AMPA,
  NMDA (gate taken as 1) and GABA_B circuits add I0 to the input. The NMDA gate is below 1 near the
  floor only, where the membrane spends a short time: ``bench accuracy`` shows the form within 1e-4
  of the converged reference engine.
"""

from __future__ import annotations

import math

from .calibration import Calibration
from .circuits import CoreCircuit, dpi_tau


def dc_interspike_interval(i_dc_A: float, circuit: CoreCircuit, calibration: Calibration) -> float:
    """(T3): seconds between a reset and the next threshold crossing (inf below rheobase)."""
    i0 = calibration.dark_current_A
    leak = circuit.i_tau_mem_A + 2 * i0
    i_in = i_dc_A + i0
    tau = dpi_tau(calibration.C_mem_F, leak, calibration)
    i_th, i_r, i_spk = circuit.i_th_mem_A, calibration.reset_current_A, calibration.spike_threshold_A
    a = (i_th / leak) * (i_in - leak)
    if a <= i_spk:
        return math.inf
    return tau * ((1 + i_th / a) * math.log((a - i_r) / (a - i_spk)) + (i_th / a) * math.log(i_spk / i_r))
