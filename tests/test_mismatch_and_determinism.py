import json
import os
import subprocess
import sys

import numpy as np
import pytest

from neurodream.chip import Calibration, _layout as L
from neurodream.chip import Emulator, PAPER_AGENT_BIASES, Stimulus
from neurodream.chip.mismatch import lognormal_factors
from neurodream.encoding import encode
from neurodream.networks import build_paper_chip
from neurodream.pong import random_states


@pytest.mark.parametrize("cv", [0.05, 0.2, 0.3])
def test_mismatch_factors_have_the_requested_cv(cv):
    f = lognormal_factors(200_000, cv, np.random.default_rng(1))
    assert f.mean() == pytest.approx(1.0, abs=0.005)
    assert f.std() / f.mean() == pytest.approx(cv, rel=0.02)
    assert np.all(f > 0)


def test_zero_mismatch_is_exactly_none():
    assert np.all(lognormal_factors(10, 0.0, np.random.default_rng(0)) == 1.0)
    with pytest.raises(ValueError, match="mismatch CV -0.1"):
        lognormal_factors(10, -0.1, np.random.default_rng(0))


def test_chip_parameters_carry_the_mismatch():
    chip = build_paper_chip(0, with_model=False)
    p = Emulator(chip.network, mismatch_cv=0.2, seed=3).params
    for col in (L.I_TAU, L.SYN_IW + 2):
        assert p[:, col].std() / p[:, col].mean() == pytest.approx(0.2, rel=0.2)
    flat = Emulator(chip.network, mismatch_cv=0.0).params
    assert np.ptp(flat[:, L.SYN_IW + 2]) == 0


STATES = [[120, 60, 100, 80], [30, 200, 150, 40], [200, 120, 60, 190]]
ACTIVE = Calibration().replace(core_unset_biases={})
"""The cAER default pulse (130 us) on every core: many spikes per window, the RK4 fallback busy."""


def _counts(seed, chip_seed=0, engine="fast", calibration=ACTIVE, states=STATES):
    net = build_paper_chip(chip_seed).network
    chip = Emulator(net, calibration, seed=seed, engine=engine)
    out = [chip.run(0.01, encode(s)) for s in states]
    return np.array([r.counts for r in out]), np.concatenate([r.spike_times_s for r in out])


def test_same_seed_same_chip_and_spikes():
    a, ta = _counts(7)
    b, tb = _counts(7)
    assert np.array_equal(a, b) and np.array_equal(ta, tb)
    assert a.sum() > 0
    c, _ = _counts(8)
    assert not np.array_equal(a, c)  # another mismatch draw
    d, _ = _counts(7, chip_seed=1)
    assert not np.array_equal(a, d)  # another connectivity


def test_a_pickled_chip_continues_as_the_original_without_its_run_scratch():
    # checkpoints pickle the chip: its state travels, run()'s reusable buffers do not, and a chip
    # pickled by a version without those buffers (state without them) still runs
    import pickle

    states = random_states(12, 0)
    chip = Emulator(build_paper_chip(2).network, Calibration(), seed=2)
    chip.run(0.01, encode(states[0]))
    state = chip.__getstate__()
    assert not set(Emulator._SCRATCH) & set(state)
    copy = pickle.loads(pickle.dumps(chip))
    older = Emulator.__new__(Emulator)
    older.__setstate__(pickle.loads(pickle.dumps(state)))  # its own copy of the arrays
    spikes = 0
    for s in states[1:]:
        ref = chip.run(0.01, encode(s))
        spikes += ref.counts.sum()
        for other in (copy, older):
            got = other.run(0.01, encode(s))
            assert np.array_equal(got.counts, ref.counts) and np.array_equal(got.spike_times_s, ref.spike_times_s)
    assert spikes > 0  # the comparison saw spikes


def test_fast_engine_agrees_with_the_reference_on_pong_input():
    fast, _ = _counts(2)
    ref, _ = _counts(2, engine="reference")
    assert abs(fast.sum() - ref.sum()) <= 0.01 * ref.sum()
    assert (fast != ref).mean() <= 0.03
    assert np.abs(fast - ref).max() <= 1


def test_fast_engine_agrees_with_the_reference_in_the_calibrated_sparse_regime():
    # the default calibration: a few spikes per window, most neurons quiet or near threshold for long
    states = random_states(25, seed=3)
    fast, t_fast = _counts(2, calibration=None, states=states)
    ref, t_ref = _counts(2, engine="reference", calibration=None, states=states)
    assert ref.sum() >= 100  # the regime really spikes
    assert abs(fast.sum() - ref.sum()) <= 0.02 * ref.sum()
    assert (fast != ref).sum() <= 0.03 * ref.sum()  # as in the active regime: <= 3 % of the spikes


_SCRIPT = """
import json, numpy as np
from neurodream.chip import Calibration, Emulator, Network, Stimulus, PAPER_WORLD_MODEL_BIASES
net = Network(generator_chip=3)
idx = net.add_neurons(3, 2, range(1, 9))
net.set_biases(3, 2, PAPER_WORLD_MODEL_BIASES)
for k, i in enumerate(idx):
    net.connect_generator(k % 3, int(i), "NMDA", weight=4)
    net.connect_generator(3 + k % 2, int(i), "NMDA", weight=3)
chip = Emulator(net, Calibration().replace(core_unset_biases={}), seed=5)  # 130 us pulses: spikes
stim = Stimulus.from_spike_times([0, 1, 2, 3, 4, 0], [0, 0, 1e-3, 2e-3, 2e-3, 6e-3])
r = [chip.run(0.01, stim) for _ in range(2)]
print(json.dumps({"counts": [x.counts.tolist() for x in r],
                  "times": [x.spike_times_s.tolist() for x in r],
                  "mem": chip.membrane_current_A().tolist(), "stats": chip.stats.tolist()}))
"""


def _run_script(disable_jit):
    env = dict(os.environ, NUMBA_DISABLE_JIT="1" if disable_jit else "0")
    out = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_jitted_kernels_agree_with_pure_python():
    jit = _run_script(False)
    py = _run_script(True)
    assert sum(map(sum, jit["counts"])) > 0
    assert jit["counts"] == py["counts"]
    assert jit["stats"] == py["stats"]
    for a, b in zip(jit["times"], py["times"]):
        np.testing.assert_allclose(a, b, rtol=1e-9)
    np.testing.assert_allclose(jit["mem"], py["mem"], rtol=1e-7)


def test_connectivity_and_mismatch_use_different_streams():
    # same run seed, different purposes: the draws must not be the same bits
    from neurodream.seeding import stream

    mismatch_seq = np.random.SeedSequence(4).spawn(2)[0]
    a = np.random.default_rng(mismatch_seq).integers(0, 2**32, 8)
    b = stream(4, "connectivity-agent").integers(0, 2**32, 8)
    c = stream(4, "connectivity-model").integers(0, 2**32, 8)
    assert not np.array_equal(a, b) and not np.array_equal(b, c)
