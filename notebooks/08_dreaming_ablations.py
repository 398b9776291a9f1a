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
# # 08 · What dreaming is worth: ablations
#
# Beyond the paper, which ran one schedule: after every real game, one 50-step dream. Here the
# dreaming agent is rerun with
#
# * dreams of 0 (the world model learns but is never used), 25, 50 (the paper) and 100 steps
#   (parameter `dream_steps_values`),
# * 1 (the paper), 2 and 4 dreams after each game (parameter `dreams_per_game_values`),
# * the `corrected` world model, which receives the action (the released code left the action
#   generators unconnected, so its world model cannot know what the agent did), with the action
#   generator at the released activity (150, as strong as one place cell at its peak) and at 1000
#   (at 150 the action rarely changes whether a model neuron spikes: notebook 03, "How much the
#   world model can know"),
#
# with the baseline (no world model on the chip) as reference, and the real games each needs to reach
# a return level. The paper's own settings are those of the main study (cached).
#
# Why dreaming differs from the baseline at all is notebook 09's question: its paired arms (10 seeds
# each) separate the dreams' content from the dreaming setup's larger input, Adam's bookkeeping and
# chance, and supersede the 5-seed comparisons with "no dreams" here.
#
# **Trying other schedules.** The dream lengths and the numbers of dreams per game are the
# parameters `dream_steps_values` (steps per dream; 0 = no dreams, 50 = the paper's) and
# `dreams_per_game_values` (dreams after each real game; 1 = the paper's). Each list is one figure's
# settings, the other kept at the paper's value. From the repository's root, for instance:
#
# ```
# make figures NOTEBOOKS=notebooks/08_dreaming_ablations.py PARAMS='-y "dream_steps_values: [10, 50]"'
# make figures NOTEBOOKS=notebooks/08_dreaming_ablations.py PARAMS='-y "dreams_per_game_values: [1, 3]"'
# ```
#
# The outputs then go to `figures/variants/<name>/`, never over the committed ones. A value already
# run (0, 25, 50, 100 steps; 1, 2, 4 dreams) comes from the cache in seconds; any other value trains
# `seeds` new runs of `games` real games each, and each run takes minutes (longer dreams and more
# dreams per game take longer: the wall-time column below shows what the committed runs took on
# this machine). Before training, the notebook prints how many runs are missing and its estimate of
# the time, and above 15 minutes it stops unless `ALLOW_TRAINING=1` is added to the `make` line.
# A value that is not allowed (a negative length, 0 dreams per game) is refused before any work.

# %% tags=["parameters"]
quick = 0  # 1: tiny sizes, for CI
seeds = 5
games = 2000
jobs = 2
dream_steps_values = [0, 25, 50, 100]  # steps per dream, one setting each (0: no dreams; 50: the paper's)
dreams_per_game_values = [1, 2, 4]  # dreams after each real game, one setting each (1: the paper's)

# %%
import pandas as pd

from neurodream import analysis
from neurodream.outputs import notebook_outputs
from neurodream.plotting import (CONDITION_COLOURS, NO_DREAMS_COLOUR, category_colours, legend_outside, save,
                                 setting_curves, use_style)
from neurodream.sweep import run_settings

use_style()
WHERE = notebook_outputs("08_dreaming_ablations", globals())
OUT = WHERE.figures
if quick:
    seeds, games = 1, 3
PAPER = "50 steps, 1 dream (paper)"
PAPER_STEPS, PAPER_DREAMS = 50, 1


def length_label(steps):
    return "no dreams" if steps == 0 else PAPER if steps == PAPER_STEPS else f"{steps} steps"


def count_label(n):
    return PAPER if n == PAPER_DREAMS else f"{n} dreams per game"


# label -> the fields that differ from the paper's schedule (the paper's own: none, so its runs are
# the main study's)
length = {length_label(n): {} if n == PAPER_STEPS else {"dream_steps": n} for n in dream_steps_values}
count = {count_label(n): {} if n == PAPER_DREAMS else {"dreams_per_game": n} for n in dreams_per_game_values}
model = {PAPER: {}, "corrected world model": {"fidelity": "corrected"},
         "corrected, action activity 1000": {"fidelity": "corrected", "action_activity": 1000.0}}
dreaming = run_settings({**length, **count, **model}, conditions=["dreaming"], seeds=seeds, games=games,
                        quick=quick, jobs=jobs)
baseline = run_settings({"baseline": {}}, conditions=["baseline"], seeds=seeds, games=games, quick=quick, jobs=jobs)
table = pd.concat([baseline, dreaming], ignore_index=True)
table.groupby(["setting", "condition"]).seed.nunique()

