"""How close the default (fast) engine is to the reference engine: ``python -m neurodream.bench accuracy``.

Both engines run the paper's chip (agent and world model, default calibration and mismatch, the
same seed) through the same windows of Pong states from the same initial state, each on its own
trajectory. Compared per population (the two bias presets: agent cores, world-model cores):

* the fraction of neuron-windows whose spike counts are identical;
* per window, the relative error of the population's total count, ``|n_fast - n_ref| / max(n_ref, 1)``;
* spike-time errors, pairing the spikes of a neuron in a window where both engines agree on its count;
* the membrane state (``u = ln(I_mem / I0)``) after the last window.

The reference runs with a step cap (default 10 us) at which it has converged (``--reference-step``).
The F-I curve of a DC-driven neuron is compared with the closed form (:mod:`.chip.oracles`).
"""

from __future__ import annotations

import math
import time

import numpy as np

REFERENCE_STEP_S = 1e-5
"""RK4 step cap of the reference engine in the comparison (s): converged for the paper's chip."""


def _run(engine: str, stimuli, wait_s: float, host_s: float, seed: int, **kw):
    from .chip import Calibration, Emulator
    from .networks import build_paper_chip

    paper = build_paper_chip(seed)
    chip = Emulator(paper.network, Calibration(), seed=seed, engine=engine, **kw)
    t0 = time.perf_counter()
    results = []
    for k, s in enumerate(stimuli):  # the released loop's reads when host_s > 0 (bench.bench_emulator)
        if host_s > 0 and k > 0:
            results.append(chip.run(wait_s + host_s, s, upload_at_s=host_s, previous=stimuli[k - 1],
                                    previous_phase_s=wait_s))
        else:
            results.append(chip.run(wait_s + host_s, s))
    wall = time.perf_counter() - t0
    return paper, chip, results, wall


def spike_time_errors(fast, ref, neurons, n_neurons: int) -> np.ndarray:
    """|t_fast - t_ref| (s) of the spikes of ``neurons`` (of a chip of ``n_neurons``), window by
    window, for every neuron whose count both engines agree on (spikes paired in time order)."""
    out = []
    keep = np.zeros(n_neurons, dtype=bool)
    keep[neurons] = True
    for rf, rr in zip(fast, ref):
        for n in np.unique(rr.spike_neurons[keep[rr.spike_neurons]]):
            a = rf.spike_times_s[rf.spike_neurons == n]
            b = rr.spike_times_s[rr.spike_neurons == n]
            if a.size == b.size:
                out.append(np.abs(a - b))
    return np.concatenate(out) if out else np.empty(0)


def engine_accuracy(windows: int = 500, window_ms: float = 10.0, seed: int = 0,
                    reference_step_s: float = REFERENCE_STEP_S, host_ms: float = 0.0) -> list[dict]:
    """One row per population ("agent", "world model"): the measures of the module docstring, over
    ``windows`` reads (with ``host_ms > 0`` the released loop's: the last upload plays on for
    ``host_ms`` before each new one)."""
    from .encoding import encode
    from .pong import random_states

    if windows < 1:
        raise ValueError(f"windows = {windows!r}: need at least 1")
    stimuli = [encode(s) for s in random_states(windows, seed)]
    dt, host = window_ms * 1e-3, host_ms * 1e-3
    paper, chip_f, fast, wall_f = _run("fast", stimuli, dt, host, seed)
    _, chip_r, ref, wall_r = _run("reference", stimuli, dt, host, seed, rk4_step_s=reference_step_s)
    cf = np.array([r.counts for r in fast])
    cr = np.array([r.counts for r in ref])
    rows = []
    for name, idx in (("agent", paper.agent), ("world model", paper.model)):
        tot_f, tot_r = cf[:, idx].sum(1), cr[:, idx].sum(1)
        rel = np.abs(tot_f - tot_r) / np.maximum(tot_r, 1)
        err = spike_time_errors(fast, ref, idx, chip_f.n_neurons)
        du = np.abs(chip_f._mem[idx, 0] - chip_r._mem[idx, 0])
        rows.append({
            "population": name, "windows": windows, "window_ms": window_ms, "host_ms": host_ms,
            "identical_neuron_windows": float((cf[:, idx] == cr[:, idx]).mean()),
            "spikes_fast": int(cf[:, idx].sum()), "spikes_reference": int(cr[:, idx].sum()),
            "window_total_rel_error_mean": float(rel.mean()), "window_total_rel_error_max": float(rel.max()),
            "spike_time_error_median_us": float(np.median(err) * 1e6) if err.size else math.nan,
            "spike_time_error_p99_us": float(np.quantile(err, 0.99) * 1e6) if err.size else math.nan,
            "paired_spikes": int(err.size),
            "final_u_error_p99": float(np.quantile(du, 0.99)), "final_u_error_max": float(du.max()),
            "reference_step_us": reference_step_s * 1e6,
            "wall_s_fast": wall_f, "wall_s_reference": wall_r,
        })
    return rows


def fi_accuracy(duration_s: float = 0.5) -> list[dict]:
    """Rate of a DC-driven neuron (no feedback, no AHP) at four DC levels, by both engines (reference
    at :data:`REFERENCE_STEP_S`), against the closed form (T3); the closed form itself takes the NMDA
    gate of the idle synapse as 1, which the reference's deviation shows."""
    from .chip import Calibration, CoreBiases, Emulator, Network
    from .chip import _layout as L
    from .chip.oracles import dc_interspike_interval

    cal = Calibration(bias_scale={}, feedback_gain_A=1e-30)
    base = CoreBiases(IF_TAU1_N=(1, 50), IF_THR_N=(1, 100), IF_RFR_N=(5, 255))
    rows = []
    for fine in (30, 60, 120, 200):
        row = {"IF_DC_P": f"(3, {fine})"}
        for engine, kw in (("fast", {}), ("reference", {"rk4_step_s": REFERENCE_STEP_S})):
            net = Network(generator_chip=0)
            net.add_neurons(0, 1, [1])
            net.set_biases(0, 1, base.with_biases(IF_DC_P=(3, fine)))
            chip = Emulator(net, cal, mismatch_cv=0.0, engine=engine, **kw)
            isi = np.diff(chip.run(duration_s, None).spike_times_s)
            row[f"rate_hz_{engine}"] = float(1 / isi[1:].mean()) if isi.size > 1 else 0.0
            c = chip.circuits[(0, 1)]
            row["rate_hz_closed_form"] = 1 / (chip.params[0, L.T_REF] + dc_interspike_interval(c.i_dc_A, c, cal))
        for engine in ("fast", "reference"):
            row[f"rel_error_{engine}"] = row[f"rate_hz_{engine}"] / row["rate_hz_closed_form"] - 1
        rows.append(row)
    return rows
