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
# # 02 · The agent without dreaming
#
# The agent network (place-cell inputs → 510 fixed spiking neurons on the emulated chip → 3 trained
# readouts) plays 100-step games of Pong and learns by REINFORCE from game 51 on ([docs/protocol.md](../docs/protocol.md) §4–5). This
# notebook trains it (or loads the cached runs from `data/`) and shows its learning curve, how
# deterministic its policy becomes, what the chip's spikes look like, and one game before and after
# learning.

# %% tags=["parameters"]
quick = 0  # 1: tiny sizes, for CI
seeds = 10  # runs (one chip and one game seed each)
games = 2000  # games per run
jobs = 2  # runs in parallel on local cores

# %%
import matplotlib.pyplot as plt
import numpy as np

from neurodream import analysis
from neurodream.outputs import notebook_outputs
from neurodream.plotting import CONDITION_COLOURS, legend_outside, save, use_style
from neurodream.sweep import run_folder, run_study
from neurodream.training import STATE_NAMES, load_run, play_game, run_path, spike_raster

use_style()
OUT = notebook_outputs("02_baseline", globals()).figures
if quick:
    seeds, games = 2, 3
configs, table = run_study(["baseline"], seeds=seeds, games=games, quick=quick, jobs=jobs)
random_mean, random_sd = analysis.random_policy_return(20 if quick else 200)
print(f"{table.seed.nunique()} runs x {games} games; random policy: {random_mean:.2f} +- {random_sd:.2f} per game")

# %% [markdown]
# ## Learning curve
# Mean return of each block of 50 games, per run (thin) and over runs (thick). A uniformly random
# policy scores the dotted line (measured here, on the same environment); a policy stuck on one action
# loses every rally (−2 per 100-step game).

# %%
curves = analysis.learning_curves(table)
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
for _, run in curves.groupby("seed"):
    axes[0].plot(run.game, run.mean_return, color=CONDITION_COLOURS["baseline"], alpha=0.3, lw=0.8)
mean = curves.groupby("game").mean_return.mean()
axes[0].plot(mean.index, mean.values, color=CONDITION_COLOURS["baseline"], lw=2.5, label="mean over runs")
axes[0].axhline(random_mean, ls=":", color="k", label="random policy")
axes[0].axhline(-2.0, ls="--", color="grey", lw=0.8, label="one action only")
axes[0].set(xlabel="games played", ylabel="mean return per game\n(50-game blocks)",
            title="learning curve (thin: single runs)")
axes[0].legend(loc="upper left")
ent = table.assign(block=(table.game // 50 + 1) * 50).groupby(["seed", "block"]).policy_entropy.mean().unstack(0)
axes[1].plot(ent.index, ent.values, color=CONDITION_COLOURS["baseline"], alpha=0.5)
axes[1].axhline(np.log(3), ls=":", color="k", label="uniform (ln 3)")
axes[1].set(xlabel="games played", ylabel="policy entropy per step (nats)",
            title="how random the policy still is (per run)")
axes[1].legend(loc="lower left")
fig.suptitle(f"Baseline (no dreaming), the released loop ({configs[0].wait_ms:g} ms wait + {configs[0].host_ms:g} ms host "
             f"time per read), {table.seed.nunique()} runs x {games} games")
save(fig, "02_baseline_learning", OUT)

# %% [markdown]
# ## What the chip does during a game
# Agent spikes for the first 30 steps of a game, and how many spikes each read gives: the readout sees
# only these counts. Each read spans the host time, while the previous step's stimulus plays on
# (a train's second spike can fall there), then the wait after the new upload (pink dotted lines; grey
# solid lines: reads).

# %%
cfg0 = configs[0]
first = play_game(cfg0, steps=30)
raster = spike_raster(cfg0, first[list(STATE_NAMES)].to_numpy())
fig, axes = plt.subplots(2, 1, figsize=(12, 5), sharex=True, height_ratios=[3, 1])
read_ms = cfg0.wait_ms + cfg0.host_ms
axes[0].scatter(raster.time_s * 1e3, raster.neuron, s=4, color="k")
for k in range(len(first) + 1):
    axes[0].axvline(k * read_ms, color="0.6", lw=0.8, ls="-", zorder=0)
    axes[0].axvline(k * read_ms + cfg0.host_ms, color="#cc78bc", lw=1.1, ls=":", zorder=0)
axes[0].set(ylabel="agent neuron", ylim=(-5, 515),
            title=f"Agent spikes in the first 30 steps of a game (run seed {cfg0.seed}; "
                  "grey solid lines: reads, pink dotted lines: uploads)")
per_step = raster.groupby("step").size().reindex(range(len(first)), fill_value=0)
axes[1].bar(per_step.index * read_ms + read_ms / 2, per_step.values, width=0.8 * read_ms)
axes[1].set(xlabel="chip time (ms)", ylabel="spikes per read")
save(fig, "02_spike_raster", OUT)

# %% [markdown]
# ## One game before and after learning
# The same game seed played with the initial (random) readout and with the readout at the end of run 0.

# %%
final_J = load_run(run_path(cfg0, run_folder(cfg0, quick))).attrs.get("policy_J")
games_played = {"before learning": play_game(cfg0, None, steps=100)}
if final_J is not None:
    games_played[f"after {games} games"] = play_game(cfg0, final_J, steps=100)
fig, axes = plt.subplots(1, len(games_played), figsize=(6 * len(games_played), 3.8), squeeze=False)
for ax, (label, g) in zip(axes[0], games_played.items()):
    ax.plot(g.step, g.ball_y, color="#0173b2", lw=1.8, label="ball y")
    ax.plot(g.step, g.player_y, color="#de8f05", lw=1.8, label="agent paddle y")
    ax.plot(g.step, g.cpu_y, color="0.45", lw=1.4, ls="--", label="CPU paddle y")
    for s in g.step[g.reward != 0]:
        lost = g.reward[s] < 0
        ax.axvline(s, color="#c00000" if lost else "k", lw=1.5, ls=(0, (1.5, 1.5)) if lost else "-",
                   label="point lost" if lost else "point won")
    ax.set(xlabel="step", ylabel="RAM position (0-255;\nup is the top of the screen)",
           title=f"{label}: return {g.reward.sum():+.0f}")
    ax.invert_yaxis()
legend_outside(fig, ncols=5)
save(fig, "02_game_before_after", OUT)
