import numpy as np
import pytest

from neurodream.encoding import PLACE_CENTRES, encode, place_cell_activity, spikes_per_train
from neurodream.readouts import TRACE_DECAY, Adam, Policy, WorldModel


def test_adam_matches_a_hand_computation():
    opt = Adam(2, lr=0.1, eps=1e-5)
    g1, g2 = np.array([1.0, -2.0]), np.array([0.5, 0.5])
    d1 = opt.step(g1)
    # step 1: m_hat = g, v_hat = g^2 -> lr * g / (|g| + eps)
    np.testing.assert_allclose(d1, 0.1 * g1 / (np.abs(g1) + 1e-5))
    d2 = opt.step(g2)
    m = 0.9 * 0.1 * g1 + 0.1 * g2
    v = 0.999 * 0.001 * g1**2 + 0.001 * g2**2
    np.testing.assert_allclose(d2, 0.1 * (m / (1 - 0.81)) / (np.sqrt(v / (1 - 0.999**2)) + 1e-5))


def test_adam_learning_rate_decays_every_10000_steps():
    opt = Adam(1, lr=1.0)
    opt.t = 25_000
    assert opt.lr == pytest.approx(0.99**2)


def test_eligibility_trace_equals_discounted_returns():
    rng = np.random.default_rng(0)
    pol = Policy(6, rng)
    rewards = [0.0, 1.0, 0.0, -1.0, 0.5]
    grads = []
    for r in rewards:
        a, pi = pol.act(rng.integers(0, 3, 6).astype(float))
        onehot = np.eye(3)[a]
        grads.append(np.outer(onehot - pi, 5.0 * pol.x))
        pol.reward(r)
    # G = sum_t r_t sum_{k<=t} gamma^(t-k) g_k = sum_k g_k * sum_{t>=k} gamma^(t-k) r_t
    expected = sum(g * sum(TRACE_DECAY ** (t - k) * rewards[t] for t in range(k, len(rewards)))
                   for k, g in enumerate(grads))
    np.testing.assert_allclose(pol.G, expected, rtol=1e-12)


def test_world_model_learns_a_linear_target():
    rng = np.random.default_rng(1)
    wm = WorldModel(20, lr_state=0.01, lr_reward=0.01)
    W_true = rng.normal(0, 1, (4, 20))
    errors = []
    for step in range(6000):
        wm.reset()
        c = rng.poisson(1.0, 20).astype(float)
        ds, r = wm.predict(c)
        target = np.clip(W_true @ wm.x, -29, 29)
        errors.append(wm.learn(ds, r, target, 0.0)[0])
    assert np.mean(errors[-200:]) < 0.1 * np.mean(errors[:200])


def test_world_model_ignores_jumps():
    wm = WorldModel(3, lr_state=0.1)
    wm.predict(np.ones(3))
    wm.learn(np.zeros(4), 0.0, np.array([100.0, -40.0, 0.0, 0.0]), 0.0)
    assert np.all(wm.W_s == 0)


def test_place_cells_at_and_between_centres():
    a = place_cell_activity([PLACE_CENTRES[3], 0, 0, 0])
    assert a[3] == pytest.approx(7000 / (20 * np.sqrt(2 * np.pi)))  # 139.6 at a centre
    assert spikes_per_train(a)[3] == 4
    mid = place_cell_activity([(PLACE_CENTRES[3] + PLACE_CENTRES[4]) / 2, 0, 0, 0])
    assert mid[3] == pytest.approx(mid[4])
    assert mid[3] == pytest.approx(139.6 * np.exp(-0.5 * (13.3 / 20) ** 2), rel=1e-3)
    assert spikes_per_train(mid)[3] == 3  # distance 13.3 gives 3 spikes
    with pytest.raises(ValueError, match="4 finite numbers"):
        place_cell_activity([1, 2, 3])


def test_encoding_one_volley_per_10ms_window():
    st = encode([120, 60, 100, 80], action=2)
    t, ids = st.events(0.01)
    assert np.all(t == 0)  # regular trains: the second spike of n = 4 comes at 10.1 ms
    assert 42 in ids and 40 not in ids
    assert st.period_s == pytest.approx(1 / 33, abs=1e-5)


def test_action_activity_sets_the_action_train():
    st = encode([120, 60, 100, 80], action=1, action_activity=1000.0)
    assert np.sum(st.ids == 41) == int(1000 / 33)  # the program: 30 spikes over 30.3 ms
    assert np.sum(st.ids == 40) == np.sum(st.ids == 42) == 0
    with pytest.raises(ValueError, match="action_activity = -1"):
        encode([120, 60, 100, 80], action=1, action_activity=-1.0)


def test_single_spike_trains_play_once_per_step():
    # every place cell fires 0 or 1 spike (all at t = 0), as when a dreamt ball leaves the screen
    from neurodream.encoding import encode, spikes_per_train, place_cell_activity

    state = [-40.0, -40.0, -40.0, -40.0]
    assert spikes_per_train(place_cell_activity(state)).max() == 1
    stim = encode(state)
    t, ids = stim.events(0.05)
    assert not stim.repeat and np.all(t == 0.0) and ids.size == 4


def test_encoding_builds_the_program_the_checked_constructor_builds():
    # the encoder's cached trains skip the checks of Stimulus.from_spike_times; the programs agree
    from neurodream.chip import Stimulus
    from neurodream.encoding import RATE_QUANTUM_HZ

    rng = np.random.default_rng(0)
    for k in range(200):
        state = rng.uniform(-30, 280, 4)
        action = None if k % 3 == 0 else int(rng.integers(3))
        st = encode(state, action, 1000.0) if k % 2 else encode(state, action)
        n = spikes_per_train(place_cell_activity(state))
        if action is not None:
            n = np.concatenate([n, spikes_per_train(np.eye(3)[action] * (1000.0 if k % 2 else 150.0))])
        ids = np.repeat(np.arange(n.size), n)
        times = np.concatenate([np.linspace(0, 1, m) / RATE_QUANTUM_HZ for m in n])
        ref = Stimulus.from_spike_times(ids, times, repeat=bool(times.size and times.max() > 0))
        assert np.array_equal(st.times_s, ref.times_s) and np.array_equal(st.ids, ref.ids)
        assert st.repeat == ref.repeat and st.isi_base == ref.isi_base


def test_policy_samples_as_generator_choice_does():
    # the policy's own inverse-CDF draw gives the index rng.choice(3, p=pi) gives, from the same stream
    from neurodream.readouts import sample_index

    ours, theirs, probs = np.random.default_rng(7), np.random.default_rng(7), np.random.default_rng(8)
    drawn = []
    for k in range(20000):
        p = probs.dirichlet([0.2] * 3 if k % 2 else [5.0] * 3)
        a = sample_index(p, ours)
        assert a == int(theirs.choice(3, p=p))
        drawn.append(a)
    assert set(drawn) == {0, 1, 2}
    assert sample_index(np.array([0.0, 1.0, 0.0]), ours) == 1
