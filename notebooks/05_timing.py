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
# # 05 · Wait time per network step: 10, 20 and 50 ms
#
# On the chip each network step uploads a stimulus and waits a fixed time while the neurons respond,
# then the host reads the chip, steps the game and uploads the next stimulus (about 8 ms, during
# which the last upload keeps playing: [docs/protocol.md](../docs/protocol.md) §5–6). The paper
# compared waits of 10, 20 and 50 ms and chose 10 ms to keep training short. A longer wait delivers
# more of each place cell's spike train within the new stimulus, so the reads differ in what they hold.
# Here both conditions run at each wait, 5 seeds × 2000 games, the calibrated emulation of the
# released loop (the calibration was made at 10 ms: notebook 00). "Chip time" is what the chip needs
# per run, one read of wait + host time per network step (agent and world model, awake and
# dreaming); "emulator time" is the wall time each run logged, environment and learning included.

# %% tags=["parameters"]
quick = 0
seeds = 5
games = 2000
jobs = 2
waits_ms = [10.0, 20.0, 50.0]

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from neurodream import analysis
from neurodream.outputs import notebook_outputs
from matplotlib.lines import Line2D

from neurodream.plotting import CONDITION_COLOURS, RETURN_LABEL, save, swarm_offsets, use_style
from neurodream.sweep import run_study
from neurodream.training import HOST_MS

use_style()
WHERE = notebook_outputs("05_timing", globals())
OUT = WHERE.figures
if quick:
    seeds, games = 2, 3
_, table = run_study(["baseline", "dreaming"], seeds=seeds, games=games, quick=quick, jobs=jobs, wait_ms=waits_ms)
# the return of a uniformly random policy, computed as notebooks 04 and 09 do (200 games of 100 steps)
random_mean, _ = analysis.random_policy_return(20 if quick else 200)

# %% [markdown]
# ## Learning at each wait
# Panels (a)–(c), one per wait: each thin line is one run (its 50-game block means, smoothed as in the
# paper), the thick line the mean over the runs of its condition; the dotted line is the return of a
# uniformly random policy (the same value as in notebooks 04 and 09). Panel (d): the final return of
# each run (mean of its last 50 games) as a dot, runs with the same value side by side, and the mean
# ± SD (ddof 1) over the runs as a black diamond with its bar.

# %%
final = analysis.final_performance(table)
final[["condition", "wait_ms", "seed", "final_return", "final_entropy"]].to_csv(OUT / "05_timing.csv", index=False)
curves = analysis.learning_curves(table)
bands = analysis.curve_bands(curves)
waits = sorted(table.wait_ms.unique())
fig, axes = plt.subplots(1, len(waits) + 1, figsize=(4.2 * len(waits) + 5, 4.8),
                         width_ratios=[1] * len(waits) + [1.3])
for j, (ax, wait) in enumerate(zip(axes, waits)):
    for cond in ("baseline", "dreaming"):
        c = CONDITION_COLOURS[cond]
        for _, run in curves[(curves.condition == cond) & (curves.wait_ms == wait)].groupby("seed"):
            ax.plot(run.game, run.smoothed, color=c, lw=0.7, alpha=0.45)
        b = bands[(bands.condition == cond) & (bands.wait_ms == wait)]
        ax.plot(b.game, b["mean"], color=c, lw=2.4)
    ax.axhline(random_mean, ls=":", color="k", lw=1.2)
    ax.set(xlabel="real games played", title=f"({'abc'[j]}) {wait:g} ms wait")
    if j:
        ax.sharey(axes[0])
        ax.tick_params(labelleft=False)
axes[0].set_ylabel(RETURN_LABEL)
ax_f = axes[-1]
for k, cond in enumerate(("baseline", "dreaming")):
    for j, wait in enumerate(waits):
        y = final[(final.condition == cond) & (final.wait_ms == wait)].final_return.to_numpy()
        x = j + (k - 0.5) * 0.36
        ax_f.scatter(x - 0.06 + swarm_offsets(y, step=0.05, widest=0.1), y, color=CONDITION_COLOURS[cond], s=22,
                     edgecolor="white", lw=0.5, zorder=2)
        ax_f.errorbar(x + 0.09, y.mean(), yerr=y.std(ddof=1) if y.size > 1 else 0, fmt="D", color="k", ms=5,
                      capsize=3, zorder=3)
