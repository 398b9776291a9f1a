"""Benchmarks (speed, not correctness): ``python -m neurodream.bench emulator``.

Prints ratios: emulated time / wall time of the paper's chip configuration (agent + world model,
2 x 510 neurons on 4 cores, 8 NMDA CAM words each, 40 generators driven by Pong states).
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def bench_emulator(windows: int, window_ms: float, engine: str, pulse_code, seed: int) -> dict:
    from .chip import Calibration, Emulator
    from .encoding import encode
    from .networks import build_paper_chip
    from .pong import random_states

    cal = Calibration()
    if pulse_code is not None:
        cal = cal.replace(unset_biases={"PULSE_PWLK_P": tuple(pulse_code)})
    states = random_states(windows + 1, seed)
    stims = [encode(s) for s in states]
    paper = build_paper_chip(seed)
    chip = Emulator(paper.network, cal, seed=seed, engine=engine)
    dt = window_ms * 1e-3
    chip.run(dt, stims[0])  # compile / warm up
    chip.stats[:] = 0
    counts = np.zeros((windows, chip.n_neurons), dtype=np.int64)
    t0 = time.perf_counter()
    for k in range(windows):
        counts[k] = chip.run(dt, stims[k + 1]).counts
    wall = time.perf_counter() - t0
    emulated = windows * dt
    return {
        "engine": engine,
        "PULSE_PWLK_P": cal.unset_biases["PULSE_PWLK_P"],
        "windows": windows,
        "emulated_s": emulated,
        "wall_s": wall,
        "emulated_per_wall": emulated / wall,
        "us_per_neuron_window": wall / (windows * chip.n_neurons) * 1e6,
        "agent_spikes_per_neuron_window": counts[:, paper.agent].mean(),
        "model_spikes_per_neuron_window": counts[:, paper.model].mean(),
        "fast_chunks": int(chip.stats[0]),
        "rk4_chunks": int(chip.stats[1]),
        "skipped_windows": int(chip.stats[2]),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m neurodream.bench", description=__doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    em = sub.add_parser("emulator", help="emulated time / wall time of the paper's 1020-neuron chip")
    em.add_argument("--windows", type=int, default=200)
    em.add_argument("--window-ms", type=float, default=10.0)
    em.add_argument("--engine", choices=["fast", "reference"], default="fast")
    em.add_argument("--pulse", type=int, nargs=2, metavar=("COARSE", "FINE"), default=None,
                    help="PULSE_PWLK_P code (default: the calibration record's)")
    em.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.what == "emulator":
        r = bench_emulator(args.windows, args.window_ms, args.engine, args.pulse, args.seed)
        for k, v in r.items():
            print(f"{k:32s} {v:.4g}" if isinstance(v, float) else f"{k:32s} {v}")


if __name__ == "__main__":
    main()
