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
# # 03 · Dreaming: the world model and the agent that learns from it
#
# With dreaming, a second network on the same chip (the world model: the same place-cell input, 510
# neurons, 4 state-change and 1 reward readout) learns to predict the game at every real step. After
# each real game the agent plays a 50-step game imagined by the world model and learns from it too
# ([docs/protocol.md](../docs/protocol.md) §5). Fidelity `paper`: the world model's action inputs are unconnected, as in the
# released code, so it cannot know which action was taken.

# %% tags=["parameters"]
quick = 0  # 1: tiny sizes, for CI
seeds = 10
games = 2000
jobs = 2
skill_games = 300  # games recorded for the world model's skill (awake steps only, no dreams)

# %%
import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from neurodream import analysis
from neurodream.outputs import notebook_outputs
from neurodream.plotting import CONDITION_COLOURS, QUALITATIVE, legend_outside, save, use_style
from neurodream.sweep import data_dir, run_folder, run_study
from neurodream.training import STATE_NAMES, TrainConfig, calibration_record, dream_beside_real, load_run, run_path
from neurodream.world_model_study import cached_skill, skill_path

use_style()
OUT = notebook_outputs("03_dreaming", globals()).figures
if quick:
    seeds, games = 2, 3
configs, table = run_study(["dreaming"], seeds=seeds, games=games, quick=quick, jobs=jobs)
print(f"{table.seed.nunique()} runs × {games} games")

# %% [markdown]
# ## The world model learning
# Mean absolute error, per block of 50 real games and per run, of the world model's predicted state
# change (left: in the game's position units per step, averaged over the 4 variables; a jump of more
# than 30 units, as when a point ends and the ball is served again, counts as 0) and of its
# predicted reward trace (middle: in points; the trace is `r ← 0.5 r + reward`, reset each game).
# Right: spikes per real step, summed over the agent's 510 neurons (in the agent's read) and over
# the world model's 510 neurons (in its own read), mean over runs.

