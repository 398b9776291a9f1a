# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · The emulated DYNAP-SE1
#
# The paper's networks ran on a DYNAP-SE1 mixed-signal chip. `neurodream.chip` replaces it with an
# emulator: DPI synapses and adaptive-exponential DPI neurons driven by named (coarse, fine) biases,
# frozen device mismatch, and the chip's limits. This notebook shows what it does: single neurons and
# synapses, F–I curves with and without mismatch, the spike counts the paper's two bias presets give
# for the place-cell input of Pong states, and how those counts depend on the calibration values the
# chip does not reveal (`Calibration.sources()` says where each comes from;
# [docs/calibration.md](../docs/calibration.md) explains them).
#
# The emulator studies below are cached in `data/studies/`, keyed by their inputs and by the code of
# the emulator and everything it is driven by (`neurodream.study_cache`): a redraw reads them, and
# any change of that code recomputes them (a few minutes).

# %% tags=["parameters"]
quick = 0  # 1: small sizes, for CI

# %%
import json
from pathlib import Path

import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

from neurodream import analysis, emulator_study as study
from neurodream.chip import (PAPER_AGENT_BIASES, PAPER_WORLD_MODEL_BIASES, Calibration, CoreBiases,
                             Emulator, Network, Stimulus, code_for_current, core_circuit)
from neurodream.chip.mismatch import DEFAULT_MISMATCH_CV
from neurodream.pong import random_states
from neurodream.outputs import notebook_outputs
from neurodream.plotting import CONDITION_COLOURS, category_colours, legend_outside, save, use_style
from neurodream.study_cache import cached_call

use_style()
WHERE = notebook_outputs("01_emulator", globals())
OUT = WHERE.figures
N_STATES = 6 if quick else 40
FI_NEURONS = 5 if quick else 40
cal = Calibration()
pd.DataFrame({"value": {k: str(v) for k, v in cal.to_dict().items()}, "source": Calibration.sources()})

# %% [markdown]
# ## One neuron, one synapse of each type
#
# Four neurons on one core, each driven by a constant DC current and receiving a 100 Hz train on one
# synapse type: AMPA and NMDA add to the input, GABA_B subtracts from it, GABA_A shunts (adds to the leak).

# %%
demo = CoreBiases(IF_TAU1_N=(1, 60), IF_THR_N=(1, 120), IF_RFR_N=(2, 128), IF_DC_P=(3, 40),
                  NPDPIE_TAU_F_P=(2, 40), NPDPIE_THR_F_P=(1, 200), PS_WEIGHT_EXC_F_N=(4, 120),
                  NPDPIE_TAU_S_P=(2, 20), NPDPIE_THR_S_P=(1, 200), PS_WEIGHT_EXC_S_N=(4, 120),
                  NPDPII_TAU_F_P=(2, 40), NPDPII_THR_F_P=(1, 200), PS_WEIGHT_INH_F_N=(4, 160),
                  NPDPII_TAU_S_P=(2, 20), NPDPII_THR_S_P=(1, 200), PS_WEIGHT_INH_S_N=(4, 160))
demo_cal = cal.replace(bias_scale={})
types = ["AMPA", "NMDA", "GABA_A", "GABA_B"]
net = Network(generator_chip=0)
idx = net.add_neurons(0, 1, range(1, 5))
net.set_biases(0, 1, demo)
for g, (i, syn) in enumerate(zip(idx, types)):
    net.connect_generator(g, int(i), syn, weight=2)