# %% [markdown]
# ## Learning curves
# One figure per thing changed (dream length, dreams per game, the world model's wiring). Each line
# is the mean over a setting's runs of its learning curve: the mean return of each block of 50 real
# games (points won minus points lost in a 100-step game), smoothed over blocks as the paper's
# figures are (Savitzky–Golay, 9 blocks, cubic). The baseline (blue, no world model on the chip) and
# the paper's schedule (orange) are in every figure; the dotted line is a uniformly random policy's
# mean return (200 games, the same value as in notebooks 02–04, 07 and 09). Only the real games
# count on the x axis: a dreaming run also plays its dreams, which are not counted.

# %%
bands = analysis.curve_bands(analysis.learning_curves(table))
# one colour per setting in all three figures: the baseline blue, the paper's schedule orange, no dreams grey
colours = category_colours(["baseline", *dict.fromkeys([*length, *count, *model])],
                           fixed={"baseline": CONDITION_COLOURS["baseline"], PAPER: CONDITION_COLOURS["dreaming"],
                                  "no dreams": NO_DREAMS_COLOUR})
random_games = 20 if quick else 200  # as notebooks 02-04, 07 and 09: the same games, the same value
random_mean, _ = analysis.random_policy_return(random_games)
random_label = f"uniformly random policy ({random_mean:.2f}, mean of {random_games} games)".replace("-", "−")
titles = {"length": "dream length", "count": "dreams per game", "world_model": "the world model's wiring"}
for name, group in (("length", length), ("count", count), ("world_model", model)):
    fig = setting_curves(bands, ["baseline", *group], f"Dreaming, one thing changed: {titles[name]}\n"
                         f"(paper fidelity unless named, released loop, {games} real games per run)", by_condition=False,
                         colours=colours, random_mean=random_mean, random_label=random_label)
    save(fig, f"08_dream_{name}", OUT)

# %% [markdown]
# ## Real games needed to reach each return level (per run, Kaplan–Meier median), final performance, wall time per run
#
# The wall time is what each run logged, so it says how busy the machine was as much as what a run
# costs: the runs of "4 dreams per game" and "corrected, action activity 1000" were recomputed on
# 7 Dec 2026 at the lowest priority, behind other work on the same 2 cores, and took several times
# their cost on an idle machine (notebook 05's cost figure and `make bench` measure it idle).

# %%
order = ["baseline", *dict.fromkeys([*length, *count, *model])]
summary = analysis.setting_summary(table).drop(columns=["mw_p_two_sided", "mw_p_one_sided"])
# the wall time each run logged (runs shared this machine's 2 cores, with the kernels of their day)
wall = (table.groupby(["setting", "condition", "seed"], observed=True).wall_s.sum() / 60).groupby(["setting", "condition"])
summary = summary.join(wall.agg(wall_minutes_mean="mean", wall_minutes_min="min", wall_minutes_max="max"),
                       on=["setting", "condition"])
summary["setting"] = summary.setting.astype("category").cat.set_categories(order)
summary = summary.sort_values("setting").reset_index(drop=True)
if not quick:
    summary.to_csv(OUT / "08_dreaming_ablations.csv", index=False)
summary.round(3)

# %% [markdown]
# The same, as the README shows it (a run with the committed parameters writes it between the
# README's `ablations` markers).

# %%
shown = pd.DataFrame({
    "setting": summary.setting.astype(str),
    "runs": summary.runs,
    "final return (last 50 games, mean ± SD, ddof 1)": [f"{m:+.2f} ± {sd:.2f}"
                                                        for m, sd in zip(summary.final_mean, summary.final_sd)],
    "real games to reach −1.0 (Kaplan–Meier median, 95 % interval)": summary["games_to_-1"],
    "wall time per run (min–max)": [f"{lo:.0f}–{hi:.0f} min" for lo, hi in
                                    zip(summary.wall_minutes_min, summary.wall_minutes_max)],
})
if WHERE.readme:  # the committed parameters only
    analysis.replace_readme_block(WHERE.readme, "ablations", analysis.markdown_table(shown))
shown

# %% [markdown]
# Final return of each run, seed by seed (the same seeds in every setting: the same chip and the
# same first games).

# %%
by_seed = (analysis.final_performance(table)
           .pivot_table(index="setting", columns="seed", values="final_return", observed=True).reindex(order))
if not quick:
    by_seed.to_csv(OUT / "08_final_by_seed.csv")
by_seed.round(2)

# %% [markdown]
# Seed by seed against the baseline, the same setup without dreams, and the paper's schedule:
# mean difference of final returns, in how many seeds the setting ended higher, two-sided Wilcoxon
# p (with 3 seeds it cannot go below 0.25, with 5 below 0.0625: these count seeds, they do not
# establish differences).

# %%
per_seed = by_seed.T  # rows: seeds
pairs, seen = [], set()
for ref in [r for r in ("baseline", "no dreams", PAPER) if r in order]:
    for a in order:
        if a not in (ref, "baseline") and frozenset((a, ref)) not in seen:  # each pair once
            seen.add(frozenset((a, ref)))
            pairs.append((a, ref))
