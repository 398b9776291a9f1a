import numpy as np
import pandas as pd
import pytest

from neurodream.readouts import DELTA_STATE_CLIP, REWARD_TRACE_DECAY
from neurodream.training import TrainConfig, train
from neurodream.world_model_study import PREDICTORS, TARGETS, r_squared, record_world_model, ridge_predict, skill


def test_r_squared_of_perfect_and_of_mean_predictions(rng):
    y = rng.normal(size=(200, 3))
    assert np.allclose(r_squared(y, y), 1.0)
    assert np.allclose(r_squared(y, np.broadcast_to(y.mean(0), y.shape)), 0.0)
    assert np.all(r_squared(y, -y) < 0)


def test_ridge_recovers_a_linear_map_on_held_out_rows(rng):
    f = rng.normal(size=(400, 6))
    w = rng.normal(size=(6, 2))
    y = f @ w + 3.0 + 0.01 * rng.normal(size=(400, 2))
    pred = ridge_predict(f[:200], y[:200], f[200:])
    assert np.all(r_squared(y[200:], pred) > 0.999)


@pytest.fixture(scope="module")
def short_run():
    cfg = TrainConfig(condition="dreaming", seed=2, games=4, awake_steps=30, dream_steps=0, learn_after_game=1)
    return cfg, record_world_model(cfg)


def test_observing_a_run_leaves_its_results_unchanged(short_run):
    cfg, rec = short_run
    plain = train(cfg, progress=False).drop(columns="wall_s")
    seen = []
    observed = train(cfg, progress=False, observer=seen.append).drop(columns="wall_s")
    pd.testing.assert_frame_equal(plain, observed)
    assert len(seen) == len(rec) == plain.real_steps.sum()


def test_recording_holds_the_models_inputs_predictions_and_targets(short_run):
    _, rec = short_run
    assert rec.filtered_counts.shape == (len(rec), 510)
    assert np.all(rec.predicted[0] == 0.0)  # zero-initialised readouts before the first update
    assert np.any(rec.predicted[1:] != 0.0)
    assert np.all(np.abs(rec.target[:, :4]) <= DELTA_STATE_CLIP)
    # the reward target is the decaying trace of the real rewards, reset each game
    for g in np.unique(rec.game):
        trace = rec.target[rec.game == g, 4]
        rewards = trace - REWARD_TRACE_DECAY * np.r_[0.0, trace[:-1]]
        assert np.allclose(rewards, np.round(rewards))  # rewards are -1, 0 or +1
        assert set(np.round(rewards)) <= {-1.0, 0.0, 1.0}


def test_skill_scores_every_predictor_and_target(short_run):
    _, rec = short_run
    table = skill(rec)
    assert len(table) == len(PREDICTORS) * len(TARGETS)
    assert np.isfinite(table.r2[table.target != "reward_trace"]).all()
    with pytest.raises(ValueError, match="train_fraction"):
        skill(rec, train_fraction=1.0)


def test_only_a_dreaming_config_has_a_world_model_to_record():
    with pytest.raises(ValueError, match="condition 'baseline' has no world model"):
        record_world_model(TrainConfig(condition="baseline", games=1))


def test_skill_is_cached_with_its_config_and_a_corrupt_cache_is_named(short_run, tmp_path, monkeypatch):
    from neurodream import world_model_study as wms

    cfg, rec = short_run
    monkeypatch.setattr(wms, "record_world_model", lambda c, progress=False: rec)
    first = wms.cached_skill(cfg, tmp_path)
    assert wms.skill_path(cfg, tmp_path).exists()

    def must_not_run(c, progress=False):
        raise AssertionError("recomputed a cached skill table")

    monkeypatch.setattr(wms, "record_world_model", must_not_run)
    pd.testing.assert_frame_equal(wms.cached_skill(cfg, tmp_path), first)
    wms.skill_path(cfg, tmp_path).write_text("{not json")
    with pytest.raises(ValueError, match="world-model skill file .* is corrupt"):
        wms.cached_skill(cfg, tmp_path)


def test_agent_state_information_reads_the_state_from_the_agents_counts():
    from neurodream.emulator_study import agent_state_information
    from neurodream.pong import random_states

    info = agent_state_information(random_states(1500, seed=5), seeds=(0,))
    assert list(info.condition) == ["baseline", "dreaming"]
    assert np.all(info.neurons_ever_active <= 510) and np.all(info.spikes_per_step > 0)
    base = info.iloc[0]
    assert base.r2_ball_y > 0.2  # the place-cell input reaches the readout: the ball's height is legible
    assert np.all(info[["r2_ball_y", "r2_paddle_y", "r2_ball_minus_paddle"]] <= 1.0)


def test_agent_state_information_under_another_calibration():
    # the dreaming setup with the calibrated agent pulse against the first emulation's shorter one
    # (DREAMING_AGENT_PULSE): many more spikes per step with the longer pulse
    from neurodream.chip.calibration import DREAMING_AGENT_PULSE
    from neurodream.emulator_study import agent_state_information
    from neurodream.pong import random_states
    from neurodream.training import agent_pulse_calibration

    states = random_states(150, seed=5)
    longer = agent_state_information(states, conditions=("dreaming",), seeds=(0,))
    default = agent_state_information(states, conditions=("dreaming",), seeds=(0,),
                                      calibration=agent_pulse_calibration(DREAMING_AGENT_PULSE))
    assert longer.spikes_per_step[0] > 3 * default.spikes_per_step[0]
    assert longer.neurons_ever_active[0] > default.neurons_ever_active[0]