train = np.arange(0.02, 0.08, 0.01)
stim = Stimulus.from_spike_times(np.repeat(np.arange(4), train.size), np.tile(train, 4))
chip = Emulator(net, demo_cal, mismatch_cv=0.0)
res = chip.run(0.1, stim, record=idx, record_dt_s=20e-6)
fig, axes = plt.subplots(2, 4, figsize=(13, 5), sharex=True)
syn_index = {"GABA_B": 0, "GABA_A": 1, "NMDA": 2, "AMPA": 3}
for k, syn in enumerate(types):
    t_ms = res.traces["t_s"] * 1e3
    axes[0, k].plot(t_ms, res.traces["i_syn_A"][k, syn_index[syn]] * 1e9)
    axes[0, k].set(title=f"{syn} synapse", ylabel="synaptic current (nA)" if k == 0 else "")
    axes[1, k].semilogy(t_ms, res.traces["i_mem_A"][k])
    spikes = res.spike_times_s[res.spike_neurons == k] * 1e3
    axes[1, k].plot(spikes, np.full(spikes.size, 1.2e-9), "k|", ms=8)
    axes[1, k].set(xlabel="time (ms)", ylabel="membrane current (A)" if k == 0 else "")
fig.suptitle("One neuron per synapse type, constant DC input and a 100 Hz train from 20 to 70 ms (no mismatch);\n"
             "ticks: output spikes")
save(fig, "01_single_neuron", OUT)

# %% [markdown]
# ## F–I curves, with and without device mismatch
#
# Firing rate against a constant input current (IF_DC_P). The dotted curve is the same neuron with the
# positive feedback switched off: there the firing rate has a closed form
# ([docs/chip_model.md](../docs/chip_model.md) §5), which the tests check both engines against to 1 %;
# with feedback the neuron fires a little faster. Mismatch (CV 20 %) spreads the curves; the grey
# line is the largest rate the refractory period allows, 1/t_ref.

# %%
fi_biases = CoreBiases(IF_TAU1_N=(1, 50), IF_THR_N=(1, 100), IF_RFR_N=(2, 128))
fines = np.linspace(20, 250, 8 if quick else 20).astype(int)
codes = [(3, int(f)) for f in fines]
fi_flat = cached_call("01_fi_no_mismatch", quick, study.fi_curve, fi_biases, codes, calibration=demo_cal, cv=0.0,
                      duration_s=0.3)
fi_mm = cached_call("01_fi_mismatch", quick, study.fi_curve, fi_biases, codes, calibration=demo_cal, cv=0.2,
                    n_neurons=FI_NEURONS, duration_s=0.3)
fi_nofb = cached_call("01_fi_no_feedback", quick, study.fi_curve, fi_biases, codes,
                      calibration=demo_cal.replace(feedback_gain_A=1e-30), duration_s=0.3)
fig, ax = plt.subplots(figsize=(6, 4))
q = fi_mm.groupby("i_dc_A").rate_hz.quantile([0.1, 0.5, 0.9]).unstack()
ax.fill_between(q.index * 1e9, q[0.1], q[0.9], alpha=0.3, label="mismatch CV 20 %: 10–90 %")
ax.plot(q.index * 1e9, q[0.5], "--", label="mismatch CV 20 %: median")
ax.plot(fi_flat.i_dc_A * 1e9, fi_flat.rate_hz, "o-", label="no mismatch")
ax.plot(fi_nofb.i_dc_A * 1e9, fi_nofb.rate_hz, "k:", label="no positive feedback (closed form holds)")
ax.axhline(1 / core_circuit(fi_biases, demo_cal).refractory_s, color="grey", lw=0.8,
           label="1 / refractory period (largest rate)")
ax.set(xlabel="DC input current (nA)", ylabel="firing rate (Hz)", title="F–I curve of one core")
ax.legend(loc="lower right")
save(fig, "01_fi_curves", OUT)

# %% [markdown]
# ## The paper's two bias presets on Pong input
#
# Agent cores (NMDA weight (5, 47)) and world-model cores ((4, 50)), 510 neurons each with 8 NMDA CAM
# words from the 40 place-cell generators, one 10 ms window per Pong state (states from random play).
# The calibration gives the agent cores and the world-model cores their own pulse width (PULSE_PWLK_P,
# a per-core bias the paper's code never set); the sensitivity panel below shows why.
# `initial_logit_sd` is the spread of the initial policy logits these counts give with the paper's
# readout initialisation: order one would mean a nearly uniform initial policy, which the published
# learning curves imply ([docs/calibration.md](../docs/calibration.md), "What the calibration aimed at").

