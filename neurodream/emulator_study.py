"""Measurements of the emulated chip that notebook 01 plots: F-I curves, the paper presets' spike
counts for place-cell input, their sensitivity to the uncertain calibration values, the agent's
initial policy in each setup as its pulse width varies, and what its input tells about the state."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .chip import PAPER_AGENT_BIASES, Calibration, CoreBiases, Emulator, Network, core_circuit
from .chip.mismatch import DEFAULT_MISMATCH_CV
from .encoding import encode
from .networks import AGENT_CHIP_CORES, build_paper_chip
from .readouts import POLICY_INIT_SD, POLICY_INPUT_SCALE, low_pass
from .training import PaperChipRunner, TrainConfig, calibration_for, train
from .world_model_study import r_squared, ridge_predict


def fi_curve(biases: CoreBiases, dc_codes, *, calibration: Calibration | None = None, cv: float = 0.0,
             n_neurons: int = 1, duration_s: float = 0.5, seed: int = 0) -> pd.DataFrame:
    """Firing rate (Hz) of ``n_neurons`` neurons on one core for each IF_DC_P code in ``dc_codes``."""
    rows = []
    for code in dc_codes:
        net = Network(generator_chip=0)
        net.add_neurons(0, 1, range(1, n_neurons + 1))
        net.set_biases(0, 1, biases.with_biases(IF_DC_P=tuple(code)))
        chip = Emulator(net, calibration, mismatch_cv=cv, seed=seed)
        i_dc = chip.circuits[(0, 1)].i_dc_A
        counts = chip.run(duration_s, None).counts
        for i, c in enumerate(counts):
            rows.append({"dc_code": tuple(code), "i_dc_A": i_dc, "neuron": i, "rate_hz": c / duration_s})
    return pd.DataFrame(rows)


def preset_counts(states: np.ndarray, *, calibration: Calibration | None = None, mismatch_cv: float = DEFAULT_MISMATCH_CV,
                  seed: int = 0, window_s: float = 0.01) -> dict[str, np.ndarray]:
    """Spike counts (steps x 510) of the agent and the world model, one window per state, in order."""
    paper = build_paper_chip(seed)
    chip = Emulator(paper.network, calibration, mismatch_cv=mismatch_cv, seed=seed)
    counts = np.array([chip.run(window_s, encode(s)).counts for s in states])
    return {"agent": counts[:, paper.agent], "model": counts[:, paper.model]}


def agent_spikes_per_step(states: np.ndarray, *, calibration: Calibration | None = None,
                          mismatch_cv: float = DEFAULT_MISMATCH_CV, seed: int = 0) -> float:
    """Mean spikes per step of the whole agent population, one window per state (the baseline setup)."""
    return float(preset_counts(states, calibration=calibration, mismatch_cv=mismatch_cv, seed=seed)["agent"]
                 .sum(axis=1).mean())


def matched_agent_pulse(states: np.ndarray, target_spikes_per_step: float, *, mismatch_cv: float,
                        coarse: int = 5, seed: int = 0) -> tuple[tuple[int, int], float]:
    """The agent cores' ``PULSE_PWLK_P`` = (``coarse``, fine) with which the agent, at device mismatch
    ``mismatch_cv``, fires closest (as a ratio) to ``target_spikes_per_step`` on ``states`` (baseline
    setup: one window per state); returns the code and the spikes per step it gives."""
    from .training import agent_pulse_calibration

    return match_pulse(lambda code: agent_spikes_per_step(states, calibration=agent_pulse_calibration(code),
                                                          mismatch_cv=mismatch_cv, seed=seed),
                       target_spikes_per_step, coarse)


def match_pulse(spikes_for, target: float, coarse: int) -> tuple[tuple[int, int], float]:
    """The pulse code (``coarse``, fine) whose ``spikes_for(code)`` comes closest (as a ratio) to
    ``target``, and that count. A larger fine code is a larger current and a shorter pulse, so the
    count falls with the fine code; bisection finds the last code at or above the target, then the
    closer of it and the next."""
    if not target > 0:
        raise ValueError(f"target spikes must be > 0, got {target!r}")
    seen: dict[int, float] = {}

    def spikes(fine: int) -> float:
        if fine not in seen:
            seen[fine] = spikes_for((coarse, fine))
        return seen[fine]

    lo, hi = 1, 255
    if spikes(lo) <= target or spikes(hi) >= target:
        best = lo if spikes(lo) <= target else hi
        return (coarse, best), spikes(best)
    while hi - lo > 1:  # invariant: spikes(lo) > target > spikes(hi)
        mid = (lo + hi) // 2
        if spikes(mid) >= target:
            lo = mid
        else:
            hi = mid

    def miss(fine: int) -> float:
        return abs(np.log(spikes(fine) / target)) if spikes(fine) > 0 else np.inf

    best = lo if miss(lo) <= miss(hi) else hi
    return (coarse, best), spikes(best)


def dreaming_setup_reads(states: np.ndarray, calibration: Calibration, *, seeds=(0, 1, 2)) -> dict[str, float]:
    """Spikes per read of the untrained agent and world model in the dreaming setup (the released
    loop's reads, each network's counts accumulating over the other's window too), on ``states`` with
    uniformly random actions, averaged over chips ``seeds``: ``{"agent": ..., "model": ...}``."""
    from .seeding import stream

    agent, model = [], []
    for seed in seeds:
        runner = PaperChipRunner(TrainConfig(condition="dreaming", seed=seed, calibration=calibration.to_dict()))
        rng = stream(seed, "random-actions")
        runner.new_game()
        for s in states:
            agent.append(runner.agent_counts(s).sum())
            model.append(runner.model_counts(s, int(rng.integers(3))).sum())
    return {"agent": float(np.mean(agent)), "model": float(np.mean(model))}


MODEL_PULSE_COARSE = 4
"""The world model's pulse is searched at this coarse value (40 us at fine 45: its NMDA weight is
7.5 times the agent's smaller)."""


def matched_model_pulse(states: np.ndarray, agent_code: tuple[int, int], *, seeds=(0, 1, 2)
                        ) -> tuple[tuple[int, int], float, float]:
    """The world-model cores' ``PULSE_PWLK_P`` with which the untrained world model fires as many
    spikes per read as the untrained agent (agent cores at ``agent_code``) in the dreaming setup
    (:func:`dreaming_setup_reads`): a rule on activity alone, fixed before any dreaming run and blind
    to what dreaming gives. Returns the code, the model's and the agent's spikes per read."""
    from .networks import MODEL_CHIP_CORES
    from .training import agent_pulse_calibration

    base = agent_pulse_calibration(agent_code)
    target = dreaming_setup_reads(states, base, seeds=seeds)["agent"]

    def model_spikes(code):
        return dreaming_setup_reads(states, base.with_core_bias(MODEL_CHIP_CORES, "PULSE_PWLK_P", code),
                                    seeds=seeds)["model"]

    code, spikes = match_pulse(model_spikes, target, MODEL_PULSE_COARSE)
    return code, spikes, target


def count_summary(counts: np.ndarray) -> dict[str, float]:
    """What matters for learning: how many spikes, how widespread, how state-dependent.

    ``initial_logit_sd`` is the standard deviation of a policy logit ``J 5 c`` with ``J ~ N(0, 0.1)``
    (the paper's readout initialisation) for these counts: order one means a nearly uniform
    initial policy, as the published learning curves imply.
    """
    sq = (counts.astype(float) ** 2).sum(axis=1)
    per_neuron_mean = counts.mean(axis=0)
    active = per_neuron_mean > 0
    return {
        "spikes_per_neuron": float(counts.mean()),
        "active_fraction": float((counts > 0).mean()),
        "ever_active_fraction": float(active.mean()),
        "max_count": int(counts.max()),
        "initial_logit_sd": float(POLICY_INIT_SD * POLICY_INPUT_SCALE * np.sqrt(sq.mean())),
        "state_dependence": float((counts.std(axis=0)[active] / per_neuron_mean[active]).mean()) if active.any() else 0.0,
    }


MISMATCH_CV_QUANTITY = "mismatch CV (%)"


def sensitivity(states: np.ndarray, variations: dict[str, list[tuple[str, Calibration]]], *,
                mismatch_cv: float = DEFAULT_MISMATCH_CV, mismatch_cvs=(), calibration: Calibration | None = None,
                seed: int = 0) -> pd.DataFrame:
    """Count summaries of both presets for each labelled calibration of each varied quantity, and
    (quantity :data:`MISMATCH_CV_QUANTITY`) for each device-mismatch CV in ``mismatch_cvs`` with
    ``calibration`` (the other rows use ``mismatch_cv``)."""
    runs = [(quantity, label, cal, mismatch_cv) for quantity, options in variations.items() for label, cal in options]
    runs += [(MISMATCH_CV_QUANTITY, f"{100 * cv:g}", calibration, cv) for cv in mismatch_cvs]
    rows = []
    for quantity, label, cal, cv in runs:
        counts = preset_counts(states, calibration=cal, mismatch_cv=cv, seed=seed)
        for net, c in counts.items():
            rows.append({"quantity": quantity, "value": label, "network": net, **count_summary(c)})
    return pd.DataFrame(rows)


def agent_pulse_scan(codes, *, seeds=(0, 1, 2), games: int = 8,
                     conditions=("baseline", "dreaming")) -> pd.DataFrame:
    """The untrained agent in each setup with its cores' PULSE_PWLK_P at each (coarse, fine) code:
    per run (``games`` real games, no learning), the agent's spikes per step as its readout sees
    them, the policy entropy per step (nats; ln 3 = uniform) and the mean return per game.
    ``is_default`` marks the code :func:`neurodream.training.calibration_for` gives that setup."""
    agent_cores = AGENT_CHIP_CORES
    rows = []
    for condition in conditions:
        default = calibration_for(TrainConfig(condition=condition)).resolve(PAPER_AGENT_BIASES, agent_cores[0])
        for code in codes:
            cal = Calibration().with_core_bias(agent_cores, "PULSE_PWLK_P", tuple(code))
            pulse_us = core_circuit(PAPER_AGENT_BIASES, cal, agent_cores[0]).pulse_width_s * 1e6
            for seed in seeds:
                cfg = TrainConfig(condition=condition, seed=seed, games=games, learn_after_game=games,
                                  calibration=cal.to_dict())
                t = train(cfg, progress=False)
                rows.append({"condition": condition, "agent_pulse": tuple(code), "seed": seed,
                             "pulse_us": pulse_us, "is_default": tuple(default["PULSE_PWLK_P"]) == tuple(code),
                             "agent_spikes_per_step": float(t.agent_spikes_per_step.mean()),
                             "policy_entropy": float(t.policy_entropy.mean()),
                             "return": float(t["return"].mean())})
    return pd.DataFrame(rows)


def pulse_information(states: np.ndarray, codes, *, seeds=(0, 1, 2),
                      conditions=("baseline", "dreaming")) -> pd.DataFrame:
    """:func:`agent_state_information` of each setup with its agent cores' PULSE_PWLK_P at each
    (coarse, fine) code in ``codes`` (column ``agent_pulse``: ``str(code)``), one table."""
    from .training import agent_pulse_calibration

    info = [agent_state_information(states, conditions=(condition,), seeds=seeds,
                                    calibration=agent_pulse_calibration(code)).assign(agent_pulse=str(code))
            for condition in conditions for code in codes]
    return pd.concat(info, ignore_index=True)


def agent_state_information(states: np.ndarray, *, conditions=("baseline", "dreaming"), seeds=(0, 1, 2),
                            calibration: Calibration | None = None) -> pd.DataFrame:
    """What the untrained agent's readout input carries about the game in each setup.

    ``states`` are played in order on a fresh chip per (condition, seed), as in a run of that setup
    (with dreaming, every state also holds the world model's window, whose agent spikes count too).
    Per run: spikes per step, neurons with non-zero filtered counts per step, neurons that spiked at
    all (of 510), and the held-out R^2 of ridge readouts (fitted on the first half of the states)
    of the ball's y, the agent's paddle y and their difference, the quantity a Pong policy needs.
    ``calibration``: instead of each setup's default (:func:`neurodream.training.calibration_for`).
    """
    states = np.asarray(states, dtype=float)
    half = states.shape[0] // 2
    target = np.c_[states[:, 1], states[:, 3], states[:, 1] - states[:, 3]]
    rows = []
    for condition in conditions:
        for seed in seeds:
            runner = PaperChipRunner(TrainConfig(condition=condition, seed=seed,
                                                 calibration=calibration.to_dict() if calibration else None))
            x = np.zeros(runner.paper.agent.size)
            raw, filtered = [], []
            for state in states:
                counts = runner.agent_counts(state)
                if condition == "dreaming":
                    runner.model_counts(state, 0)
                x = low_pass(x, counts)
                raw.append(counts)
                filtered.append(x)
            raw, filtered = np.array(raw), np.array(filtered)
            r2 = r_squared(target[half:], ridge_predict(filtered[:half], target[:half], filtered[half:]))
            rows.append({"condition": condition, "seed": seed,
                         "spikes_per_step": float(raw.sum(axis=1).mean()),
                         "neurons_active_per_step": float((filtered > 0).sum(axis=1).mean()),
                         "neurons_ever_active": int((raw.sum(axis=0) > 0).sum()),
                         "r2_ball_y": float(r2[0]), "r2_paddle_y": float(r2[1]), "r2_ball_minus_paddle": float(r2[2])})
    return pd.DataFrame(rows)
