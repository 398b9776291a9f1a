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
#
# **Knobs to turn.** Every bias this notebook sets by hand is a parameter (next cell). A bias is a
# pair `[coarse, fine]`: the coarse level 0–7 picks a current range (from 15 pA to 24 µA at fine
# 255), the fine code 0–255 a fraction of it, so the current is `range × fine / 255`. Change one
# from the command line and the notebook writes a variant to `figures/variants/<name>/` (the
# committed figures stay as they are; only the studies that change are computed, into
# `data/variants/`), for example:
#
# ```
# make figures NOTEBOOKS=notebooks/01_emulator.py PARAMS='-y "fi_tau_bias: [1, 150]"'
# ```
#
# | parameter | bias it sets | what to expect |
# |---|---|---|
# | `demo_dc_bias` | IF_DC_P of the single-neuron demo | more input current, faster firing between the synaptic events |
# | `fi_tau_bias` | IF_TAU1_N, membrane leak of the F–I core | a larger leak raises the input needed to fire (the curve moves right) and speeds the membrane up |
# | `fi_threshold_bias` | IF_THR_N, membrane gain | a larger gain makes the same input drive the membrane higher: faster firing |
# | `fi_refractory_bias` | IF_RFR_N, refractory period | a larger current, a shorter refractory period: the grey ceiling 1/t_ref rises |
# | `fi_dc_coarse` | coarse level of the F–I input IF_DC_P | one level up multiplies every input current by 7 to 8 |
# | `fi_mismatch_cv` | device mismatch of the F–I spread | a wider or narrower band around the median |
# | `agent_pulse_bias` | PULSE_PWLK_P of the agent cores | a larger current, a shorter pulse per input spike: fewer agent spikes (preset counts and sensitivity) |
#
# A changed parameter recomputes only the studies it enters, each in about a minute here: the three
# F–I curves for the `fi_` parameters, the preset counts and the sensitivity for
# `agent_pulse_bias` (the single-neuron demo is not cached at all). The pulse scan and the
# information table further down keep their own lists of pulse codes and do not depend on
# `agent_pulse_bias`.

# %% tags=["parameters"]
quick = 0  # 1: small sizes, for CI
# Bias codes are [coarse, fine]: coarse 0-7 picks a current range, fine 0-255 a step within it.
demo_dc_bias = [3, 40]  # IF_DC_P: the constant input of the single-neuron demonstration
fi_tau_bias = [1, 50]  # IF_TAU1_N of the F-I core: the membrane leak (larger: faster leak)
fi_threshold_bias = [1, 100]  # IF_THR_N of the F-I core: the membrane gain
fi_refractory_bias = [2, 128]  # IF_RFR_N of the F-I core: larger current, shorter refractory period
fi_dc_coarse = 3  # coarse level of the F-I curve's input IF_DC_P (fine codes 20-250)
fi_mismatch_cv = 0.2  # device mismatch of the F-I curve's spread (0.2: 20 %)
agent_pulse_bias = [5, 45]  # PULSE_PWLK_P of the agent cores (larger current, shorter pulse)

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
from neurodream.chip.oracles import dc_interspike_interval
from neurodream.networks import AGENT_CHIP_CORES
from neurodream.pong import random_states
from neurodream.outputs import notebook_outputs
from neurodream.plotting import CONDITION_COLOURS, category_colours, legend_outside, save, use_style
from neurodream.study_cache import cached_call

use_style()
WHERE = notebook_outputs("01_emulator", globals())
OUT = WHERE.figures
N_STATES = 6 if quick else 40
FI_NEURONS = 5 if quick else 40
# the default calibration, with the agent cores' pulse bias from the parameters (by default the
# calibration's own, PAPER_AGENT_PULSE)
cal = Calibration().with_core_bias(AGENT_CHIP_CORES, "PULSE_PWLK_P", tuple(agent_pulse_bias))
pd.DataFrame({"value": {k: str(v) for k, v in cal.to_dict().items()}, "source": Calibration.sources()})

