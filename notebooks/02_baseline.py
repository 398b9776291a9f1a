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
from neurodream.plotting import CONDITION_COLOURS, QUALITATIVE, legend_outside, save, use_style
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
# Left: mean return (points won minus points lost) of each block of 50 games, per run (thin) and
# over runs (thick). A uniformly random policy scores the dotted line (measured here, on the same
# environment, over 200 games: the value notebooks 03, 04, 07, 08 and 09 draw too); a policy stuck
# on one action loses every rally (−2 per 100-step game, dashed). Right: how random each run's policy
# still is, as the entropy of its action probabilities averaged over the steps of each 50-game block
# (ln 3 ≈ 1.10 nats: all three actions equally likely; 0: always the same action).

# %%
curves = analysis.learning_curves(table)
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
for _, run in curves.groupby("seed"):
    axes[0].plot(run.game, run.mean_return, color=CONDITION_COLOURS["baseline"], alpha=0.3, lw=0.8)
mean = curves.groupby("game").mean_return.mean()
axes[0].plot(mean.index, mean.values, color=CONDITION_COLOURS["baseline"], lw=2.5, label="mean over runs")
axes[0].axhline(random_mean, ls=":", color="k",
                label=f"uniformly random policy ({random_mean:.2f}, mean of {20 if quick else 200} games)".replace("-", "−"))
axes[0].axhline(-2.0, ls="--", color="grey", lw=0.8, label="always the same action (−2)")
axes[0].set(xlabel="games played", ylabel="mean return per game\n(50-game blocks)",
            title="learning curve (thin: single runs)")
