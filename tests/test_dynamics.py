"""Circuit dynamics against closed forms (docs/chip_model.md §5) and against a general ODE solver."""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from neurodream.chip import _layout as L
from neurodream.chip import CoreBiases, Stimulus, core_circuit
from neurodream.chip._dpi import dpi_charge, dpi_log_rate, dpi_pulse
from neurodream.chip.oracles import dc_interspike_interval

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
                       ("fast", dict(rk4_step_s=1e-3)), ("fast", dict(rk4_step_s=1e-4))]:
        assert _subthreshold_membrane(engine, **kw) == pytest.approx(ref, rel=2e-3), (engine, kw)


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
        expected.append(1 / (t_ref + dc_interspike_interval(c.i_dc_A, c, cal)))
    assert np.all(np.diff(rates) > 0)
    np.testing.assert_allclose(rates, expected, rtol=0.01)


def test_below_rheobase_there_is_no_spike():
    cal = NO_SCALE.replace(feedback_gain_A=1e-30)
    biases = SUB.with_biases(IF_DC_P=(2, 100))  # A = 2 (0.32 nA - 20.6 pA) < 1 nA
    chip = single_neuron(biases, calibration=cal)
    assert dc_interspike_interval(chip.circuits[(0, 1)].i_dc_A, chip.circuits[(0, 1)], cal) == math.inf
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


def test_a_synapse_does_not_see_its_neuron_spike():
    """Two neurons with the same NMDA input and biases, one also driven by a strong DC current so that
    it spikes more: in the circuit equations a synapse does not know about its neuron's spikes, so
    their NMDA currents stay identical (a spike inside an integration step must not move them)."""
    from neurodream.chip import Calibration, Emulator, Network, PAPER_AGENT_BIASES

    base = PAPER_AGENT_BIASES.with_biases(PS_WEIGHT_EXC_S_N=(4, 50))
    stim = Stimulus.from_spike_times([3, 3, 3], [0.0, 3e-3, 6e-3])
    for engine, kw in [("reference", {}), ("reference", dict(rk4_step_s=1e-5)), ("fast", {})]:
        net = Network(generator_chip=0)
        quiet, driven = net.add_neurons(0, 1, [1])[0], net.add_neurons(0, 2, [1])[0]
        net.set_biases(0, 1, base)
        net.set_biases(0, 2, base.with_biases(IF_DC_P=(5, 100)))
        for post in (quiet, driven):
            net.connect_generator(3, int(post), "NMDA", weight=1)
        chip = Emulator(net, Calibration(core_unset_biases={}), mismatch_cv=0.0, engine=engine, **kw)
        counts = sum(chip.run(0.01, stim).counts for _ in range(30))  # 130 us pulses
        assert counts[1] > 2 * counts[0] > 0  # the DC input really adds spikes
        nmda = chip.synapse_current_A()[:, 2]
        assert nmda[1] == pytest.approx(nmda[0], rel=1e-6), (engine, kw)


def _independent_spike_times(p, duration_s):
    """Spike times of one neuron with constant input and spike-frequency adaptation, integrated from
    the equations (``_dpi`` module docstring) by scipy's LSODA, independently of the emulator's
    kernels: state (ln I_ahp, u); every synapse at its floor I0; after a spike the membrane is held
    at the reset for the refractory period and the AHP DPI is driven by its pulse (extended if
    retriggered)."""
    i0, r, i_th, i_tau, i_dc, i_nt = (p[c] for c in (L.I0, L.R_MEM, L.I_TH, L.I_TAU, L.I_DC, L.I_NT))
    log_i0 = math.log(i0)
    u_spk, u_reset = math.log(p[L.I_SPK] / i0), math.log(p[L.I_RESET] / i0)

    def feedback(i_mem):
        x = -(i_mem - p[L.FB_THR]) / p[L.FB_SLOPE]
        return 0.0 if x > 700 else p[L.FB_GAIN] / (1 + math.exp(x))

    def rhs(t, y, drive, refractory):
        log_ahp, u = y
        i_ahp = math.exp(log_ahp)
        if drive == 0.0 and log_ahp <= log_i0:
            d_ahp = 0.0  # a DPI on its floor without input stays there
        else:
            d_ahp = ((p[L.AHP_ITH] / p[L.AHP_ITAU]) * drive - p[L.AHP_ITH] - i_ahp) / (p[L.AHP_TAU] * (i_ahp + p[L.AHP_ITH]))
        if refractory:
            return [d_ahp, 0.0]
        i_mem = i0 * math.exp(u)
        i_in = max(0.0, i0 * i_mem / (i_mem + i_nt) + i_dc)  # NMDA floor (gated), AMPA - GABA_B floors cancel
        return [d_ahp, r * (i_in * i_th / (i_mem + i_th) - i_tau - i_ahp - i0 + feedback(i_mem))]

    def threshold(t, y, *args):
        return y[1] - u_spk
    threshold.terminal, threshold.direction = True, 1
    t, y, ahp_end, ref_end, spikes = 0.0, [log_i0, 0.0], -1.0, -1.0, []
    while t < duration_s:
        t_stop = min([duration_s] + [e for e in (ahp_end, ref_end) if e > t])
        refractory = ref_end > t
        sol = solve_ivp(rhs, (t, t_stop), y, args=(p[L.AHP_IW] if ahp_end > t else 0.0, refractory),
                        method="LSODA", rtol=1e-10, atol=1e-12, max_step=1e-4,
                        events=None if refractory else threshold)
        if sol.status == 1:
            t, y = sol.t_events[0][0], [max(sol.y_events[0][0][0], log_i0), u_reset]
            spikes.append(t)
            ref_end, ahp_end = t + p[L.T_REF], t + p[L.AHP_TPULSE]
        else:
            t, y = t_stop, [max(sol.y[0, -1], log_i0), sol.y[1, -1]]
    return np.array(spikes)


@pytest.mark.parametrize("engine, rel", [("reference", 1e-3), ("fast", 5e-3)])
def test_adapting_rate_matches_an_independent_integration(engine, rel):
    cal = NO_SCALE.replace(feedback_gain_A=1e-30)
    ahp = dict(IF_AHTAU_N=(1, 50), IF_AHTHR_N=(1, 100), IF_AHW_P=(4, 100))  # tau_ahp ~ 69 ms
    for fine in (60, 120, 200):
        biases = SUB.with_biases(IF_DC_P=(3, fine), IF_RFR_N=(5, 255), **ahp)
        chip = single_neuron(biases, calibration=cal, engine=engine)
        got = chip.run(0.3, None).spike_times_s
        want = _independent_spike_times(chip.params[0], 0.3)
        assert want.size >= 50  # adapting, but firing
        without = single_neuron(SUB.with_biases(IF_DC_P=(3, fine), IF_RFR_N=(5, 255)), calibration=cal)
        assert without.run(0.3, None).counts[0] > 1.2 * want.size  # the adaptation is strong
        rate = lambda s: 1 / np.diff(s[s.size // 2:]).mean()  # adapted rate: second half of the spikes
        assert got.size == pytest.approx(want.size, abs=1)
        assert rate(got) == pytest.approx(rate(want), rel=rel), fine