paired = pd.DataFrame([analysis.paired_difference(per_seed, a, ref) for a, ref in pairs] if len(per_seed) >= 2 else [])
if not quick:
    paired.to_csv(OUT / "08_paired.csv", index=False)
paired.round(3)

# %% [markdown]
# ## Where long dreams go
# Each run's final agent and world model (the weights saved with the run) dream once from the start
# of a game, without learning. In paper fidelity that one dream is the only one a run can have at
# given weights: every game starts from the same state, and the world model does not see the
# action, so the imagined states do not depend on what the agent does. A dream moves the state by
# the predicted changes, which nothing pulls back to the court: once a variable drifts beyond the
# place cells' reach (none of its 10 cells fires), the chip no longer sees it. Shown per run and
# dream step: how many of the 4 variables are out of reach, and the predicted reward summed so far
# (what the dreaming agent learns from). Compared: the paper's schedule and every dream length
# above 50 steps in `dream_steps_values` (by default 100 steps), each of their runs dreaming as long
# as the longest (by default 100 steps; the dotted line marks where a paper dream ends, at 50).
#
# How to read it: the left panel counts, at each dream step, the variables (ball x and y, the two
# paddles) whose dreamt value lies beyond every place cell, so that the chip receives nothing about
# them; the runs' lines are shifted up by a few hundredths each so that equal counts do not hide one
# another. The right panel sums the world model's predicted reward (its reward readout, trained on
# a trace of the real points, `r ← 0.5 r + reward` per step) from the dream's start: what the agent
# is told it earns while its dream drifts (0: nothing, grey line).

# %%
import numpy as np

from neurodream.encoding import CELLS_PER_VARIABLE, N_VARIABLES, place_cell_activity, spikes_per_train
from neurodream.sweep import grid, run_folder
from neurodream.training import STATE_NAMES, dream_beside_real, load_run, run_path

long_dreams = [n for n in dream_steps_values if n > PAPER_STEPS]
drift_steps = 6 if quick else max([2 * PAPER_STEPS, *long_dreams])
drift_fields = {PAPER: {}, **{length_label(n): length[length_label(n)] for n in long_dreams}}
dreams = []
for label, fields in drift_fields.items():
    for seed in range(seeds):
        cfg = grid(conditions=["dreaming"], seeds=[seed], games=games, **fields)[0]
        saved = load_run(run_path(cfg, run_folder(cfg, quick))).attrs
        d = dream_beside_real(cfg, saved["policy_J"], saved["model_W"], steps=drift_steps, real_steps=1)
        dreams.append(d[d.kind == "dream"].assign(setting=label, seed=seed))
dreams = pd.concat(dreams, ignore_index=True)
spikes = np.stack([spikes_per_train(place_cell_activity(s)) for s in dreams[list(STATE_NAMES)].to_numpy()])
dreams["out_of_reach"] = (spikes.reshape(-1, N_VARIABLES, CELLS_PER_VARIABLE).sum(axis=2) == 0).sum(axis=1)
dreams["reward_so_far"] = dreams.groupby(["setting", "seed"], sort=False).reward.cumsum()

# %%
import matplotlib.pyplot as plt

fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), sharex=True)
for (label, seed), d in dreams.groupby(["setting", "seed"], sort=False):
    kw = dict(color=colours[label], alpha=0.8, label=f"runs trained with: {label}" if seed == 0 else None)
    axes[0].step(d.step, d.out_of_reach + 0.04 * seed, where="post", **kw)
    axes[1].plot(d.step, d.reward_so_far, **kw)
for ax in axes:
    ax.axvline(PAPER_STEPS, color="0.4", lw=1, ls=":", zorder=0,
               label=f"end of a paper dream ({PAPER_STEPS} steps)" if ax is axes[0] else None)
axes[0].set(xlabel="dream step", ylabel="state variables out of\nthe place cells' reach (of 4)", yticks=range(5),
            title="what the chip no longer sees")
axes[1].set(xlabel="dream step", ylabel="predicted reward summed so far\n(world model's reward readout)",
            title="what the agent is told it earns")
axes[1].axhline(0, color="0.6", lw=0.8)
legend_outside(fig, ncols=len(drift_fields) + 1)
fig.suptitle(f"One dream per run from a game's start, at the run's final weights, without learning\n"
             f"({seeds} runs per setting; paper fidelity, released loop; left: runs shifted up by 0.04 each)")
save(fig, "08_dream_drift", OUT)
per_run = dreams.groupby(["setting", "seed"], sort=False).apply(lambda d: pd.Series({
    "first_step_out_of_reach": d.step[d.out_of_reach > 0].min(),
    f"predicted_reward_{PAPER_STEPS}_steps": d.reward[d.step < PAPER_STEPS].sum(),
    f"predicted_reward_{drift_steps}_steps": d.reward.sum(),
}), include_groups=False).reset_index()
if not quick:
    per_run.to_csv(OUT / "08_dream_drift.csv", index=False)
per_run.round(3)