# %%
states = random_states(N_STATES, seed=1)
counts = cached_call("01_preset_counts", quick, study.preset_counts, states, calibration=cal)
summary = pd.DataFrame({net: study.count_summary(c) for net, c in counts.items()})
summary.to_csv(OUT / "01_preset_counts.csv")
summary

# %%
NET_NAMES = {"agent": "agent", "model": "world model"}
fig, axes = plt.subplots(1, 3, figsize=(14, 4))
for net, c in counts.items():
    axes[0].hist(c.ravel(), bins=np.arange(c.max() + 2) - 0.5, alpha=0.6, label=NET_NAMES[net], log=True)
    axes[1].plot(np.sort(c.mean(axis=0))[::-1][:60], label=NET_NAMES[net])
axes[0].set(xlabel="spikes per neuron per 10 ms step", ylabel="neuron-steps", title="count distribution")
axes[1].set(xlabel="neuron (sorted by mean, first 60 of 510)", ylabel="mean spikes per step", title="per-neuron mean")
for a in axes[:2]:
    a.legend()
img = axes[2].imshow(counts["agent"][: min(40, N_STATES)].T, aspect="auto", interpolation="nearest", cmap="viridis")
fig.colorbar(img, ax=axes[2], label="spikes")
axes[2].set(xlabel="Pong state (step)", ylabel="agent neuron", title="agent counts per step")
fig.suptitle(f"Paper presets, default calibration, mismatch CV 20 %, {N_STATES} Pong states")
save(fig, "01_preset_counts", OUT)

# %% [markdown]
# ## Sensitivity to the uncertain calibration values
#
# The pulse width (PULSE_PWLK_P, never set by the paper's code: its power-on value is unknown), the
# LowBias scale of the membrane leak, the spike threshold, the dark current and the device mismatch
# (CV of the frozen per-neuron factors; default 20 %). Each point reruns both presets on the same
# states. In the calibrated sparse regime the spikes come from the neurons whose mismatch draws favour
# them most: with less mismatch the same biases give fewer spikes (notebook 07 trains the agent at
# each CV).

# %%
def pulse(us):
    """The same pulse width on every core (the default calibration gives each population its own)."""
    code = code_for_current(cal.V_switch_V * cal.C_pulse_F / (us * 1e-6))
    return cal.replace(unset_biases={"PULSE_PWLK_P": code}, core_unset_biases={})