# %% [markdown]
# ## One neuron, one synapse of each type
#
# Four neurons on one core, each driven by a constant DC current (`demo_dc_bias`, IF_DC_P) and
# receiving a 100 Hz train on one synapse type from 20 to 70 ms: AMPA and NMDA add to the input,
# GABA_B subtracts from it, GABA_A shunts (adds to the leak). Top row: the synapse's current, which
# each input spike raises and which then decays with the synapse's time constant (NMDA and GABA_B
# are the slow ones). Bottom row: the neuron's membrane current on a log scale, with each output
# spike as a tick: it climbs from the reset level to the spike threshold (1000 pA in the default
# calibration), fires and is reset. Every current is in pA, time in ms. Excitation makes the neuron
# fire more often during the train; both inhibitions silence it until their current has decayed.

# %%
demo = CoreBiases(IF_TAU1_N=(1, 60), IF_THR_N=(1, 120), IF_RFR_N=(2, 128), IF_DC_P=tuple(demo_dc_bias),
                  NPDPIE_TAU_F_P=(2, 40), NPDPIE_THR_F_P=(1, 200), PS_WEIGHT_EXC_F_N=(4, 120),
                  NPDPIE_TAU_S_P=(2, 20), NPDPIE_THR_S_P=(1, 200), PS_WEIGHT_EXC_S_N=(4, 120),
                  NPDPII_TAU_F_P=(2, 40), NPDPII_THR_F_P=(1, 200), PS_WEIGHT_INH_F_N=(4, 160),
                  NPDPII_TAU_S_P=(2, 20), NPDPII_THR_S_P=(1, 200), PS_WEIGHT_INH_S_N=(4, 160))
demo_cal = Calibration().replace(bias_scale={})  # the demos' core: no LowBias scale, no agent cores
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
PA = 1e12  # A -> pA: every current of this figure in pA
fig, axes = plt.subplots(2, 4, figsize=(13, 5.8), sharex=True, sharey="row")
syn_index = {"GABA_B": 0, "GABA_A": 1, "NMDA": 2, "AMPA": 3}
effect = {"AMPA": "adds", "NMDA": "adds, slow", "GABA_A": "shunts", "GABA_B": "subtracts, slow"}
t_ms = res.traces["t_s"] * 1e3
spike_level = 1.6 * res.traces["i_mem_A"].max() * PA  # the ticks just above the highest membrane current
for k, syn in enumerate(types):
    axes[0, k].axvspan(train[0] * 1e3, train[-1] * 1e3, color="0.92", lw=0, zorder=0)
    axes[0, k].plot(t_ms, res.traces["i_syn_A"][k, syn_index[syn]] * PA)
    axes[0, k].set(title=f"{syn} synapse ({effect[syn]})", ylabel="synaptic current (pA)" if k == 0 else "")
    axes[1, k].semilogy(t_ms, res.traces["i_mem_A"][k] * PA)
    spikes = res.spike_times_s[res.spike_neurons == k] * 1e3
    axes[1, k].plot(spikes, np.full(spikes.size, spike_level), "k|", ms=8,
                    label="output spike" if k == 0 else None)
    axes[1, k].set(xlabel="time (ms)", ylabel="membrane current (pA)" if k == 0 else "")
legend_outside(fig, [axes[1, 0]], ncols=1)
fig.suptitle(f"One neuron per synapse type, no mismatch: constant input IF_DC_P {tuple(demo_dc_bias)} "
             f"({core_circuit(demo, demo_cal).i_dc_A * PA:.0f} pA)\n"
             "and a 100 Hz input train on the synapse from 20 to 70 ms (grey band)")
save(fig, "01_single_neuron", OUT)

# %% [markdown]
# ## F–I curves, with and without device mismatch
#
# Firing rate against a constant input current (IF_DC_P, coarse level `fi_dc_coarse`, fine codes
# 20–250), on a core with the biases `fi_tau_bias`, `fi_threshold_bias` and `fi_refractory_bias`.
# Every curve is measured on the emulator (spikes counted over 0.3 s); the line styles say which
# neuron:
#
# * solid line with dots: one neuron without device mismatch, the chip as designed;
# * dashed line and band: 40 neurons with mismatch (CV `fi_mismatch_cv`, 20 % by default), their
#   median and the 10–90 % range: the same biases give each neuron a somewhat different curve;
# * dotted line: the neuron without mismatch and with its positive feedback switched off; for this
#   neuron the firing rate has a closed form ([docs/chip_model.md](../docs/chip_model.md) §5),
#   drawn as crosses, which the tests check both engines against to 1 %. With feedback (solid) the
#   neuron fires a little faster;
# * thin grey line: the largest rate the refractory period allows, 1/t_ref.

