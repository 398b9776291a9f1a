"""The fast engine's tiers against oracles: the general DPI solver, round trips, the reference engine."""

import math
import pickle

import numpy as np
import pytest

from neurodream.chip import Calibration, Emulator, PAPER_AGENT_BIASES, PAPER_WORLD_MODEL_BIASES, Stimulus
from neurodream.chip import _layout as L
from neurodream.chip import _pflow as PF
from neurodream.chip._dpi import dpi_charge, dpi_pulse
from neurodream.encoding import encode
from neurodream.networks import build_paper_chip
from neurodream.pong import random_states

from .conftest import single_neuron


@pytest.mark.parametrize("biases", [PAPER_AGENT_BIASES.with_biases(PULSE_PWLK_P=(5, 45)),  # 5 us
                                    PAPER_WORLD_MODEL_BIASES.with_biases(PULSE_PWLK_P=(4, 45)),  # 40 us
                                    PAPER_AGENT_BIASES.with_biases(PULSE_PWLK_P=(3, 106))])  # 130 us
@pytest.mark.parametrize("i_start", [0.5e-12, 3e-12, 2e-9, 80e-9])
def test_nmda_pulse_matches_the_general_dpi_solver(biases, i_start):
    # the closed-form tier's pulse (Halley from the small-current solution, or the general solver near
    # saturation) against the bracketed general solver, over the paper's pulses and a long one
    chip = single_neuron(biases, calibration=Calibration(), connect=[(3, "NMDA", 1)])
    p, c = chip.params, chip._closed_form
    for words in (1, 3, 8):
        got, q = PF.nmda_pulse(i_start, float(words), p, c, 0)
        args = (words * p[0, L.SYN_IW + L.NMDA], p[0, L.T_PULSE], p[0, L.SYN_TAU + L.NMDA],
                p[0, L.SYN_ITH + L.NMDA], p[0, L.SYN_ITAU + L.NMDA], p[0, L.I0])
        want = dpi_pulse(i_start, *args)
        assert got == pytest.approx(want, rel=1e-9)
        assert got > i_start  # a pulse raises the current
        assert q == pytest.approx(dpi_charge(i_start, want, *args), rel=1e-6)


def test_pulses_from_the_floor_are_remembered_exactly():
    chip = single_neuron(PAPER_AGENT_BIASES, calibration=Calibration(), connect=[(3, "NMDA", 1)])
    p, c = chip.params, chip._closed_form
    _, pulses = PF.new_caches(1)
    i0 = p[0, L.I0]
    first = PF.pulse_from(i0, 4.0, p, c, 0, pulses)
    assert not math.isnan(pulses[0, 4, 0])  # remembered
    assert PF.pulse_from(i0, 4.0, p, c, 0, pulses) == first == PF.nmda_pulse(i0, 4.0, p, c, 0)


@pytest.mark.parametrize("u", [0.0, 0.3, 2.0, 6.5, 9.0])
def test_potential_inverts(u):
    i0, a, b = 0.5e-12, 1.1e-12, 0.3e-24
    e = i0 * math.exp(u)
    target = PF.potential(u, e, a, b)
    for guess in (0.0, u + 1.0, max(u - 1.5, 0.0)):
        got, e_got = PF.invert_potential(target, guess, i0, a, b)
        assert got == pytest.approx(u, abs=1e-9)
        assert e_got == pytest.approx(e, rel=1e-8)
    assert PF.invert_potential(PF.potential(0.0, i0, a, b) - 1e-15, 1.0, i0, a, b) == (0.0, i0)  # the floor


def test_decay_factors_do_not_depend_on_the_cache():
    cache, _ = PF.new_caches(2)
    first = PF.decay_factors(1, 3.3e-3, 357.0, 14.0, cache)
    again = PF.decay_factors(1, 3.3e-3 + 1e-16, 357.0, 14.0, cache)  # the same tick: remembered
    fresh = PF.decay_factors(1, 3.3e-3, 357.0, 14.0, PF.new_caches(2)[0])
    assert first == again == fresh
    assert first[0] == pytest.approx(math.exp(-14.0 * 3.3e-3), rel=1e-9)
    assert first[2] == pytest.approx((math.exp(-357 * 3.3e-3) - math.exp(-14 * 3.3e-3)) / (14 - 357), rel=1e-9)