ax_f.axhline(random_mean, ls=":", color="k", lw=1.2)
ax_f.set_xticks(range(len(waits)), [f"{w:g} ms" for w in waits])
ax_f.set(xlabel="wait per network step", ylabel=f"final return per run\n(mean of its last {analysis.FINAL_GAMES} games)",
         title="(d) final return")
n_runs = final.groupby(["condition", "wait_ms"]).size()
runs_text = f"{n_runs.min()}" if n_runs.min() == n_runs.max() else f"{n_runs.min()}–{n_runs.max()}"
handles = [Line2D([], [], color=CONDITION_COLOURS["baseline"], lw=2.4),
           Line2D([], [], color=CONDITION_COLOURS["dreaming"], lw=2.4),
           Line2D([], [], color="0.45", lw=0.7),
           Line2D([], [], color="0.45", marker="o", ls="none", ms=5),
           Line2D([], [], color="k", marker="D", ms=5, lw=1),
           Line2D([], [], color="k", ls=":", lw=1.2)]
labels = [f"baseline: mean over {runs_text} runs (a–c)", f"dreaming: mean over {runs_text} runs (a–c)",
          "one run (thin line, a–c)", "one run's final return (dot, d; colour: condition)",
          "mean ± SD over runs (d)", f"random policy ({random_mean:+.2f})"]
fig.legend(handles, labels, loc="outside lower center", ncols=3)
fig.suptitle(f"Wait per network step: learning of both conditions, {games} games per run")
save(fig, "05_timing", OUT)
summary = final.groupby(["condition", "wait_ms"]).final_return.agg(["mean", "std", "count"]).reset_index()
mw = {w: analysis.mann_whitney(final[final.wait_ms == w]) for w in waits
      if set(final[final.wait_ms == w].condition) == {"baseline", "dreaming"}}
for side in ("two_sided", "one_sided"):
    summary[f"p_{side}"] = [mw[w][f"p_{side}"] if c == "dreaming" and w in mw else float("nan")
                            for c, w in zip(summary.condition, summary.wait_ms)]
summary

# %% [markdown]
# ## What a run costs: the chip's time and the emulator's
# (a) The chip's time per run: the number of reads times (wait + host time), in hours. (b) The
# emulator's time per run: the wall time the run logged, in minutes. Each dot is one run, the black
# diamond the mean over the runs; each panel has its own linear axis (the chip needs hours, the
# emulator minutes). Every game has the same number of steps, so in (a) all runs of a condition and
# wait need the same chip time: one dot stands for them, with its value. The run files do not
# record the machine that made them (they have no host, CPU or BLAS field), so the wall times in (b)
# are those of an unnamed machine under its load at the time; the notebooks make runs two at a time
# by default (`jobs = 2`), two runs sharing the machine. The benchmark records of `make bench`
# (`figures/bench/*.json`) do name their machine.