# %%
fi_biases = CoreBiases(IF_TAU1_N=tuple(fi_tau_bias), IF_THR_N=tuple(fi_threshold_bias),
                       IF_RFR_N=tuple(fi_refractory_bias))
fines = np.linspace(20, 250, 8 if quick else 20).astype(int)
codes = [(fi_dc_coarse, int(f)) for f in fines]
fi_flat = cached_call("01_fi_no_mismatch", quick, study.fi_curve, fi_biases, codes, calibration=demo_cal, cv=0.0,
                      duration_s=0.3)
fi_mm = cached_call("01_fi_mismatch", quick, study.fi_curve, fi_biases, codes, calibration=demo_cal,
                    cv=fi_mismatch_cv, n_neurons=FI_NEURONS, duration_s=0.3)
no_feedback = demo_cal.replace(feedback_gain_A=1e-30)
fi_nofb = cached_call("01_fi_no_feedback", quick, study.fi_curve, fi_biases, codes,
                      calibration=no_feedback, duration_s=0.3)


def closed_form_rate(code) -> float:
    """The closed form's rate (Hz) of the neuron without mismatch and feedback at IF_DC_P ``code``
    (docs/chip_model.md §5): one refractory period plus the time from reset to threshold."""
    circuit = core_circuit(fi_biases.with_biases(IF_DC_P=code), no_feedback)
    return 1 / (circuit.refractory_s + dc_interspike_interval(circuit.i_dc_A, circuit, no_feedback))


cv_text = f"mismatch CV {100 * fi_mismatch_cv:g} %"
fig, ax = plt.subplots(figsize=(6.5, 4.2))
q = fi_mm.groupby("i_dc_A").rate_hz.quantile([0.1, 0.5, 0.9]).unstack()
ax.fill_between(q.index * 1e9, q[0.1], q[0.9], alpha=0.3, label=f"{FI_NEURONS} neurons, {cv_text}: 10–90 %")
ax.plot(q.index * 1e9, q[0.5], "--", label=f"{FI_NEURONS} neurons, {cv_text}: median")
ax.plot(fi_flat.i_dc_A * 1e9, fi_flat.rate_hz, "o-", label="one neuron, no mismatch")
ax.plot(fi_nofb.i_dc_A * 1e9, fi_nofb.rate_hz, "k:", label="no mismatch, no positive feedback")
ax.plot(fi_nofb.i_dc_A * 1e9, [closed_form_rate(c) for c in fi_nofb.dc_code], "kx", ms=5,
        label="closed form (no positive feedback)")
ax.axhline(1 / core_circuit(fi_biases, demo_cal).refractory_s, color="grey", lw=0.8,
           label="1 / refractory period (largest rate)")
ax.set(xlabel="DC input current (nA)", ylabel="firing rate (Hz)",
       title="F–I curve of one core (emulator; crosses: closed form)\n"
             + ", ".join(f"{name} {fi_biases[name]}" for name in ("IF_TAU1_N", "IF_THR_N", "IF_RFR_N")))
legend_outside(fig, [ax], ncols=2)
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
# The agent cores' pulse bias is the parameter `agent_pulse_bias` (by default the calibration's).
#
# The figure below: left, how many neuron-steps had 0, 1, 2, … spikes (bars side by side, the
# number above each; log scale, since almost all are 0); middle, each neuron's mean count per
# step, neurons ranked from the most active; right, the agent's counts step by step for the few
# neurons that spike at all (the other neurons of the 510 stay silent on these states). The
# activity is sparse: a handful of neurons, those whose mismatch draws favour them most (see the
# sensitivity below), carry the whole input to the readout.