ent = table.assign(block=(table.game // 50 + 1) * 50).groupby(["seed", "block"]).policy_entropy.mean().unstack(0)
axes[1].plot(ent.index, ent.values, color=CONDITION_COLOURS["baseline"], alpha=0.5)
axes[1].axhline(np.log(3), ls="-.", color="k", lw=1, label="entropy of the uniform policy (ln 3, right)")
axes[1].set(xlabel="games played", ylabel="policy entropy per step (nats)", ylim=(0, 1.2),
            title="how random the policy still is (per run)")
legend_outside(fig, ncols=4)
fig.suptitle(f"Baseline (no dreaming), the released loop ({configs[0].wait_ms:g} ms wait + {configs[0].host_ms:g} ms host "
             f"time per read), {table.seed.nunique()} runs × {games} games")
save(fig, "02_baseline_learning", OUT)

# %% [markdown]
# ## What the chip does during a game
# The agent's spikes during the first 30 steps of a game (run 0's chip, untrained readout), against
# the chip's time from the game's start. Top: one row per agent neuron that fired at least once in
# this window (only a few of the 510 do: the calibrated chip is sparse), ordered by its first spike
# and labelled with its index (0–509); each tick is one spike. Bottom: how many spikes each read
# collected from all 510 neurons, the only thing the readout sees.
#
# Each network step is one read of `wait + host time` ms. A read starts with the host's time (shaded
# pink: the host computes the action and uploads the next stimulus while the previous step's stimulus
# still plays on the chip, so a train's second spike can fall here), then the wait after the new
# upload (white); grey lines separate the reads.

# %%
cfg0 = configs[0]
first = play_game(cfg0, steps=30)
raster = spike_raster(cfg0, first[list(STATE_NAMES)].to_numpy())
read_ms = cfg0.wait_ms + cfg0.host_ms
# the neurons that fired, one row each, in the order of their first spike
active = raster.groupby("neuron").time_s.min().sort_values().index.to_numpy()
row = {n: k for k, n in enumerate(active)}
fig, axes = plt.subplots(2, 1, figsize=(12, 3.2 + 0.28 * len(active)), sharex=True,
                         height_ratios=[max(2.0, 0.28 * len(active)), 1.6])
for ax in axes:
    for k in range(len(first)):
        ax.axvspan(k * read_ms, k * read_ms + cfg0.host_ms, color="#cc78bc", alpha=0.18, lw=0, zorder=0,
                   label=f"host time ({cfg0.host_ms:g} ms; previous stimulus still playing)" if k == 0 else None)
    for k in range(len(first) + 1):
        ax.axvline(k * read_ms, color="0.75", lw=0.6, zorder=0,
                   label=f"start of a read ({read_ms:g} ms each)" if k == 0 else None)
axes[0].scatter(raster.time_s * 1e3, raster.neuron.map(row), marker="|", s=90, lw=1.6, color="k",
                label="one spike", zorder=2)
axes[0].set_yticks(range(len(active)), [str(n) for n in active])
axes[0].set(ylabel=f"agent neuron (index)\nthe {len(active)} of 510 that fired", ylim=(len(active) - 0.5, -0.5),
            title=f"Agent spikes in the first {len(first)} steps of a game (run seed {cfg0.seed}, untrained readout)")
per_step = raster.groupby("step").size().reindex(range(len(first)), fill_value=0)
axes[1].bar(per_step.index * read_ms + read_ms / 2, per_step.values, width=0.8 * read_ms,
            color=CONDITION_COLOURS["baseline"], zorder=2)
axes[1].set(xlabel="chip time from the game's start (ms)", ylabel="spikes per read\n(all 510 neurons)",
            xlim=(0, len(first) * read_ms))
legend_outside(fig, [axes[0]], ncols=3)
save(fig, "02_spike_raster", OUT)

# %% [markdown]
# ## One game before and after learning
# The same game (same seed, so the same serves) played with the initial, untrained readout and with
# run 0's readout after all its games. Each panel follows the vertical positions of the ball (pink),
# of the agent's paddle (green, the right-hand paddle) and of the computer's paddle (grey, dashed,
# left), step by step. Positions are in the game's own units (the Atari keeps each as a number from
# 0 to 255, growing downwards), drawn with the top of the screen at the top. Between a point and the next
# serve the ball is off the screen and has no position: its line breaks there (shaded). Vertical lines
# mark the points: red dotted, a point the agent lost; black, a point it won. The return is points
# won minus points lost.

# %%
final_J = load_run(run_path(cfg0, run_folder(cfg0, quick))).attrs.get("policy_J")
games_played = {"before learning": play_game(cfg0, None, steps=100)}
if final_J is not None:
    games_played[f"after {games} games"] = play_game(cfg0, final_J, steps=100)
BALL_COLOUR, PADDLE_COLOUR = QUALITATIVE[1], QUALITATIVE[0]
fig, axes = plt.subplots(1, len(games_played), figsize=(6 * len(games_played), 3.8), squeeze=False, sharey=True)
for ax, (label, g) in zip(axes[0], games_played.items()):
    off = g.ball_y == 0  # the game keeps 0 while the ball is off the screen (after a point, before the serve)
    ax.fill_between(g.step, 0, 1, where=off.to_numpy(), step="mid", transform=ax.get_xaxis_transform(),
                    color="0.9", lw=0, zorder=0, label="ball off the screen (between points)")
    # object colours, as in notebook 03 (blue and orange stand for the baseline and dreaming conditions)
    ax.plot(g.step, g.ball_y.mask(off), color=BALL_COLOUR, lw=1.8, label="ball")
    ax.plot(g.step, g.player_y, color=PADDLE_COLOUR, lw=1.8, label="agent's paddle (right)")
    ax.plot(g.step, g.cpu_y, color="0.45", lw=1.4, ls="--", label="computer's paddle (left)")
    for s in g.step[g.reward != 0]:
        lost = g.reward[s] < 0
        ax.axvline(s, color="#c00000" if lost else "k", lw=1.5, ls=(0, (1.5, 1.5)) if lost else "-",
                   label="point lost by the agent" if lost else "point won by the agent")
    won, lost = int((g.reward > 0).sum()), int((g.reward < 0).sum())
    ax.set(xlabel="game step", title=f"{label}: {won} point{'s' * (won != 1)} won, {lost} lost "
                                     f"(return {g.reward.sum():+.0f})".replace("-", "−"))
axes[0, 0].set_ylabel("vertical position on the screen\n(game units; top of the screen up)")
axes[0, 0].invert_yaxis()  # shared: the top of the screen (small values) up in every panel
legend_outside(fig, ncols=3)
save(fig, "02_game_before_after", OUT)