# %%
blocks = table.assign(block=(table.game // 50 + 1) * 50)
fig, axes = plt.subplots(1, 3, figsize=(15, 3.8))
for ax, col, label in ((axes[0], "model_state_error", "state-change error\n(game units per step)"),
                       (axes[1], "model_reward_error", "reward-trace error\n(points)")):
    err = blocks.groupby(["seed", "block"])[col].mean().unstack(0)
    ax.plot(err.index, err.values, color=CONDITION_COLOURS["dreaming"], alpha=0.5)
    ax.set(xlabel="real games played", ylabel=label, title=label.split("\n")[0] + " (per run)")
spk = blocks.groupby(["seed", "block"])[["agent_spikes_per_step", "model_spikes_per_step"]].mean().groupby("block").mean()
# black and green: blue and orange stand for the baseline and the dreaming condition in every figure
axes[2].plot(spk.index, spk.agent_spikes_per_step, color="k", label="agent (its 510 neurons)")
axes[2].plot(spk.index, spk.model_spikes_per_step, color=QUALITATIVE[0], ls="--", label="world model (its 510 neurons)")
axes[2].set(xlabel="real games played", ylabel="spikes per real step\n(sum over 510 neurons)",
            title="activity (mean over runs)")
axes[2].legend()
fig.suptitle(f"World model, fidelity 'paper', {table.seed.nunique()} runs × {games} games "
             "(errors: mean absolute error per 50-game block)")
save(fig, "03_world_model_learning", OUT)

# %% [markdown]
# ## How much the world model can know
# A dream teaches the agent only what the world model predicts. Each variant of the world model below
# learns for `skill_games` games (seed 0, awake steps only, the policy learning as in a run); its
# predictions on the later half of the steps, made before each update as in a dream, are scored by
# R² (the fraction of each target's variance explained; 0 = no better than the mean, < 0 worse).
# Beside them: the best linear readout of the same filtered counts, fitted on the earlier half (what
# any readout of these counts could reach), and a linear readout of the encoder's place cells with
# and without the one-hot action, with no chip in between. `corrected_action1000` is the corrected
# wiring with the action generator at activity 1000 instead of 150 (not in the paper): at 150 the
# action is one generator among the ~10 active ones and rarely changes whether a neuron spikes.
#
# In the figure, each panel is one wiring of the world model and each group of bars one target: the
# change per step of the ball's horizontal (x) and vertical (y) position and of each paddle's
# vertical position, and the reward trace. Colours: green, the world model's own readout as it
# learned (what a dream uses); pink, the best linear readout of the same counts; black and light
# blue, readouts of the place cells with and without the action (no chip). The axis stops at
# R² = −0.5 so that the scores that matter, between 0 and 1, stay readable: a score below it is cut
# off, hatched and written beside its bar (with the committed parameters one bar: the online
# readout's reward trace at action activity 1000, whose predictions are worse than predicting the
# mean; the table printed just before the figure lists every value).

# %%
variants = {"paper": {"fidelity": "paper"}, "corrected": {"fidelity": "corrected"},
            "corrected_action1000": {"fidelity": "corrected", "action_activity": 1000.0}}


def skill_folder(cfg):
    """data/ where it holds this skill table already (made with this config and calibration: a
    variant of the notebook reads it in place, nothing is recomputed), else the run's folder."""
    path = skill_path(cfg, data_dir(quick))
    if path.exists():
        payload = json.loads(path.read_text())
        if payload.get("config") == cfg.to_dict() and payload.get("calibration") == calibration_record(cfg):
            return data_dir(quick)
    return run_folder(cfg, quick)


skill = []
for name, fields in variants.items():
    cfg = TrainConfig(condition="dreaming", seed=0, games=3 if quick else skill_games, dream_steps=0, **fields)
    skill.append(cached_skill(cfg, skill_folder(cfg)).assign(world_model=name))
skill = pd.concat(skill, ignore_index=True)
skill.to_csv(OUT / "03_world_model_skill.csv", index=False)
wide = skill.pivot_table(index=["world_model", "predictor"], columns="target", values="r2", sort=False)
wide.round(2)

# %%
TARGET_NAMES = {"d_ball_x": "Δ ball x", "d_ball_y": "Δ ball y", "d_cpu_y": "Δ computer's paddle y",
                "d_player_y": "Δ agent paddle y", "reward_trace": "reward trace"}
MODEL_NAMES = {"paper": "'paper' (released wiring)", "corrected": "'corrected' (sees the action)",
               "corrected_action1000": "'corrected', action activity 1000"}
fig, axes = plt.subplots(1, len(variants), figsize=(17, 5), sharey=True)
# the axis shows the bulk of the scores (0 and 1 always in view, down to R² = -0.5); a score below
# that (a predictor far worse than the mean) is cut at the axis's bottom, hatched, and its value
# written beside it
FLOOR = -0.5
ylim = (FLOOR - 0.05, max(1.0, skill.r2.max()) + 0.05)
clipped = []
for ax, (name, g) in zip(axes, skill.groupby("world_model", sort=False)):
    pivot = g.pivot(index="target", columns="predictor", values="r2").loc[g.target.unique(), g.predictor.unique()]
    pivot.rename(index=TARGET_NAMES).plot.bar(ax=ax, legend=False, rot=30, color=QUALITATIVE[:pivot.shape[1]])
    ax.axhline(0, color="k", lw=0.8)
    ax.set(title=f"world model {MODEL_NAMES.get(name, name)}", xlabel="", ylabel="held-out R²", ylim=ylim)
    for bars, predictor in zip(ax.containers, pivot.columns):
        for bar, target in zip(bars, pivot.index):
            r2 = pivot.loc[target, predictor]
            if r2 < ylim[0]:
                bar.set_hatch("///")
                bar.set_edgecolor("white")
                ax.annotate(f"R² = {r2:.2f}\n(cut off)".replace("-", "−"),
                            xy=(bar.get_x() + bar.get_width() / 2, ylim[0]), xytext=(-6, 12),
                            textcoords="offset points", ha="right", va="bottom", fontsize=9,
                            arrowprops=dict(arrowstyle="->", color="k", lw=0.8))
                clipped.append(f"{name}, {predictor}, {target}: R² = {r2:.2f}")
legend_outside(fig, axes[:1], ncols=4)
fig.suptitle(f"What the world model predicts (R² on the later half of the steps; 1 = perfect, 0 = no better than "
             f"the mean): seed 0, {3 if quick else skill_games} games"
             + (f"\nhatched bars: below {FLOOR:g}, cut off at the axis (value written beside them)".replace("-", "−")
                if clipped else ""))
print("scores below the axis:", "; ".join(clipped) if clipped else "none")
save(fig, "03_world_model_skill", OUT)
online = skill[skill.predictor == "online readout"].set_index(["world_model", "target"]).r2
for name in variants:
    print(f"{name}: online R² of the player's paddle change {online[name, 'd_player_y']:.2f}, "
          f"of the reward trace {online[name, 'reward_trace']:.2f}")

# %% [markdown]
# ## Predicted and real state changes, and a dream beside a real game
# Run 0's final readouts: one real game with the world model predicting each step, and a 50-step dream
# from the same start state (the state then evolves only by the world model's predictions).
#
# The four scatter panels: each dot is one step of the real game, the real change of a variable
# (x axis) against the world model's prediction of it (y axis), in the game's position units per
# step; on the grey diagonal the prediction would be perfect. The right panel: the vertical
# positions of the ball (pink) and of the agent's paddle (green) in the real game (solid) and in the
# dream (dashed), drawn with the top of the screen at the top, as in notebook 02. A real game keeps
# every position between 0 and 255; a dream can leave that range (shaded), since nothing holds the
# predicted changes to the court. While the ball is off the screen between a point and the next
# serve, the real ball has no position and its line breaks.

# %%
cfg0 = configs[0]
saved = load_run(run_path(cfg0, run_folder(cfg0, quick))).attrs
both = dream_beside_real(cfg0, saved["policy_J"], saved["model_W"], steps=50)
real, dream = both[both.kind == "real"], both[both.kind == "dream"]
STATE_LABELS = {"ball_x": "ball, horizontal (x)", "ball_y": "ball, vertical (y)", "cpu_y": "computer's paddle (y)",
                "player_y": "agent's paddle (y)"}
BALL_COLOUR, PADDLE_COLOUR = QUALITATIVE[1], QUALITATIVE[0]  # as in notebook 02's game figure
fig, axes = plt.subplots(1, 5, figsize=(20, 4.2), width_ratios=(1, 1, 1, 1, 1.5))
for ax, name in zip(axes[:4], STATE_NAMES):
    ax.scatter(real[f"real_d{name}"], real[f"pred_d{name}"], s=10, color="0.2")
    lim = max(1.0, np.abs(real[[f"real_d{name}", f"pred_d{name}"]].to_numpy()).max())
    ax.plot([-lim, lim], [-lim, lim], color="grey", lw=0.8)
    ax.set(xlabel="real change per step (game units)",
           ylabel="predicted change per step\n(game units)" if name == STATE_NAMES[0] else "",
           title=STATE_LABELS[name])
pos = axes[4]
# the game keeps the ball's y at 0 while the ball is off the screen: no position there, the line breaks
pos.plot(real.step, real.ball_y.mask(real.ball_y == 0), color=BALL_COLOUR, label="ball, real")
pos.plot(dream.step, dream.ball_y, "--", color=BALL_COLOUR, label="ball, dreamt")
pos.plot(real.step, real.player_y, color=PADDLE_COLOUR, label="agent's paddle, real")
pos.plot(dream.step, dream.player_y, "--", color=PADDLE_COLOUR, label="agent's paddle, dreamt")
# a real game keeps every position within 0-255: shade what lies outside it (a dreamt position can leave it)
shown = pd.concat([real[["ball_y", "player_y"]], dream[["ball_y", "player_y"]]]).to_numpy()
low, high = min(-15.0, np.nanmin(shown) - 15), max(270.0, np.nanmax(shown) + 15)
pos.axhspan(low, 0, color="0.88", lw=0, zorder=0, label="never reached in a real game\n(outside 0–255)")
pos.axhspan(255, high, color="0.88", lw=0, zorder=0)
for edge in (0, 255):
    pos.axhline(edge, color="0.5", lw=0.8, zorder=1)
pos.set(xlabel="step", ylabel="vertical position\n(game units; top of the screen up)", ylim=(high, low),
        title="real game vs dream")  # inverted, as in notebook 02's game figure
pos.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5))
fig.suptitle("Run 0's final world model: one-step predictions during a real game (grey: perfect), and a dream "
             "from the same start")