# %%
states = random_states(N_STATES, seed=1)
counts = cached_call("01_preset_counts", quick, study.preset_counts, states, calibration=cal)
summary = pd.DataFrame({net: study.count_summary(c) for net, c in counts.items()})
summary.to_csv(OUT / "01_preset_counts.csv")
summary

# %%
NET_NAMES = {"agent": "agent", "model": "world model"}
NET_COLOURS = category_colours(NET_NAMES.values())  # the two networks are categories, not conditions
fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), gridspec_kw={"width_ratios": [1, 1, 1.25]})
top = max(int(c.max()) for c in counts.values())
width = 0.38
for k, (net, c) in enumerate(counts.items()):
    colour = NET_COLOURS[NET_NAMES[net]]
    n = np.bincount(c.ravel(), minlength=top + 1)
    x = np.arange(top + 1) + (k - 0.5) * width  # side by side: every bar of each network in view
    axes[0].bar(x, n, width, color=colour, label=NET_NAMES[net])
    for xi, ni in zip(x, n):
        axes[0].text(xi, ni * 1.2, f"{ni}", ha="center", va="bottom", fontsize=8, rotation=90)
    means = np.sort(c.mean(axis=0))[::-1]
    axes[1].plot(np.arange(1, means.size + 1), means, "o-", ms=3, color=colour, label=NET_NAMES[net])
shown = min(510, max(int((c.sum(axis=0) > 0).sum()) for c in counts.values()) + 10)
axes[0].set(xlabel="spikes per neuron in a 10 ms step", ylabel="neuron-steps (log scale)", yscale="log",
            xticks=np.arange(top + 1), ylim=(None, 30 * max(c.size for c in counts.values())),
            title="count distribution")
axes[1].set(xlabel=f"neuron, ranked by its mean (first {shown} of 510)", ylabel="mean spikes per step",
            xlim=(0.5, shown + 0.5), title="per-neuron mean")
for a in axes[:2]:
    a.legend()
active = np.flatnonzero(counts["agent"].sum(axis=0) > 0)  # only the agent neurons that ever spike
steps = counts["agent"][: min(40, N_STATES)]
levels = np.arange(top + 2) - 0.5
if active.size:
    img = axes[2].imshow(steps[:, active].T, aspect="auto", interpolation="nearest",
                         cmap=plt.get_cmap("viridis", top + 1), vmin=levels[0], vmax=levels[-1])
    fig.colorbar(img, ax=axes[2], label="spikes in the step", ticks=np.arange(top + 1))
    if active.size <= 30:  # few enough to name each neuron
        axes[2].set(yticks=np.arange(active.size), yticklabels=[str(i) for i in active])
else:
    axes[2].text(0.5, 0.5, "no agent neuron spikes", ha="center", va="center", transform=axes[2].transAxes)
axes[2].set(xlabel="Pong state (10 ms step)", ylabel="agent neuron (index of 510)",
            title=f"agent counts: the {active.size} of 510 neurons that spike")
fig.suptitle(f"Paper presets, default calibration, mismatch CV {100 * DEFAULT_MISMATCH_CV:g} %, {N_STATES} Pong states")
save(fig, "01_preset_counts", OUT)

# %% [markdown]
# ## Sensitivity to the uncertain calibration values
#
# The pulse width (PULSE_PWLK_P, never set by the paper's code: its power-on value is unknown), the
# LowBias scale of the membrane leak, the spike threshold, the dark current and the device mismatch
# (CV of the frozen per-neuron factors; default 20 %). Each point reruns both presets on the same
# states, with one value changed and all others at their default; the dashed vertical line in each
# panel marks the default value, the one every other panel and figure of this notebook uses. The
# pulse width is the exception: the calibration gives the agent and the world-model cores each their
# own pulse (two dashed lines, in the networks' colours), while this panel sets one width on every
# core. Top row: the mean spike count per neuron and step; bottom row: the spread of the initial
# policy's action preferences these counts give. Both y axes are logarithmic above a small linear
# range around 0 (which holds the runs with no spike at all). In the calibrated sparse regime the
# spikes come from the neurons whose mismatch draws favour them most: with less mismatch the same
# biases give fewer spikes (notebook 07 trains the agent at each CV).

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
pulse_us = {net: core_circuit(PAPER_AGENT_BIASES, cal, (3, c)).pulse_width_s * 1e6 for net, c in (("agent", 0), ("model", 2))}
# the value each quantity has in the other panels (the calibration used everywhere else in this notebook)
defaults = {"leak LowBias scale": cal.bias_scale["IF_TAU1_N"], "spike threshold (nA)": cal.spike_threshold_A * 1e9,
            "dark current I0 (pA)": cal.dark_current_A * 1e12, study.MISMATCH_CV_QUANTITY: 100 * DEFAULT_MISMATCH_CV}