variations = {
    "pulse width (us), all cores": [(f"{us:g}", pulse(us)) for us in (5, 7.5, 10, 20, 40, 60, 130)],
    "leak LowBias scale": [(f"{s:g}", cal.replace(bias_scale={"IF_TAU1_N": s, "IF_TAU2_N": s})) for s in (1e-5, 1e-4, 1e-3, 1e-2)],
    "spike threshold (nA)": [(f"{x:g}", cal.replace(spike_threshold_A=x * 1e-9)) for x in (0.5, 1, 2, 4)],
    "dark current I0 (pA)": [(f"{x:g}", cal.replace(dark_current_A=x * 1e-12, reset_current_A=x * 1e-12)) for x in (0.1, 0.5, 2)],
}
sens = cached_call("01_sensitivity", quick, study.sensitivity, states[: max(3, N_STATES // 4)], variations,
                   mismatch_cvs=(0.0, 0.1, 0.2, 0.3), calibration=cal)
sens.to_csv(OUT / "01_sensitivity.csv", index=False)
fig, axes = plt.subplots(2, sens.quantity.nunique(), figsize=(18, 6), sharey="row")
for k, (quantity, sub) in enumerate(sens.groupby("quantity", sort=False)):
    for net, g in sub.groupby("network"):
        axes[0, k].plot(g.value, g.spikes_per_neuron, "o-", label=NET_NAMES[net])
        axes[1, k].plot(g.value, g.initial_logit_sd, "o-", label=NET_NAMES[net])
    shown = quantity.replace("(us)", "(µs)")
    axes[0, k].set(title=shown, ylabel="spikes per neuron\nper 10 ms step" if k == 0 else "")
    axes[1, k].set(xlabel=shown, ylabel="SD of the initial policy's\naction preferences (logits)" if k == 0 else "")
    axes[0, k].set_yscale("symlog", linthresh=1e-3)
    axes[1, k].set_yscale("symlog", linthresh=0.1)
axes[0, 0].legend()
pulses = {k: f"{core_circuit(PAPER_AGENT_BIASES, cal, (3, c)).pulse_width_s * 1e6:.3g} µs" for k, c in (("agent", 0), ("model", 2))}
fig.suptitle(f"How the presets' spike counts depend on the calibration; defaults: pulse {pulses['agent']} (agent) / "
             f"{pulses['model']} (world model), leak scale {cal.bias_scale['IF_TAU1_N']:g}, threshold "
             f"{cal.spike_threshold_A * 1e9:g} nA, I0 {cal.dark_current_A * 1e12:g} pA, mismatch CV {100 * DEFAULT_MISMATCH_CV:g} %")
save(fig, "01_sensitivity", OUT)
sens.pivot_table(index=["quantity", "value"], columns="network", values="spikes_per_neuron", sort=False)

# %% [markdown]
# ## The agent's pulse width in each setup
#
# The two conditions put different networks on the chip. Without dreaming only the agent runs, one
# read per step (the released loop's: the last upload playing on for the host time, then the new
# stimulus for the wait). With dreaming the world model shares the chip: each state is presented for
# the agent's read and again (with the action) for the world model's, and, as in the released code,
# the agent's counts accumulate over both. The same agent pulse width therefore gives the dreaming
# agent about twice the spikes per step and a more deterministic initial policy. The released code had
# one setting for both conditions, and so does the calibration: the pulse fitted to the published
# baseline (notebook 00) applies in both setups. Each point: one run of a few games, no learning; the
# filled markers are the calibration's value, the others the candidates of notebook 00's search.

# %%
scan = cached_call("01_agent_pulse_scan", quick, study.agent_pulse_scan,
                   [(5, 40), (5, 45)] if quick else [(5, 35), (5, 40), (5, 45), (5, 50), (5, 55), (5, 60)],
                   seeds=(0,) if quick else (0, 1, 2), games=2 if quick else 8)
scan.to_csv(OUT / "01_agent_pulse_scan.csv", index=False)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
for cond, g in scan.groupby("condition"):
    m = g.groupby("pulse_us")[["agent_spikes_per_step", "policy_entropy"]].mean()
    for ax, col in zip(axes, m.columns):
        colour = CONDITION_COLOURS[cond]
        ax.plot(m.index, m[col], "o-", mfc="none", color=colour, label=f"{cond} setup")
        ax.plot(g.pulse_us, g[col], ".", color=colour, alpha=0.5)
        d = g[g.is_default].groupby("pulse_us")[col].mean()
        ax.plot(d.index, d.values, "o", color=colour, ms=9)
axes[0].set(xlabel="agent pulse width (µs)", ylabel="agent spikes per step\n(510 neurons)", yscale="log",
            title="readout input of the untrained agent")
axes[1].axhline(np.log(3), ls=":", color="k", label="uniform policy (ln 3)")
axes[1].set(xlabel="agent pulse width (µs)", ylabel="policy entropy per step (nats)", title="initial policy entropy")
axes[1].legend()
fig.suptitle("The agent cores' pulse width (bias PULSE_PWLK_P) in each setup; paper presets, mismatch CV 20 %.\n"
             "Large dots: the calibration's value (both setups); small dots: single runs")
save(fig, "01_agent_pulse_scan", OUT)
scan.groupby(["condition", "agent_pulse", "pulse_us", "is_default"])[["agent_spikes_per_step", "policy_entropy", "return"]].agg(["mean", "min", "max"]).round(2)

# %% [markdown]
# A spike count is not the same as information. For each setup and pulse code, the untrained agent sees
# the same states of random play: how many of its neurons spike at all, and how much of the ball's
# height minus the paddle's a ridge readout of its filtered counts recovers on held-out states (R²).
# A shorter pulse gives fewer spikes from fewer neurons and less of the state.

# %%
info_states = random_states(200 if quick else 2000, seed=5)
info = cached_call("01_agent_pulse_information", quick, study.pulse_information, info_states,
                   [(5, 40), (5, 45)] if quick else [(5, 40), (5, 45), (5, 50), (5, 55)],
                   seeds=(0,) if quick else (0, 1, 2))
info.to_csv(OUT / "01_agent_pulse_information.csv", index=False)
info.groupby(["condition", "agent_pulse"], sort=False).mean(numeric_only=True).drop(columns="seed").round(3)

# %% [markdown]
# ## How fast, and how accurate?
#
# The training runs use the fast engine (three tiers: a closed form while a neuron is far from
# threshold, an exponential integrator near it, the reference RK4 as a fallback;
# [docs/chip_model.md](../docs/chip_model.md)). `make bench` measures it on an idle machine and
# writes the records in `figures/bench/`, which this cell reads (it measures nothing itself, since
# timing depends on the machine and on what else runs):
#
# * speed: emulated chip time over wall time of the paper's 1020-neuron chip on Pong states, for
#   back-to-back 10 ms windows and for the released loop's reads (8 ms of host time, then the wait:
#   18 ms reads at the paper's 10 ms wait, 58 ms at notebook 05's 50 ms); the engine's target was 200×;
# * accuracy: the fast engine against the reference engine at a converged 10 µs step, 500 reads (100 of 58 ms),
#   agent and world-model cores: the share of neuron-windows with exactly the same spike count
#   (target 99.5 %), the error of each read's total count, and the spike-time error;
# * training: each condition's time per 2000-game run, extrapolated from a 10-game run (before learning
#   starts) and as the committed runs of the main comparison took, each over the time of the
#   environment alone (the engine issue's target was 2×), and what the 20 runs take on 2 cores.
#
# Two bounds come with them, measured by the same commands. For speed: the cheapest event model
# there is (two exponentials per accepted input event, no threshold; `bench.event_floor_ratio`) on
# the same reads, plus the fixed cost every read pays before any neuron is worked on (the call, the
# event lists, a pass over 1020 neurons at rest; measured on a chip at rest). An engine that does
# more per event than that model, one chip per call, stays below this bound. For training: each
# later game's wall time, timed inside the run, split into the environment's (the ALE's steps and
# the game's start, and the dream's), the chip's reads and the rest of the host's work (encoding,
# readouts, learning, the world model); from these, the chip speed at which a game would take 2×
# its environment share, and whether any chip speed gets there.

# %%
BENCH = Path("../figures/bench")
records = {p.stem: json.loads(p.read_text()) for p in sorted(BENCH.glob("*.json"))}
if not records:
    print("no benchmark records: run `make bench` (about 10 minutes) to write figures/bench/*.json")
speed, accuracy, training = [], [], []
for name, r in records.items():
    if name.startswith("emulator"):
        e = r["result"]
        speed.append({"reads": f"{e['read_ms']:g} ms" + (" (released loop)" if e["read_ms"] > 10 else ""),
                      "emulated / wall": e["emulated_per_wall"], "target": r["target_emulated_per_wall"],
                      "bound: floor model + read path": e.get("floor_model_through_read_path", np.nan),
                      "floor model": e.get("floor_model_two_exp_per_event") or np.nan,
                      "read path (µs)": e.get("read_path_us_per_read", np.nan), "read_s": e["read_ms"] * 1e-3,
                      "µs per neuron-read": e["us_per_neuron_window"],
                      "closed-form share": e["closed_form_share"], "near-threshold share": e["near_threshold_share"],
                      "load (1 min)": r["machine"]["load_average_1min"], "command": r["command"]})
    elif name.startswith("accuracy"):
        for a in r["populations"]:
            accuracy.append({"reads": f"{a['window_ms'] + a['host_ms']:g} ms", "cores": a["population"],
                             "identical neuron-reads": f"{a['identical_neuron_windows']:.4%}",
                             "target": f"{r['target']:.1%}", "reads compared": a["windows"],
                             "read total, mean rel. error": a["window_total_rel_error_mean"],
                             "read total, max rel. error": a["window_total_rel_error_max"],
                             "spike time error, median (µs)": a["spike_time_error_median_us"],
                             "spike time error, p99 (µs)": a["spike_time_error_p99_us"]})
        fi_error = max(abs(f["rel_error_fast"]) for f in r["fi_curve"]) if r.get("fi_curve") else np.nan
    elif name == "train":
        committed = {c["condition"]: c for c in r["committed_runs"]}
        for t in r["conditions"]:
            c = committed.get(t["condition"], {})
            training.append({"condition": t["condition"],
                             "min per 2000 games (bench, extrapolated)": 60 * t["hours_per_2000_games"],
                             "wall / environment (bench)": t["wall_over_env"],
                             # (records from before the split have neither)
                             "host work besides chip and ALE / environment": t.get("other_host_s_per_game", np.nan) / t["env_s_per_game"],
                             "chip speed for 2× (emulated / wall)": t.get("chip_emulated_per_wall_for_2x", np.nan),
                             "read_ms": t.get("read_ms", np.nan),
                             "min per run (committed runs)": c.get("minutes_per_run", np.nan),
                             "wall / environment (committed runs)": c.get("wall_over_env", np.nan)})
        study_hours = r["study_hours_2_cores"]
        committed_hours = r["committed_study_hours_2_cores"]
speed, accuracy, training = pd.DataFrame(speed), pd.DataFrame(accuracy), pd.DataFrame(training)
if len(training):
    print(f"main comparison (10 + 10 runs of 2000 games) on 2 cores: {60 * study_hours:.0f} min at the bench's speeds, "
          f"{60 * committed_hours:.0f} min as the committed runs took")
if len(accuracy):
    print(f"F-I curve of the fast engine against its closed form: largest relative error {fi_error:.2g}")
display(speed.drop(columns=["command", "read_s"], errors="ignore").round(3), accuracy.round(4), training.drop(columns="read_ms", errors="ignore").round(2))


def bounds_sentences(speed: pd.DataFrame, training: pd.DataFrame) -> str:
    """What the bounds in the records say about the targets (200× and 2×), in words."""
    out = []
    if len(speed) and speed["bound: floor model + read path"].notna().all():
        below = speed[speed["bound: floor model + read path"] < speed["target"]]
        parts = ", ".join(f"{b:.0f}× at {r}" for r, b in zip(speed["reads"], speed["bound: floor model + read path"]))
        out.append(f"Speed bound (floor model + the fixed cost of a read): {parts}. "
                   + (f"At {', '.join(below['reads'])} even that bound is below the 200× target: an engine that "
                      "does at least that model's work per event, one chip per call, cannot reach it there."
                      if len(below) else "The bound is above the target at every read length: the gap is the "
                      "engine's own work per event."))
        # the engine's work per read beyond the fixed cost, in units of the floor model's: now, and at 200x
        floor_s = speed.read_s / speed["floor model"]
        fixed_s = speed["read path (µs)"] * 1e-6
        now = (speed.read_s / speed["emulated / wall"] - fixed_s) / floor_s
        allowed = (speed.read_s / speed.target - fixed_s) / floor_s
        reads = [r.split(" (")[0] for r in speed.reads]
        out.append("The engine's work per read beyond that fixed cost is now "
                   + ", ".join(f"{n:.1f}× ({r})" for r, n in zip(reads, now))
                   + " the floor model's; 200× would need at most "
                   + ", ".join(f"{a:.1f}× ({r})" for r, a in zip(reads, allowed)) + ".")
    for _, t in training.iterrows():
        if pd.isna(t["host work besides chip and ALE / environment"]):
            continue
        free = 1.0 + t["host work besides chip and ALE / environment"]
        need = t["chip speed for 2× (emulated / wall)"]  # null in the record: no speed would do
        need = np.inf if need is None or pd.isna(need) else float(need)
        same_reads = speed[np.isclose(speed.read_s, t["read_ms"] * 1e-3)] if "read_ms" in t else speed.iloc[:0]
        bound = float(same_reads["bound: floor model + read path"].iloc[0]) if len(same_reads) else np.nan
        out.append(f"{t['condition'].capitalize()}: with a chip that cost nothing, a game would take {free:.2f}× "
                   "its environment share; " + (f"2× needs the chip's reads at {need:.0f}× real time"
                                               if np.isfinite(need) else "so no chip speed brings it to 2×")
                   + (f", above the speed bound of these reads ({bound:.0f}×)." if np.isfinite(need) and need > bound
                      else f", within the speed bound of these reads ({bound:.0f}×)." if np.isfinite(need) and np.isfinite(bound)
                      else "."))
    return " ".join(out)


bounds_text = bounds_sentences(speed, training)
print(bounds_text)

# %% [markdown]
# Where a training game's time goes (a later game of `bench train`'s run, before learning starts):
# the environment (the ALE's steps and the game's start, and the dream's), the chip's reads, and the
# rest of the host's work. The dashed line is the engine issue's target, twice the environment's
# time. A dreaming game reads the chip for the agent and for the world model at every real step and
# at every step of its dream, which has no environment steps at all: its chip share is larger, and
# so is the host's work around the reads (encoding, the world model's predictions).

# %%
split = pd.DataFrame(records["train"]["conditions"]).set_index("condition") if "train" in records else None
if split is not None and "chip_s_per_game" in split:
    parts = {"environment (ALE)": split.env_s_per_game, "chip reads": split.chip_s_per_game,
             "other host work": split.other_host_s_per_game}
    colours = category_colours(parts)
    fig, ax = plt.subplots(figsize=(9, 2.8))
    left = np.zeros(len(split))
    for name, values in parts.items():
        ms = 1e3 * values.to_numpy()
        ax.barh(split.index, ms, left=left, color=colours[name], label=name)
        left += ms
    for k, env_s in enumerate(split.env_s_per_game):
        ax.plot([2e3 * env_s] * 2, [k - 0.45, k + 0.45], "--", color="#c44e52", lw=2, label="target: 2 × environment" if k == 0 else None)
    for k, (cond, r) in enumerate(split.iterrows()):
        ax.text(max(left[k], 2e3 * r.env_s_per_game), k, f"  {r.reads_per_game:.0f} reads, {r.wall_over_env:.1f} × environment",
                va="center", fontsize=9)
    ax.set(xlabel="wall time per game (ms, one core)", xlim=(0, 1.35 * max(left.max(), 2e3 * split.env_s_per_game.max())),
           title="Where a training game's time goes (bench train, a later game before learning starts)")
    legend_outside(fig, [ax], ncols=4)
    save(fig, "01_game_time_split", OUT)
if WHERE.readme and records:
    md = (analysis.markdown_table(speed.drop(columns=["command", "µs per neuron-read", "load (1 min)", "floor model",
                                                      "read path (µs)", "read_s"]))
          + "\n\n" + analysis.markdown_table(accuracy))
    if len(training):
        md += ("\n\n" + analysis.markdown_table(training.drop(columns="read_ms", errors="ignore"))
               + f"\n\nThe main comparison's 20 runs of 2000 games on 2 cores: {60 * study_hours:.0f} min "
               f"at the bench's speeds, {60 * committed_hours:.0f} min as the committed runs took (target 45; "
               "the runs' wall times were measured with 2 runs sharing the 2 cores). ")
    if len(accuracy):
        md += f"The fast engine's F–I curve against its closed form: largest relative error {fi_error:.2g}. "
    md += "Commands and machine: `figures/bench/*.json`."
    if bounds_text:
        md += "\n\n" + bounds_text
    analysis.replace_readme_block(WHERE.readme, "speed", md)
