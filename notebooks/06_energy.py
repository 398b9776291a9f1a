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
# # 06 · Energy: what a game costs on the chip and on a CPU
#
# The paper argues for energy-efficient learning on analog chips and states sub-milliwatt operation.
# Here the emulator counts the hardware events of a game (FPGA input spikes, their broadcasts into
# cores, CAM matches = synaptic pulses, output spikes) with the trained readouts of run 0, and prices
# them with per-event energies (`neurodream.energy.ChipEnergies`). **Those energies are recalled
# values for the DYNAP-SE (Moradi et al. 2018) that could not be checked against the paper here:
# treat every joule below as an estimate with unverified constants**, and change them in the
# parameters cell. The host's readouts and the conventional alternative (a dense hidden layer of the
# same size computed on a CPU) are counted in multiply-adds and priced per multiply-add.

# %% tags=["parameters"]
quick = 0
games = 2000  # which runs' final readouts to use (seed 0 of each condition, 10 ms wait)
replays = 5  # games replayed with event counting
host_mac_J = 1e-9  # energy per multiply-add on the host CPU (placeholder, see neurodream.energy)

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from neurodream import energy
from neurodream.outputs import notebook_outputs
from neurodream.plotting import CONDITION_COLOURS, save, use_style
from neurodream.sweep import run_study
from neurodream.training import dream_beside_real, load_run, play_game, run_path
from neurodream.sweep import run_folder

use_style()
OUT = notebook_outputs("06_energy", globals()).figures
if quick:
    games, replays = 3, 1
configs, _ = run_study(["baseline", "dreaming"], seeds=1, games=games, quick=quick, jobs=1)
chip_e = energy.ChipEnergies()
pd.Series(chip_e.sources(), name="source").to_frame()

# %%
rows = []
for cfg in configs:
    saved = load_run(run_path(cfg, run_folder(cfg, quick))).attrs
    for k in range(replays):
        if cfg.condition == "baseline":  # one training game: 100 agent windows
            g = play_game(cfg, saved["policy_J"], steps=cfg.awake_steps, game_seed=k)
            steps = len(g)
        else:  # 100 real steps (agent + model windows), then a 50-step dream (agent + model)
            g = dream_beside_real(cfg, saved["policy_J"], saved["model_W"], steps=cfg.dream_steps,
                                  real_steps=cfg.awake_steps, game_seed=k)
            steps = (g.kind == "real").sum()
        ev = energy.EventCounts(**g.attrs["events"])
        parts = energy.chip_energy_J(ev, chip_e)
        host = energy.readout_macs_per_step(cfg.condition == "dreaming") * steps * host_mac_J
        dense = (energy.dense_hidden_macs_per_step() * (2 if cfg.condition == "dreaming" else 1)
                 * ev.time_s / ((cfg.wait_ms + cfg.host_ms) * 1e-3) * host_mac_J)  # one read per network step
        rows.append({"condition": cfg.condition, "replay": k, "chip_time_s": ev.time_s,
                     "input_events": ev.input_events, "cam_matches": ev.cam_matches, "spikes": ev.spikes,
                     **{f"chip_{p}_J": v for p, v in parts.items()},
                     "host_readout_J": host, "cpu_dense_hidden_J": dense})
per_game = pd.DataFrame(rows)
per_game["chip_power_W"] = per_game.chip_total_J / per_game.chip_time_s
summary = per_game.groupby("condition").mean(numeric_only=True).drop(columns="replay")
summary.T

# %% [markdown]
# ## Per game, and the chip's power
# Left: the energy of one game (mean over the replayed games), by where it is spent, for the baseline
# (blue) and the dreaming agent (orange; its game includes the world model's windows and one dream),
# on a logarithmic axis: each step up is ten times more. The four chip bars are the counted events
# times the assumed energy per event; "host CPU: readouts" prices the multiply-adds of the readouts
# and their learning; the last bar is what a conventional dense layer of the same size would cost on
# the CPU instead of the chip. Right: the chip's dynamic power, its energy over the chip time of the
# game (one read of the wait plus the loop's host time per network step), written on each bar; the
# dotted line is 1 mW, the scale of the paper's sub-milliwatt statement.
#
# What is assumed (the note under the figure repeats it): the energy per chip event is the value
# recalled for the DYNAP-SE (Moradi et al. 2018) in `neurodream.energy.ChipEnergies` (table above),
# which could not be checked against that paper here; the static power is unknown and left out (0);
# a multiply-add on the host costs `host_mac_J` (an order-of-magnitude guess, not a measurement).
# The event counts are exact; the joules scale with these assumptions, so read the bars as an
# estimate of where the energy goes and of its order of magnitude, not as a measurement.

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
kinds = {"chip_spikes_J": "chip:\noutput\nspikes", "chip_broadcasts_J": "chip:\nevent\nbroadcasts",
         "chip_pulses_J": "chip:\nsynaptic\npulses", "chip_routing_J": "chip:\nrouting",
         "host_readout_J": "host CPU:\nreadouts", "cpu_dense_hidden_J": "CPU instead\nof the chip:\ndense layer"}
x = np.arange(len(kinds))
for k, (cond, row) in enumerate(summary.iterrows()):
    axes[0].bar(x + (k - 0.5) * 0.38, row[list(kinds)], 0.38, color=CONDITION_COLOURS[cond], label=cond)
axes[0].set_xticks(x, list(kinds.values()), fontsize=9)
axes[0].set(yscale="log", ylabel="energy per game (J)", title="where a game's energy goes")
axes[0].legend()
bars = axes[1].bar(summary.index, summary.chip_power_W * 1e3, color=[CONDITION_COLOURS[c] for c in summary.index])
axes[1].bar_label(bars, [f"{w * 1e6:.0f} µW" for w in summary.chip_power_W], padding=3)
axes[1].axhline(1.0, ls=":", color="k", label="1 mW (the paper states sub-milliwatt operation)")
axes[1].set(ylabel="chip dynamic power (mW)", title="chip power while playing", ylim=(0, 1.15))
axes[1].legend(loc="center right")
assumed = (f"Assumed energies: chip (DYNAP-SE, values recalled for Moradi et al. 2018) {chip_e.spike_J * 1e9:g} nJ "
           f"per spike, {chip_e.broadcast_J * 1e9:g} nJ per broadcast, {chip_e.pulse_J * 1e9:g} nJ per synaptic pulse, "
           f"{chip_e.route_J * 1e9:g} nJ per routed event,\nstatic power {chip_e.static_W:g} W (unknown, left out); "
           f"host CPU {host_mac_J * 1e9:g} nJ per multiply-add (order of magnitude). Event counts are exact.")
fig.text(0.5, -0.01, assumed, ha="center", va="top", fontsize=9, color="0.25")
fig.suptitle(f"Energy per game estimated from counted events\n(fidelity 'paper', run 0's final readouts, "
             f"{replays} replayed game{'s' * (replays != 1)} per condition)")
save(fig, "06_energy", OUT)
summary.to_csv(OUT / "06_energy.csv")
