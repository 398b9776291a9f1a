"""Circuit dynamics against closed forms (docs/chip_model.md §5) and against a general ODE solver."""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from neurodream.chip import _layout as L
from neurodream.chip import CoreBiases, Stimulus, core_circuit
from neurodream.chip._dpi import dpi_charge, dpi_log_rate, dpi_pulse
from neurodream.chip.circuits import dpi_tau

from .conftest import NO_SCALE, single_neuron

# A subthreshold core: leak (1, 50) ~ 20.6 pA, gain (1, 100) ~ 41 pA, NMDA synapse of moderate weight.
SUB = CoreBiases(IF_TAU1_N=(1, 50), IF_THR_N=(1, 100), IF_RFR_N=(2, 128), NPDPIE_TAU_S_P=(2, 100),
                 NPDPIE_THR_S_P=(1, 100), PS_WEIGHT_EXC_S_N=(4, 100), IF_NMDA_N=(0, 0))


def test_synapse_decay_recovers_tau_within_one_percent():
    chip = single_neuron(SUB, connect=[(3, "NMDA", 4)])
    res = chip.run(0.02, Stimulus.from_spike_times([3], [0.0]), record=[0], record_dt_s=20e-6)
    t = res.traces["t_s"]
    i_syn = res.traces["i_syn_A"][0, 2]
    t_pulse = chip.params[0, L.T_PULSE]
    i0 = NO_SCALE.dark_current_A
    ok = (t > t_pulse + 1e-4) & (i_syn > 20 * i0)
    assert ok.sum() > 50
    slope = np.polyfit(t[ok], np.log(i_syn[ok]), 1)[0]
    i_tau = chip.circuits[(0, 1)].i_tau_syn_A[2]
    expected = NO_SCALE.C_syn_F[2] * NO_SCALE.thermal_voltage_V / (NO_SCALE.kappa * i_tau)
    assert -1.0 / slope == pytest.approx(expected, rel=0.01)


@pytest.mark.parametrize("i_start, drive", [(0.5e-12, 10e-9), (2e-9, 1e-9), (50e-12, 300e-9)])
def test_exact_pulse_matches_a_stiff_ode_solver(i_start, drive):
    tau, i_th, i_tau, dt = 3e-3, 40e-12, 0.3e-9, 130e-6
    rhs = lambda t, y: [dpi_log_rate(math.exp(y[0]), drive, tau, i_th, i_tau)]
    sol = solve_ivp(rhs, (0, dt), [math.log(i_start)], method="Radau", rtol=1e-11, atol=1e-12)
    assert dpi_pulse(i_start, drive, dt, tau, i_th, i_tau, 0.5e-12) == pytest.approx(math.exp(sol.y[0, -1]), rel=1e-6)


def test_pulse_charge_matches_quadrature():
    tau, i_th, i_tau, dt, drive, i_start = 3e-3, 40e-12, 0.3e-9, 130e-6, 10e-9, 2e-12
    ts = np.linspace(0, dt, 4001)
    traj = [dpi_pulse(i_start, drive, s, tau, i_th, i_tau, 0.5e-12) if s > 0 else i_start for s in ts]
    q_num = np.trapezoid(traj, ts)
    end = traj[-1]
    assert dpi_charge(i_start, end, drive, dt, tau, i_th, i_tau, 0.5e-12) == pytest.approx(q_num, rel=1e-5)


def _subthreshold_membrane(engine, **kw):
    chip = single_neuron(SUB, engine=engine, connect=[(3, "NMDA", 3), (5, "NMDA", 2)], **kw)
    stim = Stimulus.from_spike_times([3, 5, 3], [0.0, 1e-3, 4e-3])
    res = chip.run(0.01, stim)
    assert res.counts[0] == 0
    return chip.membrane_current_A()[0]


