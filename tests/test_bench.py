"""The benchmark script runs and reports consistent quantities (no timing is asserted)."""

import math

import pytest

from neurodream.bench import bench_emulator


def test_emulator_benchmark_reports_consistent_ratios():
    r = bench_emulator(3, 10.0, "fast", None, 0)
    assert r["emulated_s"] == 3 * 0.01
    assert math.isclose(r["emulated_per_wall"], r["emulated_s"] / r["wall_s"])
    assert r["cam_matches_per_window"] > 0
    shares = [r[k] for k in ("closed_form_share", "near_threshold_share", "reference_share", "skipped_share")]
    assert math.isclose(sum(shares), 1.0)  # every neuron window goes one way
    assert math.isfinite(r["floor_model_two_exp_per_event"]) and r["floor_model_two_exp_per_event"] > 0
    # the bound adds the fixed cost of a read to the floor model's work: it can only be lower
    assert r["read_path_us_per_read"] > 0
    assert r["floor_model_through_read_path"] < r["floor_model_two_exp_per_event"]


def test_results_digest_is_reproducible_and_sees_the_results(monkeypatch):
    from neurodream import bench
    from neurodream.chip import emulator

    first = bench.results_digest(2, games=1)
    assert len(first) == 64 and first == bench.results_digest(2, games=1)
    # a change in what the chip computes changes the digest
    real_init = emulator.Emulator.__init__

    def coarser(self, *args, **kwargs):
        kwargs.setdefault("rk4_step_s", 2.5e-4)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(emulator.Emulator, "__init__", coarser)
    assert bench.results_digest(2, games=1) != first


def test_study_hours_adds_the_runs_of_both_conditions_over_the_cores():
    from neurodream.bench import STUDY_RUNS_PER_CONDITION, study_hours

    rows = [{"hours_per_2000_games": 0.1}, {"hours_per_2000_games": 0.3}]
    assert math.isclose(study_hours(rows, cores=2), STUDY_RUNS_PER_CONDITION * 0.4 / 2)


def test_accuracy_benchmark_on_a_small_workload():
    # the default engine against the converged reference: looser thresholds than the benchmark's
    # target (99.5 % identical neuron-windows), on 20 windows
    from neurodream.accuracy import engine_accuracy

    rows = engine_accuracy(windows=20, seed=1)
    assert [r["population"] for r in rows] == ["agent", "world model"]
    assert sum(r["spikes_reference"] for r in rows) > 50  # the workload spikes
    for r in rows:
        assert r["identical_neuron_windows"] >= 0.99
        assert abs(r["spikes_fast"] - r["spikes_reference"]) <= 0.05 * r["spikes_reference"] + 2
        assert r["spike_time_error_median_us"] < 20.0
        assert r["final_u_error_p99"] < 0.05


def test_fi_accuracy_rows_compare_both_engines_with_the_closed_form():
    from neurodream.accuracy import fi_accuracy

    rows = fi_accuracy(duration_s=0.2)
    assert len(rows) == 4 and all(r["rate_hz_closed_form"] > 0 for r in rows)
    for r in rows:
        assert abs(r["rel_error_fast"]) < 1e-3 and abs(r["rel_error_reference"]) < 1e-3


def test_bench_writes_what_it_prints_as_a_strict_json_record(tmp_path, capsys):
    import json

    from neurodream import bench

    path = tmp_path / "emulator.json"
    bench.main(["emulator", "--windows", "2", "--json", str(path)])
    printed = capsys.readouterr().out
    record = json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f"non-strict JSON: {c}"))
    assert record["command"] == f"python -m neurodream.bench emulator --windows 2 --json {path}"
    assert record["machine"]["cores"] >= 1 and record["date"].startswith("20")
    assert record["result"]["windows"] == 2 and record["target_emulated_per_wall"] == 200.0
    assert f"{record['result']['emulated_per_wall']:.4g}" in printed


def test_emulator_benchmark_bounds_the_released_loop_reads_too():
    r = bench_emulator(3, 10.0, "fast", None, 0, host_ms=8.0)
    assert math.isclose(r["read_ms"], 18.0)
    assert math.isfinite(r["floor_model_through_read_path"]) and r["floor_model_through_read_path"] > 0


def test_the_floor_model_sees_the_events_the_emulator_plays():
    # played_events gives the floor model a released-loop read's events: the chip counts as many,
    # the previous upload's tail first, the new upload's events from the upload on
    from neurodream.chip import Calibration, Emulator
    from neurodream.chip.emulator import played_events
    from neurodream.encoding import encode
    from neurodream.networks import build_paper_chip
    from neurodream.pong import random_states

    stims = [encode(s) for s in random_states(3, 0)]
    chip = Emulator(build_paper_chip(0).network, Calibration(), seed=0)
    chip.run(0.01, stims[0])
    for k in (1, 2):
        before = chip.events.input_events
        read = dict(upload_at_s=0.008, previous=stims[k - 1], previous_phase_s=0.01)
        chip.run(0.018, stims[k], **read)
        rel, ids = played_events(0.018, stims[k], **read)
        assert chip.events.input_events - before == ids.size > 0
        assert rel.min() >= 0 and rel.max() < 0.018
        tail = rel < 0.008
        assert tail.sum() == stims[k - 1].events(0.008, 0.01)[0].size
        assert (~tail).sum() == stims[k].events(0.01)[0].size


def test_timed_training_parts_counts_every_call_and_the_first_game_apart():
    from neurodream.bench import timed_training_parts
    from neurodream.chip import Emulator
    from neurodream.pong import Pong
    from neurodream.training import PaperChipRunner, TrainConfig, train

    real = (Emulator.run, Pong.step, Pong.start_game, PaperChipRunner.new_game)
    with timed_training_parts() as parts:
        table = train(TrainConfig(condition="baseline", seed=0, games=3, awake_steps=4), progress=False)
    assert parts.games_started == 3
    assert (parts.calls["chip"], parts.first_game_calls["chip"], parts.later_calls("chip")) == (12, 4, 8)  # a read per step
    assert parts.later_calls("env_step") == table.real_steps.iloc[1:].sum()
    assert parts.later_calls("env_start") == 2
    for name in ("chip", "env_step", "env_start"):
        assert 0 < parts.later_wall_s(name) < parts.wall_s[name]
    assert parts.later_wall_s("chip") + parts.later_wall_s("env_step") < table.wall_s.iloc[1:].sum()
    assert (Emulator.run, Pong.step, Pong.start_game, PaperChipRunner.new_game) == real  # restored after the block


def test_training_benchmark_splits_a_game_and_its_2x_speed_gives_2x():
    from neurodream.bench import bench_training
    from neurodream.training import TrainConfig

    cfg = TrainConfig()
    for r in bench_training(2, 0):
        parts = r["env_s_per_game"] + r["chip_s_per_game"] + r["other_host_s_per_game"]
        assert math.isclose(parts, r["s_per_later_game"])
        steps = cfg.awake_steps + (cfg.dreams_per_game * cfg.dream_steps if r["condition"] == "dreaming" else 0)
        reads_per_step = 2 if r["condition"] == "dreaming" else 1  # the world model reads too
        assert r["reads_per_game"] == reads_per_step * steps
        need = r["chip_emulated_per_wall_for_2x"]
        if math.isfinite(need):  # the chip at that speed makes a game take twice the environment's time
            chip = r["reads_per_game"] * r["read_ms"] * 1e-3 / need
            assert math.isclose(r["env_s_per_game"] + chip + r["other_host_s_per_game"], 2 * r["env_s_per_game"])
        else:
            assert r["other_host_s_per_game"] >= r["env_s_per_game"]
