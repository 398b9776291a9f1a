"""Settings beyond the paper: random input timing, dream schedules, labelled setting sweeps."""

import json

import numpy as np
import pandas as pd
import pytest

from neurodream import analysis
from neurodream import sweep as sw
from neurodream.encoding import encode, randomise
from neurodream.run_digest import sealed_text
from neurodream.training import TrainConfig, run_path, train

TINY = dict(games=2, awake_steps=5, dream_steps=3, learn_after_game=0)
STATE = [100.0, 120.0, 80.0, 150.0]
WINDOW_S = 0.01


def test_jitter_moves_every_event_within_the_window_and_keeps_them_all():
    regular = encode(STATE, 1)
    t0, i0 = regular.events(WINDOW_S)
    jittered = randomise(regular, WINDOW_S, np.random.default_rng(0), jitter_s=1e-3)
    assert not jittered.repeat
    assert sorted(jittered.ids.tolist()) == sorted(i0.tolist())
    assert jittered.times_s.min() >= 0 and jittered.times_s.max() < WINDOW_S
    assert not np.array_equal(np.sort(jittered.times_s), np.sort(t0))
    same = randomise(regular, WINDOW_S, np.random.default_rng(0), jitter_s=1e-3)
    assert np.array_equal(same.times_s, jittered.times_s) and np.array_equal(same.ids, jittered.ids)


def test_poisson_input_has_the_regular_trains_mean_count_per_generator():
    regular = encode(STATE)
    _, ids = regular.events(WINDOW_S)
    expected = np.bincount(ids, minlength=40)
    rng = np.random.default_rng(1)
    draws = 4000
    total = np.zeros(40)
    for _ in range(draws):
        total += np.bincount(randomise(regular, WINDOW_S, rng, poisson=True).ids, minlength=40)
    mean = total / draws
    se = np.sqrt(np.maximum(expected, 1) / draws)  # Poisson: variance = mean
    assert np.all(np.abs(mean - expected) < 5 * se)


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="jitter_s = -1"):
        randomise(encode(STATE), WINDOW_S, np.random.default_rng(0), jitter_s=-1)
    with pytest.raises(ValueError, match="dreams_per_game = -1"):
        TrainConfig(dreams_per_game=-1)
    with pytest.raises(ValueError, match="dream_steps = 2.5"):
        TrainConfig(dream_steps=2.5)
    with pytest.raises(ValueError, match="exclude each other"):
        TrainConfig(poisson_input=True, input_jitter_ms=1.0)


def test_dream_schedule_and_random_input_runs_are_seeded():
    none = train(TrainConfig(condition="dreaming", **{**TINY, "dream_steps": 0}), progress=False)
    assert (none.dream_steps == 0).all()
    two = TrainConfig(condition="dreaming", dreams_per_game=2, poisson_input=True, **TINY)
    a, b = train(two, progress=False), train(two, progress=False)
    assert (a.dream_steps == 2 * TINY["dream_steps"]).all()
    assert a.drop(columns="wall_s").equals(b.drop(columns="wall_s"))
    regular = train(TrainConfig(condition="dreaming", dreams_per_game=2, **TINY), progress=False)
    assert not a.agent_spikes_per_step.equals(regular.agent_spikes_per_step)


def test_runs_written_before_a_field_existed_keep_their_names_and_load(tmp_path):
    cfg = TrainConfig(condition="baseline", **TINY)
    path = sw.run_one(cfg, tmp_path)
    payload = json.loads(path.read_text())
    for field in ("dreams_per_game", "input_jitter_ms", "poisson_input"):  # added after the first study
        del payload["config"][field]
    path.write_text(sealed_text(payload))  # as sealed by `python -m neurodream seal`
    assert sw.cached(cfg, tmp_path)
    assert run_path(TrainConfig(dreams_per_game=2), tmp_path) != run_path(TrainConfig(), tmp_path)


def test_settings_sweep_labels_runs_and_summarises_them(tmp_path, monkeypatch):
    monkeypatch.setattr(sw, "data_dir", lambda quick: tmp_path)
    table = sw.run_settings({"short dreams": {"dream_steps": 1}, "default": {}}, conditions=["baseline", "dreaming"],
                            seeds=1, games=2, jobs=1)
    assert set(table.setting) == {"short dreams", "default"}
    assert table.groupby(["setting", "condition"]).size().tolist() == [2, 2, 2, 2]
    short = table[(table.setting == "short dreams") & (table.condition == "dreaming")]
    assert (short.dream_steps == 1).all()
    summary = analysis.setting_summary(table)
    assert len(summary) == 4 and summary.runs.eq(1).all()
    assert summary.loc[summary.condition == "baseline", "mw_p_two_sided"].isna().all()
    assert summary.loc[summary.condition == "dreaming", "mw_p_two_sided"].between(0, 1).all()


def test_setting_summary_on_a_hand_table():
    rows = []
    for setting, lift in (("a", 0.0), ("b", 1.0)):
        for cond, base in (("baseline", -1.5), ("dreaming", -1.0)):
            for seed in range(3):
                for game in range(100):
                    rows.append({"setting": setting, "condition": cond, "seed": seed, "game": game,
                                 "return": base + lift + 0.1 * seed})
    s = analysis.setting_summary(pd.DataFrame(rows), levels=[-1.0]).set_index(["setting", "condition"])
    assert s.loc[("a", "dreaming"), "final_mean"] == pytest.approx(-0.9)
    assert s.loc[("b", "baseline"), "final_mean"] == pytest.approx(-0.4)
    assert s.loc[("a", "dreaming"), "games_to_-1"].startswith("50 ")
    assert s.loc[("a", "baseline"), "games_to_-1"] == "not reached by half, 0/3 reached"
    assert s.loc[("b", "dreaming"), "mw_p_one_sided"] == pytest.approx(0.05)  # U = 9 of 9
    assert s.loc[("b", "dreaming"), "mw_p_two_sided"] == pytest.approx(0.1)
    # against a random level of -1.45: setting a's baseline runs end at -1.5, -1.4, -1.3 (2 above)
    r = analysis.setting_summary(pd.DataFrame(rows), levels=[-1.0], random_mean=-1.45).set_index(["setting", "condition"])
    assert r.loc[("a", "baseline"), "runs_above_random"] == 2 and r.loc[("b", "dreaming"), "runs_above_random"] == 3
    assert r.loc[("b", "dreaming"), "p_vs_random"] == pytest.approx(2 / 8)
    assert "runs_above_random" not in s


def test_matched_agent_pulse_brackets_the_target_activity():
    from neurodream import emulator_study as study
    from neurodream.pong import random_states
    from neurodream.training import agent_pulse_calibration

    states = random_states(4, seed=1)
    target = 3.0
    (coarse, fine), got = study.matched_agent_pulse(states, target, mismatch_cv=0.0)

    def spikes(f):
        return study.agent_spikes_per_step(states, calibration=agent_pulse_calibration((coarse, f)), mismatch_cv=0.0)

    assert got == spikes(fine)
    # the count falls with the fine code; the answer is on the crossing, the closer side in ratio
    below, above = (fine, fine + 1) if got >= target else (fine - 1, fine)
    assert spikes(below) >= target > spikes(above)
    other = above if fine == below else below
    assert spikes(other) == 0 or abs(np.log(got / target)) <= abs(np.log(spikes(other) / target))
    with pytest.raises(ValueError, match="-1"):
        study.matched_agent_pulse(states, -1, mismatch_cv=0.0)