# %%
windows = table.real_steps * (1 + (table.condition == "dreaming")) + 2 * table.dream_steps
table["chip_s"] = windows * (table.wait_ms + HOST_MS) * 1e-3
per_run = table.groupby(["condition", "wait_ms", "seed"]).agg(chip_s=("chip_s", "sum"), emulator_s=("wall_s", "sum"))
cost = per_run.groupby(["condition", "wait_ms"]).mean().reset_index()
cost["chip_h_per_run"] = cost.chip_s / 3600
cost["emulator_min_per_run"] = cost.emulator_s / 60
cost["chip_time_over_emulator_time"] = cost.chip_s / cost.emulator_s
cost.drop(columns=["chip_s", "emulator_s"]).to_csv(OUT / "05_timing_cost.csv", index=False)
per_run = per_run.reset_index()
# every game has the same number of steps, so the chip's time can be the same for every run of a group
chip_same = bool((per_run.groupby(["condition", "wait_ms"]).chip_s.nunique() == 1).all())
fig, (ax_c, ax_e) = plt.subplots(1, 2, figsize=(11, 4.4))
for ax, column, scale in ((ax_c, "chip_s", 3600), (ax_e, "emulator_s", 60)):
    for k, cond in enumerate(("baseline", "dreaming")):
        for j, wait in enumerate(waits):
            y = per_run[(per_run.condition == cond) & (per_run.wait_ms == wait)][column].to_numpy() / scale
            x = j + (k - 0.5) * 0.36
            if column == "chip_s" and chip_same:  # one dot stands for all the runs, with its value
                ax.scatter(x, y[0], color=CONDITION_COLOURS[cond], s=30, zorder=2)
                ax.annotate(f"{y[0]:.1f} h", (x, y[0]), xytext=(0, 6), textcoords="offset points", ha="center",
                            va="bottom", fontsize=9)
                continue
            ax.scatter(x - 0.05 + swarm_offsets(y, step=0.04, close=0.02 * max(y.max(), 1e-9), widest=0.08), y,
                       color=CONDITION_COLOURS[cond], s=22, edgecolor="white", lw=0.5, zorder=2)
            ax.scatter(x + 0.09, y.mean(), marker="D", color="k", s=26, zorder=3)
    ax.set_xticks(range(len(waits)), [f"{w:g} ms" for w in waits])
    ax.set_ylim(bottom=0)
ax_c.set_ylim(top=ax_c.get_ylim()[1] * 1.08)  # room for the values above the dots
ax_c.set(xlabel="wait per network step", ylabel="chip hours per run",
         title=f"(a) the chip: reads × (wait + {HOST_MS:g} ms host time)"
               + ("\nthe same for every run of a condition and wait" if chip_same else ""))
ax_e.set(xlabel="wait per network step", ylabel="emulator minutes per run (wall time)",
         title="(b) the emulator: wall time each run logged")
handles = [Line2D([], [], color=CONDITION_COLOURS[c], marker="o", ls="none", ms=5) for c in ("baseline", "dreaming")]
handles.append(Line2D([], [], color="k", marker="D", ls="none", ms=5))
alike = " (a: one dot for all its runs)" if chip_same else ""
labels = [f"baseline: one run{alike}", f"dreaming: one run{alike}", "mean over runs" + (" (b)" if chip_same else "")]
fig.legend(handles, labels, loc="outside lower center", ncols=3)
fig.suptitle(f"Time per run of {games} games\n(emulator: wall time on the machine that made the runs; "
             "the run files do not record which machine)")
save(fig, "05_timing_cost", OUT)
if WHERE.readme:
    shown = summary.merge(cost[["condition", "wait_ms", "chip_h_per_run", "emulator_min_per_run"]], on=["condition", "wait_ms"])
    shown = shown.rename(columns={"wait_ms": "wait (ms)", "mean": "final return", "std": "SD (ddof 1)", "count": "runs",
                                  "p_two_sided": "Mann–Whitney p, two-sided",
                                  "p_one_sided": "one-sided (the paper's test)",
                                  "chip_h_per_run": "chip hours per run", "emulator_min_per_run": "emulator minutes per run"})
    analysis.replace_readme_block(WHERE.readme, "timing", analysis.markdown_table(shown))
cost.round(3)

# %% [markdown]
# ## What a change costs: the README's five changes for teaching
#
# The same measured speed tells a student what a change of the notebooks costs before they make it.
# For each of the five changes the README's teaching section suggests, the table counts the runs it
# needs that the committed `data/` does not hold, and estimates their wall time from the wall time per
# game the committed runs logged, with 2 runs in parallel (`neurodream.teaching`; every notebook prints
# the same estimate in the terminal before it trains anything). A change that only reads cached runs
# costs seconds.

# %%
from neurodream import teaching

teaching_costs = teaching.cost_table()
teaching_costs.to_csv(OUT / "05_teaching_costs.csv", index=False)
if WHERE.readme:
    analysis.replace_readme_block(WHERE.readme, "teaching", teaching.markdown(teaching_costs))
teaching_costs.assign(minutes=teaching_costs.minutes.round(1))[["what", "runs_to_train", "minutes"]]
