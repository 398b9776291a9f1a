"""The released loop as it ran on the chip (fidelity v2): host time with the last upload playing on,
the released count buffer, Adam's step counter, one network per condition."""

import numpy as np
import pytest

from neurodream.chip import Calibration, Emulator, Network, PAPER_AGENT_BIASES, Stimulus
from neurodream.encoding import encode
from neurodream.training import PaperChipRunner, TrainConfig, train


def test_a_stimulus_plays_on_from_a_phase():
    # a 4-spike train (0, 10.1, 20.2, 30.3 ms) repeating: its stretch [10, 18) ms holds the 10.1 ms spike
    stim = Stimulus.from_spike_times([7] * 4, np.linspace(0, 1, 4) / 33, repeat=True)
    t, ids = stim.events(0.008, 0.010)
    assert ids.tolist() == [7] and t[0] == pytest.approx(0.0001, abs=1e-5)
    assert stim.events(0.010)[0].tolist() == [0.0]  # back-to-back 10 ms windows never see it
    # [20, 50) ms: 20.2 and 30.3, then the next cycle, which starts with the first ISI (0) after the
    # last event: 30.3 again, 40.4
    t, _ = stim.events(0.030, 0.020)
    assert np.allclose(t, [0.0002, 0.0103, 0.0103, 0.0204], atol=1e-5)


def test_a_read_holds_the_last_uploads_tail_and_the_new_stimulus():
    net = Network(generator_chip=0)
    net.add_neurons(0, 1, [1])
    net.set_biases(0, 1, PAPER_AGENT_BIASES)
    net.connect_generator(7, 0, "NMDA", weight=1)
    chip = Emulator(net, Calibration(), mismatch_cv=0.0)
    four = Stimulus.from_spike_times([7] * 4, np.linspace(0, 1, 4) / 33, repeat=True)
    chip.run(0.010, four)
    before = chip.events.input_events
    chip.run(0.018, four, upload_at_s=0.008, previous=four, previous_phase_s=0.010)
    assert chip.events.input_events - before == 2  # the tail's 10.1 ms spike, the new upload's first
    with pytest.raises(ValueError, match="upload_at_s"):
        chip.run(0.01, four, upload_at_s=0.01)
    with pytest.raises(ValueError, match="go with a stimulus"):
        chip.run(0.01, previous=four)


def test_the_released_count_buffer():
    runner = PaperChipRunner(TrainConfig(condition="dreaming", games=1))
    n = runner.chip.n_neurons
    agent, model = runner.paper.agent, runner.paper.model

    class Fake:  # a read with chosen counts
        def __init__(self, counts):
            self.counts = counts

    def read(counts):
        runner.chip.run = lambda *a, **k: Fake(counts)
        runner.window(None)

    some = np.zeros(n, dtype=np.int64)
    some[agent[:3]] = 1
    some[model[:2]] = 2
    read(some)
    assert runner._read(agent).sum() == 3 and runner.acc[model].sum() == 4  # the model's half carries over
    read(np.zeros(n, dtype=np.int64))  # a read that finds no events clears both halves
    assert runner.acc.sum() == 0
    read(some)
    runner.new_game()  # a game's start zeroes the counts
    assert runner.acc.sum() == 0
    old = PaperChipRunner(TrainConfig(condition="dreaming", games=1, released_counts=False))
    runner = old
    read(some)
    read(np.zeros(n, dtype=np.int64))
    runner.new_game()
    assert runner.acc.sum() == some.sum()  # the first emulation kept them


@pytest.mark.parametrize("condition, per_game", [("baseline", 1), ("dreaming", 2)])
def test_adam_steps_from_game_0_with_a_zero_gradient(condition, per_game, monkeypatch):
    from neurodream import training

    seen = {}
    real = training.Policy.update

    def spy(self, adam=None):
        real(self, adam)
        seen["t"], seen["J"] = self.adam.t, self.J.copy()

    monkeypatch.setattr(training.Policy, "update", spy)
    cfg = TrainConfig(condition=condition, games=3, awake_steps=5, dream_steps=3, learn_after_game=10)
    train(cfg, progress=False)
    assert seen["t"] == 3 * per_game  # 51 (baseline) or 102 (dreaming) at game 51 in the paper's runs
    seen.clear()
    train(TrainConfig(condition=condition, games=3, awake_steps=5, dream_steps=3, learn_after_game=10,
                      adam_from_game0=False), progress=False)
    assert "t" not in seen  # the first emulation stepped Adam only while learning


def test_one_network_per_condition():
    a = PaperChipRunner(TrainConfig(seed=1, network_seed=7, chip_seed=3))
    b = PaperChipRunner(TrainConfig(seed=2, network_seed=7, chip_seed=3))
    c = PaperChipRunner(TrainConfig(seed=1))
    assert np.array_equal(a.chip.params, b.chip.params)  # the same chip
    assert np.array_equal(a.chip._conn_src, b.chip._conn_src) and np.array_equal(a.chip._conn_mult, b.chip._conn_mult)
    assert not np.array_equal(a.chip.params, c.chip.params)
    # the agent's neurons have the same mismatch in both conditions' chips (it belongs to the silicon)
    d = PaperChipRunner(TrainConfig(condition="dreaming", seed=5, network_seed=8, chip_seed=3))
    assert np.array_equal(d.chip.params[d.paper.agent], a.chip.params[a.paper.agent])


def test_the_controls_of_notebook_09():
    # the sham second window adds the world model's window to the baseline: more agent spikes per read
    base = train(TrainConfig(games=3, awake_steps=20), progress=False)
    sham = train(TrainConfig(games=3, awake_steps=20, second_window=True), progress=False)
    assert sham.agent_spikes_per_step.sum() > base.agent_spikes_per_step.sum()
    with pytest.raises(ValueError, match="second_window"):
        TrainConfig(condition="dreaming", second_window=True)
    with pytest.raises(ValueError, match="dream_reward"):
        TrainConfig(dream_reward="noise")
    with pytest.raises(ValueError, match="unknown dream_reward"):
        TrainConfig(condition="dreaming", dream_reward="big")
    # dreams whose reward is 0 or noise leave the awake games alone until learning starts, and differ after
    kw = dict(condition="dreaming", games=4, dream_steps=10, learn_after_game=1)  # rewards: r_pred != 0
    runs = {r: train(TrainConfig(dream_reward=r, **kw), progress=False) for r in ("model", "zero", "noise")}
    for r in ("zero", "noise"):
        assert runs[r]["return"][:3].tolist() == runs["model"]["return"][:3].tolist()
        assert runs[r].attrs["policy_J"] != runs["model"].attrs["policy_J"]


def test_runs_of_the_first_emulation_are_never_taken_for_new_ones(tmp_path):
    import json

    from neurodream import sweep as sw
    from neurodream.run_digest import sealed_text
    from neurodream.training import LOOP_VERSION, run_path, save_run

    cfg = TrainConfig(games=2, awake_steps=3)
    path = save_run(train(cfg, progress=False), cfg, tmp_path)
    assert sw.cached(cfg, tmp_path) and json.loads(path.read_text())["loop"] == LOOP_VERSION
    payload = json.loads(path.read_text())
    del payload["loop"]
    for key in ("host_ms", "released_counts", "adam_from_game0", "network_seed", "chip_seed"):
        payload["config"].pop(key, None)  # a file of the first emulation: same name, same fields otherwise
    path.write_text(sealed_text(payload))  # as sealed by `python -m neurodream seal`
    assert run_path(cfg, tmp_path) == path
    with pytest.warns(UserWarning, match="loop version 1"):
        assert not sw.cached(cfg, tmp_path)
