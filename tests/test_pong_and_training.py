import numpy as np
import pandas as pd
import pytest

from neurodream.pong import RAM_CPU_Y, Pong
from neurodream.training import TrainConfig, load_run, save_run, train


def test_rom_is_shipped_and_cpu_paddle_bytes_agree():
    import ale_py.roms

    assert ale_py.roms.get_rom_path("pong") is not None
    env = Pong(0)
    env.start_game()
    for k in range(200):
        env.step(k % 3)
        ram = env._ale.getRAM()
        assert ram[RAM_CPU_Y] == ram[50]
    env.close()


def test_up_action_moves_the_paddle_up():
    env = Pong(1)
    s0 = env.start_game()
    for _ in range(8):
        s, _, _ = env.step(1)
    assert s[3] < s0[3]  # RIGHT (agent action 1): smaller RAM[51] = higher on screen
    for _ in range(16):
        s2, _, _ = env.step(2)
    assert s2[3] > s[3]
    with pytest.raises(ValueError, match="agent action 3"):
        env.step(3)
    env.close()


@pytest.mark.parametrize("condition", ["baseline", "dreaming"])
def test_twenty_game_run_is_deterministic_and_finite(condition, tmp_path):
    # 20 games as the issue asks, shortened to 12 real and 6 dreamed steps so the suite stays fast
    cfg = TrainConfig(condition=condition, seed=3, games=20, awake_steps=12, dream_steps=6, learn_after_game=2)
    a = train(cfg, progress=False)
    b = train(cfg, progress=False)
    cols = [c for c in a.columns if c != "wall_s"]
    assert a[cols].equals(b[cols])
    assert len(a) == 20
    assert np.isfinite(a[["return", "policy_entropy", "agent_spikes_per_step"]].to_numpy()).all()
    if condition == "dreaming":
        assert (a.dream_steps == 6).all() and np.isfinite(a.model_state_error).all()
    path = save_run(a, cfg, tmp_path)
    back = load_run(path)
    assert back.attrs["config"]["condition"] == condition
    path.write_text("{not json")
    with pytest.raises(ValueError, match="corrupt"):
        load_run(path)


def test_bad_config_is_named():
    with pytest.raises(ValueError, match="unknown condition 'sleep'"):
        TrainConfig(condition="sleep")
    with pytest.raises(ValueError, match="action_activity = 1000.0 needs fidelity 'corrected'"):
        TrainConfig(condition="dreaming", action_activity=1000.0)
    with pytest.raises(ValueError, match="action_activity = 0.0 must be a finite number > 0"):
        TrainConfig(condition="dreaming", fidelity="corrected", action_activity=0.0)


@pytest.mark.parametrize("fidelity", ["paper", "corrected"])
def test_only_the_corrected_world_model_sees_the_action(fidelity):
    # In the released wiring the action generators have no CAM targets: the world model's counts,
    # hence every dream, are the same whatever the agent does, so a dream's policy gradient has
    # zero mean (docs/protocol.md §8).
    from neurodream.pong import random_states
    from neurodream.training import PaperChipRunner

    states = random_states(12, seed=3)
    counts = {}
    for action in (0, 2):
        runner = PaperChipRunner(TrainConfig(condition="dreaming", fidelity=fidelity, seed=4))
        counts[action] = np.array([runner.model_counts(s, action) for s in states])
    same = np.array_equal(counts[0], counts[2])
    assert same == (fidelity == "paper")


def test_a_stronger_action_drive_changes_more_world_model_counts():
    from neurodream.pong import random_states
    from neurodream.training import PaperChipRunner

    states = random_states(12, seed=3)
    changed = {}
    for activity in (150.0, 1000.0):
        counts = {}
        for action in (0, 2):
            cfg = TrainConfig(condition="dreaming", fidelity="corrected", seed=4, action_activity=activity)
            runner = PaperChipRunner(cfg)
            counts[action] = np.array([runner.model_counts(s, action) for s in states])
        changed[activity] = np.sum(counts[0] != counts[2])
    assert changed[1000.0] > 3 * changed[150.0] > 0