def test_input_charge_does_not_depend_on_the_time_step():
    ref = _subthreshold_membrane("reference", rk4_step_s=1e-6)
    assert ref > 100 * NO_SCALE.dark_current_A  # the volley really moved the membrane
    for engine, kw in [("reference", dict(rk4_step_s=1e-4)), ("reference", dict(rk4_step_s=1e-3)),
                       ("fast", dict(macro_step_s=1e-2)), ("fast", dict(macro_step_s=1e-3)),
                       ("fast", dict(macro_step_s=1e-4))]:
        assert _subthreshold_membrane(engine, **kw) == pytest.approx(ref, rel=2e-3), (engine, kw)


def _isi_closed_form(i_dc, c, cal):
    """(T3): inter-spike interval without feedback and AHP.

    Every DPI of the emulator rests at the dark current I0, so the idle AHP and GABA_A circuits add
    2 I0 to the leak, and the idle AMPA, NMDA (gate ~1) and GABA_B circuits add I0 to the input.
    """
    i0 = cal.dark_current_A
    leak = c.i_tau_mem_A + 2 * i0
    i_in = i_dc + i0
    tau = dpi_tau(cal.C_mem_F, leak, cal)
    i_th, i_r, i_spk = c.i_th_mem_A, cal.reset_current_A, cal.spike_threshold_A
    a = (i_th / leak) * (i_in - leak)
    if a <= i_spk:
        return math.inf
    return tau * ((1 + i_th / a) * math.log((a - i_r) / (a - i_spk)) + (i_th / a) * math.log(i_spk / i_r))


@pytest.mark.parametrize("engine", ["reference", "fast"])
def test_constant_current_rate_matches_the_closed_form(engine):
    cal = NO_SCALE.replace(feedback_gain_A=1e-30)  # (T3) has no positive feedback
    rates, expected = [], []
    for fine in (30, 60, 120, 200):
        biases = SUB.with_biases(IF_DC_P=(3, fine), IF_RFR_N=(5, 255))
        chip = single_neuron(biases, calibration=cal, engine=engine)
        c = chip.circuits[(0, 1)]
        res = chip.run(0.5, None)
        isi = np.diff(res.spike_times_s)
        assert isi.size >= 5
        rates.append(1 / isi[1:].mean())
        t_ref = chip.params[0, L.T_REF]
        expected.append(1 / (t_ref + _isi_closed_form(c.i_dc_A, c, cal)))
    assert np.all(np.diff(rates) > 0)
    np.testing.assert_allclose(rates, expected, rtol=0.01)


def test_below_rheobase_there_is_no_spike():
    cal = NO_SCALE.replace(feedback_gain_A=1e-30)
    biases = SUB.with_biases(IF_DC_P=(2, 100))  # A = 2 (0.32 nA - 20.6 pA) < 1 nA
    chip = single_neuron(biases, calibration=cal)
    assert _isi_closed_form(chip.circuits[(0, 1)].i_dc_A, chip.circuits[(0, 1)], cal) == math.inf
    assert chip.run(0.5, None).counts[0] == 0


def test_refractory_period_bounds_the_rate():
    biases = SUB.with_biases(IF_DC_P=(7, 255), IF_RFR_N=(2, 128))
    chip = single_neuron(biases, engine="fast")
    t_ref = core_circuit(biases, NO_SCALE).refractory_s
    res = chip.run(0.2, None)
    isi = np.diff(res.spike_times_s)
    assert isi.min() >= t_ref * (1 - 1e-9)
    assert 1 / isi.mean() == pytest.approx(1 / t_ref, rel=0.05)  # (T4): saturation at 1/t_ref


def test_feedback_makes_the_neuron_fire_faster():
    slow = single_neuron(SUB.with_biases(IF_DC_P=(3, 60)), calibration=NO_SCALE.replace(feedback_gain_A=1e-30))
    fast = single_neuron(SUB.with_biases(IF_DC_P=(3, 60)))
    assert fast.run(0.3, None).counts[0] > slow.run(0.3, None).counts[0]