save(fig, "03_dream_vs_real", OUT)

# %% [markdown]
# ## The dreaming agent's learning
# Mean return of each block of 50 real games (points won minus points lost per 100-step game), per
# run (thin) and over runs (thick); dreams are not counted on the x axis. The dotted line is a
# uniformly random policy's mean return, the same value as in notebooks 02, 04 and 09 (200 games).

# %%
curves = analysis.learning_curves(table)
random_mean, _ = analysis.random_policy_return(20 if quick else 200)
fig, ax = plt.subplots(figsize=(7, 4))
for _, run in curves.groupby("seed"):
    ax.plot(run.game, run.mean_return, color=CONDITION_COLOURS["dreaming"], alpha=0.3, lw=0.8)
mean = curves.groupby("game").mean_return.mean()
ax.plot(mean.index, mean.values, color=CONDITION_COLOURS["dreaming"], lw=2.5, label="mean over runs")
ax.axhline(random_mean, ls=":", color="k",
           label=f"uniformly random policy ({random_mean:.2f}, mean of {20 if quick else 200} games)".replace("-", "−"))
ax.set(xlabel="real games played", ylabel="mean return per game\n(50-game blocks)",
       title=f"Dreaming agent, fidelity 'paper', {table.seed.nunique()} runs (thin: single runs)")
legend_outside(fig, ncols=2)
save(fig, "03_dreaming_learning", OUT)
