"""Benchmarks (speed, not correctness): ``python -m neurodream.bench emulator``.

Prints ratios: emulated time / wall time of the paper's chip configuration (agent + world model,
2 x 510 neurons on 4 cores, 8 NMDA CAM words each, 40 generators driven by Pong states), with a
bound on the same windows: the ratio of the cheapest event-driven model (:func:`event_floor_ratio`).
``python -m neurodream.bench accuracy`` compares the default engine with the reference engine
(:mod:`neurodream.accuracy`).
``python -m neurodream.bench digest`` hashes the results of a fixed workload, to check that an
optimisation leaves them bit for bit unchanged.

``--json PATH`` (emulator, accuracy, train) also writes what is printed to ``PATH`` (atomically),
with the command, the machine and the date: ``make bench`` writes the records in
``figures/bench/`` that notebook 01 and the README quote.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np


def bench_emulator(windows: int, window_ms: float, engine: str, pulse_code, seed: int, host_ms: float = 0.0) -> dict:
    """Emulated / wall time of the paper's chip over ``windows`` reads of Pong states. ``host_ms = 0``:
    back-to-back windows of ``window_ms``; else the released loop's reads (``training.PaperChipRunner``):
    the last upload plays on for ``host_ms``, then the new stimulus for ``window_ms`` (a read of
    ``host_ms + window_ms``)."""
    from .chip import Calibration, Emulator
    from .chip.emulator import played_events
    from .encoding import encode
    from .networks import build_paper_chip
    from .pong import random_states

    cal = Calibration()
    if pulse_code is not None:
        cal = cal.replace(unset_biases={"PULSE_PWLK_P": tuple(pulse_code)}, core_unset_biases={})
    states = random_states(windows + 1, seed)
    stims = [encode(s) for s in states]
    paper = build_paper_chip(seed)
    chip = Emulator(paper.network, cal, seed=seed, engine=engine)
    wait, host = window_ms * 1e-3, host_ms * 1e-3
    dt = wait + host

    def read_args(k):
        if host > 0:
            return dict(upload_at_s=host, previous=stims[k - 1], previous_phase_s=wait)
        return {}

    def read(k):
        return chip.run(dt, stims[k], **read_args(k))

    chip.run(wait, stims[0])  # compile / warm up
    chip.stats[:] = 0
    matches0 = chip.events.cam_matches
    counts = np.zeros((windows, chip.n_neurons), dtype=np.int64)
    t0 = time.perf_counter()
    for k in range(windows):
        counts[k] = read(k + 1).counts
    wall = time.perf_counter() - t0
    emulated = windows * dt
    matches = chip.events.cam_matches - matches0
    floor = event_floor_ratio(chip, [played_events(dt, stims[k + 1], **read_args(k + 1)) for k in range(windows)], dt)
    read_path_s = read_path_seconds(paper.network, cal, seed, dt)
    return {
        "engine": engine,
        "read_ms": dt * 1e3,
        "pulse_us_agent_model": tuple(round(chip.circuits[c].pulse_width_s * 1e6, 2) for c in ((3, 0), (3, 2))),
        "windows": windows,
        "emulated_s": emulated,
        "wall_s": wall,
        "emulated_per_wall": emulated / wall,
        "us_per_neuron_window": wall / (windows * chip.n_neurons) * 1e6,
        "agent_spikes_per_neuron_window": counts[:, paper.agent].mean(),
        "model_spikes_per_neuron_window": counts[:, paper.model].mean(),
        # where the neuron windows went (fractions): closed form, near-threshold tier, reference RK4, at rest
        "closed_form_share": chip.stats[0] / (windows * chip.n_neurons),
        "near_threshold_share": chip.stats[1] / (windows * chip.n_neurons),
        "reference_share": chip.stats[2] / (windows * chip.n_neurons),
        "skipped_share": chip.stats[3] / (windows * chip.n_neurons),
        # the work that cannot be skipped: every input event a neuron's CAM accepts is a DPI pulse
        "cam_matches_per_window": matches / windows,
        "wall_ns_per_cam_match": wall / max(matches, 1) * 1e9,
        # the same windows through the cheapest event-driven model there is (below): what any model
        # that touches every event with a transcendental function could reach here at best
        "floor_model_two_exp_per_event": floor,
        # what every read costs before any neuron is worked on: the call, the event lists, the
        # counts, and a pass over 1020 neurons at rest (measured on a chip at rest, without input)
        "read_path_us_per_read": read_path_s * 1e6,
        # the bound of a one-chip-per-call engine: the floor model's per-event work plus that fixed
        # cost of a read; an engine doing more per event than two exponentials stays below it
        "floor_model_through_read_path": dt / (dt / floor + read_path_s),
    }


def read_path_seconds(network, cal, seed: int, dt: float, reads: int = 2000) -> float:
    """Wall time (s) of one ``Emulator.run`` of ``dt`` on a fresh chip of ``network`` at rest without
    input (best of 3 batches of ``reads``): the fixed cost of a read (validation, event lists, the
    kernel call, counts, a pass over every neuron at rest), which no per-event work can remove."""
    from .chip import Emulator

    chip = Emulator(network, cal, seed=seed)
    chip.run(dt)  # compile / warm up
    best = math.inf
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(reads):
            chip.run(dt)
        best = min(best, (time.perf_counter() - t0) / reads)
    return best


def event_floor_ratio(chip, reads, dt: float, reps: int = 5) -> float:
    """Emulated / wall time of the cheapest event-driven model on this chip's own event lists
    (``reads``: each read's events as :func:`~neurodream.chip.emulator.played_events` gives them,
    reads of ``dt`` back to back): per accepted input event, decay a linear synapse and a linear membrane to it (two
    ``exp``) and add the pulse; per neuron and read, one decay to the read's end. No threshold, no
    spikes, no Python per read: a bound on what an approximate per-event engine could reach, not a
    model."""
    import numba as nb

    from .chip import _layout as L
    from .chip._fast import expand_events

    @nb.njit
    def floor_window(ev_ptr, ev_time, ev_w, tau_s, tau_m, mix, syn, mem, t0, t1):
        for i in range(ev_ptr.size - 1):
            t, a, v = t0, syn[i], mem[i]
            for k in range(ev_ptr[i], ev_ptr[i + 1]):
                ds, dm = math.exp(-(ev_time[k] - t) / tau_s[i]), math.exp(-(ev_time[k] - t) / tau_m[i])
                v = v * dm + a * mix[i] * (ds - dm)
                a = a * ds + ev_w[k]
                t = ev_time[k]
            ds, dm = math.exp(-(t1 - t) / tau_s[i]), math.exp(-(t1 - t) / tau_m[i])
            mem[i] = v * dm + a * mix[i] * (ds - dm)
            syn[i] = a * ds

    p = chip.params
    tau_s = p[:, L.SYN_TAU + L.NMDA].copy()
    tau_m = 1.0 / (p[:, L.R_MEM] * p[:, L.I_TAU])  # the membrane's linear-regime time constant
    gap = tau_s - tau_m
    mix = np.where(gap != 0, tau_s / np.where(gap != 0, gap, 1.0), 0.0)
    windows = []
    for k, (rel, ids) in enumerate(reads):
        ptr, ev_t, ev_c = expand_events(k * dt + rel, ids.astype(np.int64), chip._src_ptr, chip._src_conn,
                                        chip._conn_post, chip.n_neurons)
        windows.append((ptr, ev_t, chip._conn_mult[ev_c].copy(), k * dt, (k + 1) * dt))
    syn, mem = np.zeros(chip.n_neurons), np.zeros(chip.n_neurons)
    floor_window(*windows[0][:3], tau_s, tau_m, mix, syn, mem, *windows[0][3:])  # compile
    t0 = time.perf_counter()
    for _ in range(reps):
        for ptr, ev_t, ev_w, a, b in windows:
            floor_window(ptr, ev_t, ev_w, tau_s, tau_m, mix, syn, mem, a, b)
    return reps * len(windows) * dt / (time.perf_counter() - t0)


def bench_training(games: int, seed: int) -> list[dict]:
    """Speed of each condition from a ``games``-game run: the wall time, its fixed part (building
    the chip and the first game) and the mean of the later games, extrapolated to a 2000-game
    run (``hours_per_2000_games``; before learning starts, so without the updates and, for
    dreaming, without the dreams of a full run: :func:`committed_study` gives full runs).

    A later game's time is split (:func:`timed_training_parts`) into the environment's (the ALE's
    steps and the game's start), the chip's reads and the rest of the host's work
    (``other_host_s_per_game``: encoding, readouts, learning, the world model). ``wall_over_env``:
    a later game's wall time over the environment's; ``chip_emulated_per_wall_for_2x``: the speed
    the chip's reads would need for ``wall_over_env = 2`` with the rest unchanged (inf: none would do)."""
    from .training import TrainConfig, train

    if games < 2:
        raise ValueError(f"--games {games}: at least 2 (the first game also builds the chip)")
    out = []
    for condition in ("baseline", "dreaming"):
        train(TrainConfig(condition=condition, seed=seed, games=1, awake_steps=2, dream_steps=2), progress=False)
        cfg = TrainConfig(condition=condition, seed=seed, games=games)
        t0 = time.perf_counter()
        with timed_training_parts() as parts:
            table = train(cfg, progress=False)
        wall = time.perf_counter() - t0
        later = table.iloc[1:]
        n_later = len(later)
        per_game = float(later.wall_s.mean())
        fixed = wall - float(later.wall_s.sum())
        env_per_game = (parts.later_wall_s("env_step") + parts.later_wall_s("env_start")) / n_later
        chip_per_game = parts.later_wall_s("chip") / n_later
        reads_per_game = parts.later_calls("chip") / n_later
        other_per_game = per_game - env_per_game - chip_per_game
        read_s = (cfg.wait_ms + cfg.host_ms) * 1e-3
        # wall / env = 2 leaves the chip env - other per game: the speed its reads would need
        allowed = env_per_game - other_per_game
        out.append({"condition": condition, "games": games, "wall_s": wall, "fixed_s": fixed,
                    "s_per_later_game": per_game, "env_s_per_game": env_per_game,
                    "wall_over_env": per_game / env_per_game,
                    "reads_per_game": reads_per_game, "read_ms": read_s * 1e3,
                    "chip_s_per_game": chip_per_game, "other_host_s_per_game": other_per_game,
                    "chip_emulated_per_wall": reads_per_game * read_s / chip_per_game,
                    "chip_emulated_per_wall_for_2x": (reads_per_game * read_s / allowed if allowed > 0
                                                      else math.inf),
                    "hours_per_2000_games": (fixed + 1999 * per_game) / 3600,
                    "runs_per_hour_per_core": 3600 / (fixed + 1999 * per_game)})
    return out


class PartTimes:
    """What :func:`timed_training_parts` measured: per part, the calls and their wall time (s), in
    all and in the first game (up to the second game's start, which includes building and compiling)."""

    def __init__(self, names):
        self.calls = dict.fromkeys(names, 0)
        self.wall_s = dict.fromkeys(names, 0.0)
        self.first_game_calls = dict.fromkeys(names, 0)
        self.first_game_wall_s = dict.fromkeys(names, 0.0)
        self.last_wall_s = dict.fromkeys(names, 0.0)
        self.games_started = 0

    def later_calls(self, name: str) -> int:
        """Calls of part ``name`` after the first game."""
        return self.calls[name] - self.first_game_calls[name]

    def later_wall_s(self, name: str) -> float:
        """Wall time (s) of part ``name`` after the first game."""
        return self.wall_s[name] - self.first_game_wall_s[name]


@contextlib.contextmanager
def timed_training_parts():
    """Within the block, the chip's reads (``Emulator.run``, part ``"chip"``) and the environment's
    steps and game starts (``Pong.step``, ``Pong.start_game``: ``"env_step"``, ``"env_start"``; a
    dream also starts from a real game's start) are timed; yields their :class:`PartTimes`. A game
    begins with the ``Pong.start_game`` just before its ``PaperChipRunner.new_game``, so the first
    game ends there in the second game. Patches those methods for the block only; used by
    :func:`bench_training`."""
    from .chip import Emulator
    from .pong import Pong
    from .training import PaperChipRunner

    methods = {"chip": (Emulator, "run"), "env_step": (Pong, "step"), "env_start": (Pong, "start_game")}
    record = PartTimes(methods)
    real = {name: getattr(owner, attr) for name, (owner, attr) in methods.items()}
    real_new_game = PaperChipRunner.new_game

    def timed(name):
        method = real[name]

        def call(self, *args, **kwargs):
            t0 = time.perf_counter()
            try:
                return method(self, *args, **kwargs)
            finally:
                record.last_wall_s[name] = time.perf_counter() - t0
                record.wall_s[name] += record.last_wall_s[name]
                record.calls[name] += 1

        return call

    def new_game(self):
        record.games_started += 1
        if record.games_started == 2:  # the game start just timed belongs to the second game
            record.first_game_calls.update(record.calls)
            record.first_game_wall_s.update(record.wall_s)
            record.first_game_calls["env_start"] -= 1
            record.first_game_wall_s["env_start"] -= record.last_wall_s["env_start"]
        return real_new_game(self)

    for name, (owner, attr) in methods.items():
        setattr(owner, attr, timed(name))
    PaperChipRunner.new_game = new_game
    try:
        yield record
    finally:
        for name, (owner, attr) in methods.items():
            setattr(owner, attr, real[name])
        PaperChipRunner.new_game = real_new_game


def committed_study(data_dir, env_s_per_game: dict | None = None) -> list[dict]:
    """The main comparison as committed in ``data_dir``: per condition, the 2000-game runs of seeds
    0..9 at the default config found there, their mean wall time per run and per game (measured
    while the study ran, 2 runs at a time on 2 cores) and, given the environment's time per game
    (from :func:`bench_training`), the wall time over it. Conditions without runs are left out."""
    from .training import TrainConfig, load_run, run_path

    out = []
    for condition in ("baseline", "dreaming"):
        walls, games = [], 0
        for seed in range(STUDY_RUNS_PER_CONDITION):
            path = run_path(TrainConfig(condition=condition, seed=seed, games=2000), data_dir)
            if path.exists():
                table = load_run(path)
                walls.append(float(table.wall_s.sum()))
                games += len(table)
        if walls:
            row = {"condition": condition, "runs": len(walls), "minutes_per_run": float(np.mean(walls)) / 60,
                   "s_per_game": sum(walls) / games}
            if env_s_per_game:
                row["wall_over_env"] = row["s_per_game"] / env_s_per_game[condition]
            out.append(row)
    return out


EMULATOR_TARGET = 200.0
"""The engine issue's target: emulated time / wall time of the paper's chip on one core."""
ACCURACY_TARGET = 0.995
"""The engine issue's target: fraction of neuron-windows with identical counts to the reference."""
STUDY_RUNS_PER_CONDITION = 10
STUDY_TARGET_HOURS = 0.75
"""The learner issue's target for the main comparison (10 runs per condition) on 2 cores."""


def study_hours(rows: list[dict], cores: int = 2) -> float:
    """Wall time (h) of the main comparison, ``STUDY_RUNS_PER_CONDITION`` 2000-game runs per
    condition, at the measured one-core speeds with ``cores`` runs at a time (no slowdown from
    sharing the machine assumed, so a lower bound)."""
    return sum(STUDY_RUNS_PER_CONDITION * r["hours_per_2000_games"] for r in rows) / cores


def results_digest(windows: int, games: int = 4) -> str:
    """SHA-256 of everything the emulator and the learner compute on a fixed workload: spike counts,
    spike times and final state of three paper chips (mismatch CV 20, 30 and 0 %) and of the
    reference engine over ``windows`` 10 ms windows of Pong states (world-model windows with
    the action), then a ``games``-game run of each condition.

    Not a speed figure: an optimisation that should not change the numerics must leave it
    unchanged (run it before and after; the digest depends on the platform's maths library).
    """
    import hashlib

    from .chip import Calibration, Emulator
    from .encoding import encode
    from .networks import build_paper_chip
    from .pong import random_states
    from .training import TrainConfig, train

    h = hashlib.sha256()
    states = random_states(windows, 3)
    for seed, cv, engine in ((0, 0.2, "fast"), (1, 0.3, "fast"), (2, 0.0, "fast"), (0, 0.2, "reference")):
        chip = Emulator(build_paper_chip(seed, with_model=True).network, Calibration(), mismatch_cv=cv,
                        seed=seed, engine=engine)
        for k in range(windows if engine == "fast" else max(windows // 10, 1)):
            stim = encode(states[k], k % 3, 1000.0) if k % 2 else encode(states[k], k % 3)
            r = chip.run(0.01, stim)
            h.update(r.counts.tobytes())
            h.update(r.spike_times_s.tobytes())
        for state in (chip._mem, chip._syn, chip._drive, chip._conn_end):
            h.update(np.ascontiguousarray(state).tobytes())
    for condition, fidelity in (("baseline", "paper"), ("dreaming", "paper"), ("dreaming", "corrected")):
        t = train(TrainConfig(condition=condition, seed=4, games=games, fidelity=fidelity), progress=False)
        h.update(t[["return", "agent_spikes_per_step", "model_spikes_per_step"]].to_numpy().tobytes())
        h.update(np.asarray(t.attrs["policy_J"]).tobytes())
    return h.hexdigest()


def write_record(path: Path | str, command: list[str], results: dict) -> Path:
    """Write a benchmark's ``results`` as strict JSON to ``path`` (atomically), with the command
    that produced them, the machine (processor, cores, load average at the end) and the date."""
    from .atomic_file import strict_json, write_atomically

    record = {
        "command": "python -m neurodream.bench " + " ".join(command),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"processor": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
                    "python": platform.python_version()},
        **_plain(results),
    }
    return write_atomically(path, strict_json(record) + "\n")


def _plain(x):
    """``x`` with numpy scalars as Python numbers and tuples as lists (for JSON)."""
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return x.item() if isinstance(x, np.generic) else x


def _json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=Path, default=None, metavar="PATH",
                        help="also write the results to PATH as JSON (default: print only)")


def main(argv=None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m neurodream.bench", description=__doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    em = sub.add_parser("emulator", help="emulated time / wall time of the paper's 1020-neuron chip")
    em.add_argument("--windows", type=int, default=200, help="reads timed (default 200)")
    em.add_argument("--window-ms", type=float, default=10.0, help="the wait per read, ms (default 10)")
    em.add_argument("--engine", choices=["fast", "reference"], default="fast", help="default fast")
    em.add_argument("--pulse", type=int, nargs=2, metavar=("COARSE", "FINE"), default=None,
                    help="one PULSE_PWLK_P code for every core (default: the calibration record's per-core codes)")
    em.add_argument("--seed", type=int, default=0, help="chip, connectivity and states seed (default 0)")
    em.add_argument("--host-ms", type=float, default=0.0,
                    help="the released loop's reads: the last upload plays on this long before each window "
                         "(training.HOST_MS = 8); default 0: back-to-back windows")
    _json_option(em)
    tr = sub.add_parser("train", help="games per second of each condition (full 100-step games)")
    tr.add_argument("--games", type=int, default=3)
    tr.add_argument("--seed", type=int, default=0)
    _json_option(tr)
    dg = sub.add_parser("digest", help="hash of the emulator's and learner's results on a fixed workload "
                        "(unchanged by an optimisation that keeps the numerics)")
    dg.add_argument("--windows", type=int, default=300)
    ac = sub.add_parser("accuracy", help="the default engine against the reference engine on the paper's chip")
    ac.add_argument("--windows", type=int, default=500, help="Pong windows (default 500)")
    ac.add_argument("--window-ms", type=float, default=10.0, help="window length, ms (default 10)")
    ac.add_argument("--seed", type=int, default=0, help="chip, connectivity and states seed (default 0)")
    ac.add_argument("--host-ms", type=float, default=0.0,
                    help="the released loop's reads: the last upload plays on this long before each window (default 0)")
    ac.add_argument("--reference-step", type=float, default=None,
                    help="RK4 step cap of the reference, s (default accuracy.REFERENCE_STEP_S = 1e-5)")
    _json_option(ac)
    args = parser.parse_args(argv)
    if args.what == "accuracy":
        from .accuracy import REFERENCE_STEP_S, engine_accuracy, fi_accuracy

        rows = engine_accuracy(args.windows, args.window_ms, args.seed, args.reference_step or REFERENCE_STEP_S,
                               args.host_ms)
        for r in rows:
            print("  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()))
        worst = min(r["identical_neuron_windows"] for r in rows)
        print(f"identical neuron-windows: {worst:.4%} in the worse population (target {ACCURACY_TARGET:.1%})")
        print("F-I curve, DC input, no feedback or adaptation (closed form: chip.oracles):")
        fi = fi_accuracy()
        for r in fi:
            print("  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()))
        if args.json:
            write_record(args.json, argv, {"populations": rows, "identical_neuron_windows_worse": worst,
                                           "target": ACCURACY_TARGET, "fi_curve": fi})
    if args.what == "digest":
        print(results_digest(args.windows))
    if args.what == "train":
        rows = bench_training(args.games, args.seed)
        for r in rows:
            print("  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()))
        print(f"main comparison ({STUDY_RUNS_PER_CONDITION} runs per condition, 2 at a time on 2 cores): "
              f"{study_hours(rows):.2f} h at these speeds (target {STUDY_TARGET_HOURS} h)")
        from .sweep import DATA

        committed = committed_study(DATA, {r["condition"]: r["env_s_per_game"] for r in rows})
        for r in committed:
            print("committed  " + "  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()))
        committed_hours = (sum(r["minutes_per_run"] for r in committed) * STUDY_RUNS_PER_CONDITION / 2 / 60
                           if len(committed) == 2 else float("nan"))
        print(f"main comparison as committed in {DATA} (mean run x {STUDY_RUNS_PER_CONDITION} per condition, "
              f"2 at a time): {committed_hours:.2f} h")
        if args.json:
            write_record(args.json, argv, {"conditions": rows, "study_hours_2_cores": study_hours(rows),
                                           "committed_runs": committed, "committed_study_hours_2_cores": committed_hours,
                                           "study_target_hours": STUDY_TARGET_HOURS})
    if args.what == "emulator":
        r = bench_emulator(args.windows, args.window_ms, args.engine, args.pulse, args.seed, args.host_ms)
        for k, v in r.items():
            print(f"{k:32s} {v:.4g}" if isinstance(v, float) else f"{k:32s} {v}")
        if args.json:
            write_record(args.json, argv, {"result": r, "target_emulated_per_wall": EMULATOR_TARGET})


if __name__ == "__main__":
    main()