@pytest.mark.parametrize("dream_reward", ["model", "noise"])  # "noise" draws from a stream of its own
def test_an_interrupted_run_resumes_with_the_results_of_an_uninterrupted_one(tmp_path, monkeypatch, dream_reward):
    cfg = TrainConfig(condition="dreaming", seed=2, games=6, awake_steps=5, dream_steps=3, learn_after_game=0,
                      dream_reward=dream_reward)
    whole = train(cfg, progress=False)
    ckpt = tmp_path / "run.ckpt"
    real_step = Pong.step
    calls = []

    def interrupted(self, action):
        calls.append(action)
        if len(calls) > 23:  # Ctrl-C in game 4 (5 steps per game), after the checkpoint of game 4
            raise KeyboardInterrupt
        return real_step(self, action)

    monkeypatch.setattr(Pong, "step", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, progress=False, checkpoint=ckpt, checkpoint_every=2)
    monkeypatch.setattr(Pong, "step", real_step)
    assert ckpt.exists()
    resumed = train(cfg, progress=False, checkpoint=ckpt, checkpoint_every=2)
    assert ckpt.exists()  # kept, now with every game, until save_run has written the result
    pd.testing.assert_frame_equal(whole.drop(columns="wall_s"), resumed.drop(columns="wall_s"))
    finished = train(cfg, progress=False, checkpoint=ckpt)  # a finished run comes back whole
    pd.testing.assert_frame_equal(resumed, finished)
    assert whole.attrs["policy_J"] == resumed.attrs["policy_J"] and whole.attrs["model_W"] == resumed.attrs["model_W"]
    # a checkpoint of another config, or an unreadable one, is not used
    from neurodream.training import _save_checkpoint

    _save_checkpoint(ckpt, TrainConfig(seed=3), [], None, None, None, [], None)
    with pytest.warns(UserWarning, match="another config"):
        again = train(cfg, progress=False, checkpoint=ckpt)
    pd.testing.assert_frame_equal(whole.drop(columns="wall_s"), again.drop(columns="wall_s"))
    ckpt.write_bytes(b"not a checkpoint")
    with pytest.warns(UserWarning, match="unreadable"):
        again = train(cfg, progress=False, checkpoint=ckpt)
    pd.testing.assert_frame_equal(whole.drop(columns="wall_s"), again.drop(columns="wall_s"))


@pytest.mark.parametrize("fields, fragment", [
    ({"awake_steps": 0}, "awake_steps = 0"), ({"awake_steps": -5}, "awake_steps = -5"),
    ({"wait_ms": float("inf")}, "wait_ms = inf"), ({"wait_ms": float("nan")}, "wait_ms = nan"),
    ({"wait_ms": 1e6}, "wait_ms = 1000000.0"), ({"seed": -1}, "seed = -1"), ({"seed": 1.5}, "seed = 1.5"),
    ({"games": True}, "games = True"), ({"fidelity": "exact"}, "fidelity 'exact'"),
    ({"learn_after_game": -2}, "learn_after_game = -2"), ({"learn_after_game": 2.0}, "learn_after_game = 2.0"),
    ({"policy_lr": float("nan")}, "policy_lr = nan"), ({"policy_lr": -1e-3}, "policy_lr = -0.001"),
    ({"mismatch_cv": -0.1}, "mismatch_cv = -0.1"), ({"mismatch_cv": float("inf")}, "mismatch_cv = inf"),
    ({"mismatch_cv": 5.0}, "mismatch_cv = 5.0"), ({"calibration": "default"}, "calibration = 'default'"),
    ({"calibration": {"kappa": -1}}, "calibration.*kappa"), ({"input_jitter_ms": float("inf")}, "input_jitter_ms = inf"),
    ({"poisson_input": "no"}, "poisson_input = 'no'"), ({"dream_steps": True}, "dream_steps = True"),
    ({"dreams_per_game": 1.0}, "dreams_per_game = 1.0"), ({"condition": 0}, "unknown condition 0"),
    ({"fidelity": "corrected", "action_activity": 5e6}, "action_activity = 5000000.0.*32766"),
    ({"wait_ms": "10"}, "wait_ms = '10'"),
])
def test_every_config_field_is_validated(fields, fragment):
    with pytest.raises(ValueError, match=fragment):
        TrainConfig(**{"condition": "dreaming", **fields})


def test_valid_configs_keep_their_values_and_names():
    import numpy as np_

    from neurodream.training import run_path

    cfg = TrainConfig(seed=np_.int64(3), wait_ms=20, games=np_.int32(5), learn_after_game=-1, policy_lr=1)
    assert (cfg.seed, cfg.wait_ms, cfg.games, cfg.policy_lr) == (3, 20.0, 5, 1.0)
    assert type(cfg.seed) is int and type(cfg.wait_ms) is float and type(cfg.policy_lr) is float
    assert run_path(cfg, "d") == run_path(TrainConfig(seed=3, wait_ms=20.0, games=5, learn_after_game=-1,
                                                      policy_lr=1.0), "d")