def test_closed_form_tier_follows_the_reference_below_threshold():
    # one paper-agent neuron, volleys far apart: only the closed form runs; its membrane and synapse
    # against the reference engine at a 10 us step cap
    stim = Stimulus.from_spike_times([3, 5, 3], [0.0, 1e-3, 6e-3])
    out = {}
    for engine, kw in (("fast", {}), ("reference", {"rk4_step_s": 1e-5})):
        chip = single_neuron(PAPER_AGENT_BIASES.with_biases(PULSE_PWLK_P=(5, 45)), calibration=Calibration(),
                             engine=engine, connect=[(3, "NMDA", 4), (5, "NMDA", 4)], **kw)
        counts = sum(chip.run(0.01, stim).counts for _ in range(6))
        out[engine] = (counts, chip.membrane_current_A()[0], chip.synapse_current_A()[0, 2], chip.stats.copy())
    assert out["fast"][0][0] == out["reference"][0][0] == 0
    assert out["reference"][1] > 50 * 0.5e-12  # the volleys moved the membrane
    assert out["fast"][1] == pytest.approx(out["reference"][1], rel=1e-3)
    assert out["fast"][2] == pytest.approx(out["reference"][2], rel=1e-7)
    assert out["fast"][3][0] == 6  # every window in closed form


def test_most_of_the_paper_chip_runs_in_closed_form_and_the_memo_changes_nothing():
    net = build_paper_chip(1).network
    stims = [encode(s) for s in random_states(30, 1)]
    a = Emulator(net, Calibration(), seed=1)
    for s in stims[:15]:
        a.run(0.01, s)
    b = pickle.loads(pickle.dumps(a))  # the same state, an empty memo (as a resumed checkpoint)
    assert np.isnan(b._memo[0]).all() and not np.isnan(a._memo[0]).all()
    for s in stims[15:]:
        ra, rb = a.run(0.01, s), b.run(0.01, s)
        assert np.array_equal(ra.counts, rb.counts) and np.array_equal(ra.spike_times_s, rb.spike_times_s)
    assert np.array_equal(a._mem, b._mem) and np.array_equal(a._syn, b._syn)
    closed, near, reference, skipped = a.stats
    assert closed > 0.5 * (closed + near + reference)  # what makes the engine fast
    assert near > 0  # the windows saw spikes


def test_a_repeated_programs_wrap_stays_in_closed_form_and_matches_the_reference():
    # a repeated program whose first event is at 0 replays it at the period, when its last event
    # also comes: the same generator twice at one time (a retriggered pulse extender, i.e. one
    # pulse). The closed form must take it as the reference does, not hand the rest of the window
    # to the reference (which made reads longer than the period 20x slower)
    stim = Stimulus.from_spike_times([3, 3, 3], [0.0, 2e-3, 4e-3], repeat=True)
    times, ids = stim.events(0.0101)
    assert np.sum(np.isclose(times, 4e-3)) == 2 and np.sum(np.isclose(times, 8e-3)) == 2  # the wraps
    out = {}
    for engine, kw in (("fast", {}), ("reference", {"rk4_step_s": 1e-5})):
        chip = single_neuron(PAPER_AGENT_BIASES.with_biases(PULSE_PWLK_P=(5, 45)), calibration=Calibration(),
                             engine=engine, connect=[(3, "NMDA", 4)], **kw)
        chip.run(0.0101, stim)
        out[engine] = (chip.membrane_current_A()[0], chip.synapse_current_A()[0, 2], chip.stats.copy())
    assert out["fast"][0] == pytest.approx(out["reference"][0], rel=1e-3)
    assert out["fast"][1] == pytest.approx(out["reference"][1], rel=1e-7)
    assert out["fast"][2][0] == 1 and out["fast"][2][2] == 0  # closed form, no reference
