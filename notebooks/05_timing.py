# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 05 · Wait time per network step: 10, 20 and 50 ms
#
# On the chip each network step waits a fixed time while the neurons integrate the input (the
# emulator's window). The paper compared 10, 20 and 50 ms. Here: how learning and time depend on it.
# "Chip time" is what the chip itself needs, one window per agent step plus one per world-model step
# (awake and dreaming); "emulator time" is this machine's wall time per game, environment and learning
# included.

# %% tags=["parameters"]
quick = 0
seeds = 1
games = 100
jobs = 2
waits_ms = [10.0, 20.0, 50.0]

# %%
import matplotlib.pyplot as plt

from neurodream import analysis
from neurodream.outputs import notebook_outputs
from neurodream.plotting import CONDITION_COLOURS, legend_outside, save, use_style
from neurodream.sweep import run_study

use_style()
OUT = notebook_outputs("05_timing", globals()).figures
if quick:
    seeds, games = 1, 2
_, table = run_study(["baseline", "dreaming"], seeds=seeds, games=games, quick=quick, jobs=jobs, wait_ms=waits_ms)

# %%
table["windows"] = table.real_steps * (1 + (table.condition == "dreaming")) + 2 * table.dream_steps
table["chip_s"] = table.windows * table.wait_ms * 1e-3
per_game = table.groupby(["condition", "wait_ms"]).agg(chip_s=("chip_s", "mean"), emulator_s=("wall_s", "mean")).reset_index()
final = analysis.final_performance(table).groupby(["condition", "wait_ms"]).final_return.agg(["mean", "std", "count"])
per_game["speed_vs_chip"] = per_game.chip_s / per_game.emulator_s
per_game.merge(final.reset_index(), on=["condition", "wait_ms"])

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
width = 0.38
for k, (cond, g) in enumerate(per_game.groupby("condition")):
    x = range(len(g))
    axes[0].bar([i + (k - 0.5) * width for i in x], g.chip_s, width, color=CONDITION_COLOURS[cond], alpha=0.45,
                label=f"{cond}: chip")
    axes[0].bar([i + (k - 0.5) * width for i in x], g.emulator_s, width * 0.5, color=CONDITION_COLOURS[cond],
                label=f"{cond}: emulator (this machine)")
    axes[0].set_xticks(list(x), [f"{w:g} ms" for w in g.wait_ms])
axes[0].set(xlabel="wait time per network step", ylabel="seconds per game", title="time per game")
axes[0].legend(fontsize=8)
# the paper's 50-game blocks for full runs; for short ones a tenth of the run, so that a curve has 10 points
block = analysis.BLOCK_GAMES if games >= 10 * analysis.BLOCK_GAMES else max(1, games // 10)
curves = analysis.learning_curves(table, block=block)
styles = {w: ls for w, ls in zip(sorted(table.wait_ms.unique()), ("-", "--", ":", "-."))}
for (cond, wait), c in curves.groupby(["condition", "wait_ms"]):
    m = c.groupby("game").mean_return.mean()
    axes[1].plot(m.index, m.values, ls=styles.get(wait, "-"), marker="o", ms=4, color=CONDITION_COLOURS[cond],
                 label=f"{cond}, {wait:g} ms")
axes[1].set(xlabel="real games played", ylabel=f"mean return per game\n({block}-game blocks)",
            title=f"learning ({seeds} run{'s' if seeds > 1 else ''} per line)")
legend_outside(fig, axes[1:], loc="outside right upper")
fig.suptitle(f"Wait time per network step: fidelity 'paper', {seeds} run(s) x {games} games per setting")
save(fig, "05_timing", OUT)
