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