log_x = {"pulse width (us), all cores", "leak LowBias scale", "spike threshold (nA)", "dark current I0 (pA)"}
fig, axes = plt.subplots(2, sens.quantity.nunique(), figsize=(18, 6.5), sharey="row")
for k, (quantity, sub) in enumerate(sens.groupby("quantity", sort=False)):
    for net, g in sub.groupby("network"):
        x = g.value.astype(float)  # the labels are the values themselves, in the panel's unit
        for row, col in enumerate(["spikes_per_neuron", "initial_logit_sd"]):
            axes[row, k].plot(x, g[col], "o-", color=NET_COLOURS[NET_NAMES[net]], label=NET_NAMES[net])
    # the default value: one dashed line, or one per network where the two networks' values differ
    marks = ({NET_NAMES[n]: v for n, v in pulse_us.items()} if quantity.startswith("pulse width")
             else {"": defaults[quantity]})
    for row in range(2):
        for who, v in marks.items():
            axes[row, k].axvline(v, ls="--", lw=1.2, zorder=0,
                                 color=NET_COLOURS[who] if who else "0.4",
                                 label=f"default ({who})" if who else "default")
    shown = quantity.replace("(us)", "(µs)")
    axes[0, k].set(title=shown, ylabel="spikes per neuron\nper 10 ms step" if k == 0 else "")
    axes[1, k].set(xlabel=shown, ylabel="SD of the initial policy's\naction preferences (logits)" if k == 0 else "")
    values = sorted(sub.value.astype(float).unique())
    for row in range(2):
        if quantity in log_x:
            axes[row, k].set_xscale("log")
        axes[row, k].set_xticks(values, [f"{v:g}" for v in values])
        axes[row, k].minorticks_off()
    axes[0, k].set_yscale("symlog", linthresh=1e-3)
    axes[1, k].set_yscale("symlog", linthresh=0.1)
legend_outside(fig, [axes[0, 0], axes[0, 1]], ncols=5)
fig.suptitle("How the presets' spike counts and initial policies depend on the uncertain calibration values "
             "(dashed: the default value, used in the other panels)")
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
# baseline (notebook 00) applies in both setups. Each small dot is one run of 8 games without
# learning (the seeds differ in the chip's mismatch draw and the games); each open circle is the mean
# of a pulse width's runs, and the large filled circle marks the calibration's pulse (the same code
# in both setups), the others being the candidates of notebook 00's search. The bottom axis gives
# the pulse width, the top axis the bias code that sets it: a larger fine code means a larger
# current and a shorter pulse. The dotted line in the right panel is the entropy of a uniform
# policy over the three actions, ln 3 ≈ 1.1 nats, the most an initial policy can have.

# %%
SCAN_GAMES = 2 if quick else 8
scan = cached_call("01_agent_pulse_scan", quick, study.agent_pulse_scan,
                   [(5, 40), (5, 45)] if quick else [(5, 35), (5, 40), (5, 45), (5, 50), (5, 55), (5, 60)],
                   seeds=(0,) if quick else (0, 1, 2), games=SCAN_GAMES)
scan.to_csv(OUT / "01_agent_pulse_scan.csv", index=False)
from matplotlib.lines import Line2D

n_seeds = scan.seed.nunique()
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
for cond, g in scan.groupby("condition"):
    m = g.groupby("pulse_us")[["agent_spikes_per_step", "policy_entropy"]].mean()
    for ax, col in zip(axes, m.columns):
        colour = CONDITION_COLOURS[cond]
        ax.plot(m.index, m[col], "o-", mfc="none", color=colour, label=f"{cond} setup")
        ax.plot(g.pulse_us, g[col], ".", color=colour, alpha=0.5)
        d = g[g.is_default].groupby("pulse_us")[col].mean()
        ax.plot(d.index, d.values, "o", color=colour, ms=9)
