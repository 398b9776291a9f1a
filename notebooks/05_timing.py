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
# dreaming); "emulator time" is this machine's wall time, environment and learning included.

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
from neurodream.plotting import CONDITION_COLOURS, RETURN_LABEL, legend_outside, save, use_style
from neurodream.sweep import run_study
from neurodream.training import HOST_MS

use_style()
WHERE = notebook_outputs("05_timing", globals())
OUT = WHERE.figures
if quick:
    seeds, games = 2, 3
_, table = run_study(["baseline", "dreaming"], seeds=seeds, games=games, quick=quick, jobs=jobs, wait_ms=waits_ms)

# %% [markdown]
# ## Learning at each wait
# Mean curves over seeds (the paper's smoothing), final return per run (mean of its last 50 games).

# %%
final = analysis.final_performance(table)
final[["condition", "wait_ms", "seed", "final_return", "final_entropy"]].to_csv(OUT / "05_timing.csv", index=False)
curves = analysis.learning_curves(table)
bands = analysis.curve_bands(curves)
styles = dict(zip(sorted(table.wait_ms.unique()), ("-", "--", ":")))
fig, (ax, ax_f) = plt.subplots(1, 2, figsize=(14, 5), width_ratios=(3, 2))
for (cond, wait), b in bands.groupby(["condition", "wait_ms"]):
    ax.plot(b.game, b["mean"], ls=styles[wait], lw=2, color=CONDITION_COLOURS[cond], label=f"{cond}, {wait:g} ms wait")
ax.set(xlabel="real games played", ylabel=RETURN_LABEL, title=f"Learning curves, {seeds} runs per line")
for k, cond in enumerate(("baseline", "dreaming")):
    for j, wait in enumerate(sorted(table.wait_ms.unique())):
        y = final[(final.condition == cond) & (final.wait_ms == wait)].final_return
        x = j + (k - 0.5) * 0.3
        ax_f.scatter(np.full(y.size, x), y, color=CONDITION_COLOURS[cond], s=18)
        ax_f.errorbar(x, y.mean(), yerr=y.std(ddof=1) if y.size > 1 else 0, fmt="D", color="k", ms=4, capsize=3)
ax_f.set_xticks(range(len(styles)), [f"{w:g} ms" for w in sorted(styles)])
ax_f.set(xlabel="wait per network step", ylabel="final return\n(mean of the last 50 games)",
         title="final return per run (diamonds: mean ± SD)")
legend_outside(fig, ncols=3)
save(fig, "05_timing", OUT)
summary = final.groupby(["condition", "wait_ms"]).final_return.agg(["mean", "std", "count"]).reset_index()
mw = {w: analysis.mann_whitney(final[final.wait_ms == w]) for w in sorted(styles)
      if set(final[final.wait_ms == w].condition) == {"baseline", "dreaming"}}
for side in ("two_sided", "one_sided"):
    summary[f"p_{side}"] = [mw[w][f"p_{side}"] if c == "dreaming" and w in mw else float("nan")
                            for c, w in zip(summary.condition, summary.wait_ms)]
summary

# %% [markdown]
# ## What a run costs: the chip's time and this machine's
# The chip's time per run is the number of reads times (wait + host time); the emulator's is the wall
# time the runs logged on this machine (one run per core, two at a time).

# %%
windows = table.real_steps * (1 + (table.condition == "dreaming")) + 2 * table.dream_steps
table["chip_s"] = windows * (table.wait_ms + HOST_MS) * 1e-3
cost = table.groupby(["condition", "wait_ms", "seed"]).agg(chip_s=("chip_s", "sum"), emulator_s=("wall_s", "sum"))
cost = cost.groupby(["condition", "wait_ms"]).mean().reset_index()
cost["chip_h_per_run"] = cost.chip_s / 3600
cost["emulator_min_per_run"] = cost.emulator_s / 60
cost["chip_time_over_emulator_time"] = cost.chip_s / cost.emulator_s
cost.drop(columns=["chip_s", "emulator_s"]).to_csv(OUT / "05_timing_cost.csv", index=False)
fig, ax = plt.subplots(figsize=(8, 4))
width = 0.38
for k, (cond, g) in enumerate(cost.groupby("condition")):
    x = np.arange(len(g)) + (k - 0.5) * width
    ax.bar(x, g.chip_h_per_run * 60, width, color=CONDITION_COLOURS[cond], alpha=0.45, label=f"{cond}: the chip")
    ax.bar(x, g.emulator_min_per_run, width * 0.5, color=CONDITION_COLOURS[cond], label=f"{cond}: the emulator (this machine)")
ax.set_xticks(range(len(styles)), [f"{w:g} ms" for w in sorted(styles)])
ax.set(xlabel="wait per network step", ylabel="minutes per run", yscale="log",
       title=f"Time per run of {games} games")
legend_outside(fig, ncols=2)
save(fig, "05_timing_cost", OUT)
if WHERE.readme:
    shown = summary.merge(cost[["condition", "wait_ms", "chip_h_per_run", "emulator_min_per_run"]], on=["condition", "wait_ms"])
    shown = shown.rename(columns={"wait_ms": "wait (ms)", "mean": "final return", "std": "SD (ddof 1)", "count": "runs",
                                  "p_two_sided": "Mann–Whitney p, two-sided",
                                  "p_one_sided": "one-sided (the paper's test)",
                                  "chip_h_per_run": "chip hours per run", "emulator_min_per_run": "emulator minutes per run"})
    analysis.replace_readme_block(WHERE.readme, "timing", analysis.markdown_table(shown))
cost.round(3)
