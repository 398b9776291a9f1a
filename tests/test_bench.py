"""The benchmark script runs and reports consistent quantities (no timing is asserted)."""

import math

from neurodream.bench import bench_emulator


def test_emulator_benchmark_reports_consistent_ratios():
    r = bench_emulator(3, 10.0, "fast", None, 0)
    assert r["emulated_s"] == 3 * 0.01
    assert math.isclose(r["emulated_per_wall"], r["emulated_s"] / r["wall_s"])
    assert r["cam_matches_per_window"] > 0 and r["pulse_solve_ns"] > 0
    # the ceiling is the window over the pulse solves it needs
    solves_s = r["cam_matches_per_window"] * r["pulse_solve_ns"] * 1e-9
    assert math.isclose(r["ceiling_if_only_pulse_solves"], 0.01 / solves_s)
    assert math.isfinite(r["floor_model_two_exp_per_event"]) and r["floor_model_two_exp_per_event"] > 0


def test_results_digest_is_reproducible_and_sees_the_results(monkeypatch):
    from neurodream import bench
    from neurodream.chip import emulator

    first = bench.results_digest(2, games=1)
    assert len(first) == 64 and first == bench.results_digest(2, games=1)
    # a change in what the chip computes changes the digest
    real_init = emulator.Emulator.__init__

    def coarser(self, *args, **kwargs):
        kwargs.setdefault("macro_step_s", 2.5e-3)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(emulator.Emulator, "__init__", coarser)
    assert bench.results_digest(2, games=1) != first


def test_study_hours_adds_the_runs_of_both_conditions_over_the_cores():
    from neurodream.bench import STUDY_RUNS_PER_CONDITION, study_hours

    rows = [{"hours_per_2000_games": 0.1}, {"hours_per_2000_games": 0.3}]
    assert math.isclose(study_hours(rows, cores=2), STUDY_RUNS_PER_CONDITION * 0.4 / 2)