axes[0].set(xlabel="agent pulse width (µs)", ylabel="agent spikes per step\n(sum over its 510 neurons)",
            yscale="log", title="readout input of the untrained agent")
axes[1].axhline(np.log(3), ls=":", color="k", label="uniform policy (ln 3)")
axes[1].set(xlabel="agent pulse width (µs)", ylabel="policy entropy per step (nats)", title="initial policy entropy")
# the bias codes behind the widths, on a second axis at the top (a larger fine code, a shorter pulse)
code_at = scan.groupby("pulse_us").agent_pulse.first()
for ax in axes:
    top = ax.secondary_xaxis("top")
    top.set_xticks(code_at.index, [f"({c}, {f})" for c, f in code_at], fontsize=9)
    top.set_xlabel("PULSE_PWLK_P code (coarse, fine)", fontsize=10)
kinds = [Line2D([], [], color="0.35", marker="o", mfc="none", label=f"mean of {n_seeds} runs"),
         Line2D([], [], color="0.35", marker=".", ls="", alpha=0.5, label="single run"),
         Line2D([], [], color="0.35", marker="o", ms=9, ls="", label="the calibration's pulse")]
handles, labels = axes[1].get_legend_handles_labels()
fig.legend(handles + kinds, labels + [k.get_label() for k in kinds], loc="outside lower center", ncols=3)
fig.suptitle(f"The agent cores' pulse width in each setup (untrained agent, paper presets, mismatch CV "
             f"{100 * DEFAULT_MISMATCH_CV:g} %;\neach run {SCAN_GAMES} games without learning)")
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
# The committed run writes these tables and the sentences below them to
# [docs/speed.md](../docs/speed.md). Two bounds come with them, measured by the same commands. For speed: the cheapest event model
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
# rest of the host's work, stacked into one bar per setup (ms of wall time on one core). The dashed
# line is the engine issue's target, twice the environment's time; the text beside each bar gives
# the chip reads per game and the whole game's wall time over the environment's. A dreaming game reads the chip for the agent and for the world model at every real step and
# at every step of its dream, which has no environment steps at all: its chip share is larger, and
# so is the host's work around the reads (encoding, the world model's predictions).

# %%
split = pd.DataFrame(records["train"]["conditions"]).set_index("condition") if "train" in records else None
if split is not None and "chip_s_per_game" in split:
    parts = {"environment (ALE steps, game starts)": split.env_s_per_game, "chip reads (emulator)": split.chip_s_per_game,
             "other host work (encoding, readouts, world model)": split.other_host_s_per_game}
    colours = category_colours(parts)
    fig, ax = plt.subplots(figsize=(9, 2.8))
    left = np.zeros(len(split))
    for name, values in parts.items():
        ms = 1e3 * values.to_numpy()
        ax.barh([f"{c} setup" for c in split.index], ms, left=left, color=colours[name], label=name)
        left += ms
    for k, env_s in enumerate(split.env_s_per_game):
        ax.plot([2e3 * env_s] * 2, [k - 0.45, k + 0.45], "--", color="#c44e52", lw=2, label="target: 2 × environment" if k == 0 else None)
    for k, (cond, r) in enumerate(split.iterrows()):
        ax.text(max(left[k], 2e3 * r.env_s_per_game), k,
                f"  {r.reads_per_game:.0f} chip reads;\n  wall time {r.wall_over_env:.1f} × environment",
                va="center", fontsize=9)
    ax.set(xlabel="wall time per game (ms, one core)", xlim=(0, 1.35 * max(left.max(), 2e3 * split.env_s_per_game.max())),
           title="Where a training game's time goes (bench train, a later game before learning starts)")
    legend_outside(fig, [ax], ncols=2)
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
    # the tables live in docs/speed.md (the README links to it), between its speed markers
    analysis.replace_readme_block(WHERE.readme.parent / "docs" / "speed.md", "speed", md)
