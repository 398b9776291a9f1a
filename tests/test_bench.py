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
