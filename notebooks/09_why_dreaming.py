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
# # 09 · Why did dreaming win on the chip?
#
# In the released wiring the world model never receives the action (its action generators have no
# CAM targets), so given a dream's trajectory the dream's policy gradient has zero mean: dreams
# cannot teach the agent which action is better. The published advantage (final return +0.36 ± 0.48
# with dreaming against −0.24 ± 0.65 without, one-sided Mann–Whitney U = 83, p = 0.007) must then
# come from something else. Candidates: the dreaming setup's larger input per awake step (each read
# spans the agent's and the world model's windows), Adam's shared moments and step counter, zero-mean
# updates acting as exploration, the paper's design of one network per condition, chance.
#
# **The arms** (`neurodream.why_dreaming.ARMS`), each changing one of these, on paired seeds (a seed's
# network, device mismatch, game and readout initialisation are the same in every arm), 2000 games,
# the calibrated emulation of the released loop (notebook 00):
#
# | arm | what changes |
# |---|---|
# | `baseline` | the paper's baseline |
# | `sham_second_window` | the baseline plus the world model's window, without a world model: two windows per read |
# | `dreaming_no_dreams` | the dreaming setup without dreams |
# | `dreaming` | the paper's dreaming |
# | `dreams_zero_reward` | dreams run, their policy update has a zero gradient (Adam's bookkeeping alone) |
# | `dreams_noise` | each dream's policy gradient replaced by zero-mean noise of the same norm |
# | `baseline_double_lr` | the baseline at twice the learning rate |
# | `dreaming_corrected` | dreaming with the action-conditioned world model |
#
# Then **the paper's design**: with one network per condition and 10 readout seeds each, how often
# does the paper's test reject when the two conditions are identical?

# %% tags=["parameters"]
quick = 0  # 1: tiny sizes, for CI
seeds = 10  # paired seeds per arm
games = 2000
network_draws = 6  # baseline network draws of the false-positive study (10 readout seeds each)
jobs = 2

# %%
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from neurodream import analysis
from neurodream import rerun
from neurodream import why_dreaming as wd
from neurodream.outputs import notebook_outputs
from neurodream.plotting import CONDITION_COLOURS, NO_DREAMS_COLOUR, category_colours, legend_outside, save, use_style
from neurodream.sweep import run_settings, run_study
from neurodream.training import load_run

use_style()
WHERE = notebook_outputs("09_why_dreaming", globals())
OUT = WHERE.figures
if quick:
    seeds, games, network_draws = 2, 3, 2
arms = list(wd.ARMS)
table = run_settings(wd.ARMS, seeds=seeds, games=games, quick=quick, jobs=jobs)
table = table.rename(columns={"setting": "arm"})
random_mean, _ = analysis.random_policy_return(20 if quick else 200)

# %% [markdown]
# ## Final return per arm, seed by seed
# Final return: the mean return of a run's last 50 games. Each line joins one seed's runs across the
# arms (the same network, chip, game and initial readout).

# %%
final = analysis.final_performance(table.rename(columns={"arm": "setting"})).rename(columns={"setting": "arm"})
final[["arm", "seed", "final_return", "final_entropy"]].to_csv(OUT / "09_arms_final_by_seed.csv", index=False)
per_seed = wd.final_by_seed(final)[arms]
colours = category_colours(arms, {"baseline": CONDITION_COLOURS["baseline"], "dreaming": CONDITION_COLOURS["dreaming"],
                                  "dreaming_no_dreams": NO_DREAMS_COLOUR})


def arm_label(arm: str) -> str:
    """The arm's name in words, for legends and axes (the tables and CSVs keep the names)."""
    return arm.replace("double_lr", "double learning rate").replace("_", " ")


fig, ax = plt.subplots(figsize=(11, 4.8))
x = np.arange(len(arms))
# each seed keeps one small horizontal offset in every arm, so that tied runs (e.g. at -2) stay visible
# and the line joining a seed's runs passes through its own dots
jitter = dict(zip(per_seed.index, np.linspace(-0.12, 0.12, len(per_seed)) if len(per_seed) > 1 else [0.0]))
for seed, row in per_seed.iterrows():
    ax.plot(x + jitter[seed], row.values, color="0.85", lw=0.8, zorder=1)
for k, arm in enumerate(arms):
    ax.scatter(k + per_seed.index.map(jitter).to_numpy(), per_seed[arm], color=colours[arm], zorder=2, s=22)
    ax.errorbar(k + 0.25, per_seed[arm].mean(), yerr=per_seed[arm].std(ddof=1), fmt="D", color="k", mfc="white",
                mec="k", mew=1.3, ms=6, capsize=3, zorder=3)
ax.axhline(random_mean, ls=":", color="k", label="random policy")
ax.axhline(0.36, ls="--", color=CONDITION_COLOURS["dreaming"], lw=1, label="published dreaming (+0.36)")
ax.axhline(-0.24, ls="--", color=CONDITION_COLOURS["baseline"], lw=1, label="published baseline (−0.24)")
ax.set_xticks(x, [textwrap.fill(arm_label(a), 12) for a in arms])
ax.set(ylabel="final return\n(mean of the last 50 games)",
       title=f"Final return per arm: dots are runs, light grey lines join a seed's runs, white diamonds mean ± SD "
             f"({seeds} seeds)")
legend_outside(fig)
save(fig, "09_arms_final", OUT)

# %%
summary = []
curves = analysis.learning_curves(table.rename(columns={"arm": "setting"}))
reach = analysis.games_to_reach(analysis.curve_bands(curves), (-1.0, -0.5))
for arm in arms:
    f = final[final.arm == arm]
    r = reach[reach.setting == arm].set_index("level").games
    summary.append({"arm": arm, "condition": wd.ARMS[arm]["condition"], "runs": len(f),
                    "final_mean": f.final_return.mean(), "final_sd": f.final_return.std(ddof=1),
                    "games_to_-1.0": r.get(-1.0, np.nan), "games_to_-0.5": r.get(-0.5, np.nan),
                    "final_entropy": f.final_entropy.mean(),
                    "agent_spikes_per_step": table[table.arm == arm].agent_spikes_per_step.mean()})
summary = pd.DataFrame(summary)
summary.to_csv(OUT / "09_arms_summary.csv", index=False)
paired = wd.paired_comparisons(per_seed)
paired.to_csv(OUT / "09_arms_paired.csv", index=False)
print(summary.round(3).to_string(index=False))
print(paired.round(3).to_string(index=False))
vs = paired[paired.against == "baseline"].set_index("arm")
table_md = summary.set_index("arm").assign(**{
    "final return": lambda d: [f"{m:+.2f} ± {sd:.2f}" for m, sd in zip(d.final_mean, d.final_sd)],
    "minus baseline, seed by seed (95 % CI)": [f"{vs.mean_difference[a]:+.2f} ({vs.ci95_low[a]:+.2f} to {vs.ci95_high[a]:+.2f})"
                                               if a in vs.index else "" for a in summary.arm],
    "seeds higher": [f"{vs.seeds_arm_higher[a]}/{vs.seeds[a]}" if a in vs.index else "" for a in summary.arm],
    "Wilcoxon p": [f"{vs.wilcoxon_p[a]:.3g}" if a in vs.index else "" for a in summary.arm],
    "games to −1.0": [f"{g:.0f}" if g == g else "not reached" for g in summary["games_to_-1.0"]],
})[["final return", "minus baseline, seed by seed (95 % CI)", "seeds higher", "Wilcoxon p", "games to −1.0"]]
if WHERE.readme:  # the committed parameters only
    analysis.replace_readme_block(WHERE.readme, "why_dreaming", analysis.markdown_table(table_md.reset_index()))

# %%
bands = analysis.curve_bands(curves)
fig, ax = plt.subplots(figsize=(10, 5))
for arm in arms:
    b = bands[bands.setting == arm]
    ax.plot(b.game, b["mean"], color=colours[arm], lw=2.5 if arm in ("baseline", "dreaming") else 1.3,
            label=arm_label(arm))
ax.axhline(random_mean, ls=":", color="k", label="random policy")
ax.set(xlabel="real games played", ylabel="mean return per game\n(50-game blocks, smoothed; mean over seeds)",
       title="Learning curves of the arms")
legend_outside(fig, ncols=3)
save(fig, "09_arms_learning", OUT)

# %% [markdown]
# ## The paper's design: how often does it find a difference that is not there?
# The baseline, `network_draws` draws of the network (connectivity) on one chip, 10 readout seeds
# each, as the paper ran each condition. The paper's test (one-sided Mann–Whitney U on final returns)
# is applied to every ordered pair of draws: the two "conditions" are identical, so every p below
# alpha is a false positive. The share of the variance of final returns that lies between networks
# (the intraclass correlation) drives it; a normal model with those variance components gives the
# rate from many more simulated comparisons.

# %%
draws = {f"network {d}": {"network_seed": wd.PAPER_DESIGN_NETWORKS["baseline"] + d,
                          "chip_seed": wd.PAPER_DESIGN_CHIP_SEED} for d in range(network_draws)}
design = run_settings(draws, conditions=["baseline"], seeds=seeds, games=games, quick=quick, jobs=jobs)
design_final = analysis.final_performance(design)
design_final["network_seed"] = design_final.setting.map({k: v["network_seed"] for k, v in draws.items()})
tests = wd.ordered_pair_tests(design_final)
components = wd.variance_components(design_final)
fpr = pd.concat([wd.false_positive_rates(tests), wd.model_false_positive_rates(components, runs_per_group=seeds)],
                ignore_index=True)
fpr["share_between_networks"] = components["share_between"]
fpr.to_csv(OUT / "09_paper_design_false_positives.csv", index=False)
tests.to_csv(OUT / "09_paper_design_pair_tests.csv", index=False)
print(components)
print(fpr.round(4).to_string(index=False))
if WHERE.readme:
    shown = fpr.assign(**{"rate (95 % interval)": [f"{r:.2f} ({lo:.2f}–{hi:.2f})" for r, lo, hi in
                                                    zip(fpr.rate, fpr.wilson95_low, fpr.wilson95_high)]})
    shown = shown[["method", "alpha", "rate (95 % interval)", "simulated_comparisons"]]
    analysis.replace_readme_block(WHERE.readme, "false_positives", analysis.markdown_table(shown)
                                  + f"\n\nShare of the variance of final returns between network draws: "
                                    f"{components['share_between']:.2f} ({components['groups']} draws × "
                                    f"{components['runs_per_group']} readout seeds).")

# %%
fig, ax = plt.subplots(figsize=(8, 4.2))
order = design_final.groupby("setting").final_return.mean().sort_values().index
for k, label in enumerate(order):
    y = design_final[design_final.setting == label].final_return
    ax.scatter(np.full(y.size, k), y, color=CONDITION_COLOURS["baseline"], s=20)
    ax.errorbar(k + 0.15, y.mean(), yerr=y.std(ddof=1), fmt="D", color="k", ms=5, capsize=3)
ax.set_xticks(range(len(order)), order)
ax.set(ylabel="final return\n(mean of the last 50 games)",
       title=f"Baseline on {len(order)} network draws, {seeds} readout seeds each: "
             f"{components['share_between']:.0%} of the variance between networks")
save(fig, "09_paper_design", OUT)

# %% [markdown]
# ## The answer, in numbers
# The main comparison in both designs (the per-seed design: the `baseline` and `dreaming` arms above;
# the paper's design: one network per condition on one chip, notebook 04 with `-p design paper`), the
# arms, and the paper design's false-positive rate, in a few sentences written from the results (the
# README's answer).

# %%
paper_runs = {}
for cond in ("baseline", "dreaming"):
    _, t = run_study([cond], seeds=seeds, games=games, quick=quick, jobs=jobs,
                     network_seed=wd.PAPER_DESIGN_NETWORKS[cond], chip_seed=wd.PAPER_DESIGN_CHIP_SEED)
    paper_runs[cond] = t
paper_final = analysis.final_performance(pd.concat(paper_runs.values(), ignore_index=True))
mw_seed = analysis.mann_whitney(final.assign(condition=final.arm).query("arm in ['baseline', 'dreaming']"))
mw_paper = analysis.mann_whitney(paper_final)


def fmt(f):
    return f"{f.final_return.mean():+.2f} ± {f.final_return.std(ddof=1):.2f}"


pub = {c: (analysis.PUBLISHED[("final_mean", c)], analysis.PUBLISHED[("final_sd", c)]) for c in ("baseline", "dreaming")}
lowest = paired.loc[paired.wilcoxon_p.idxmin()]
sham_level = final[final.arm == "sham_second_window"].final_return.mean()
dream_level = final[final.arm == "dreaming"].final_return.mean()
significant = paired[paired.wilcoxon_p < 0.05]
rate = fpr.set_index(["method", "alpha"]).rate
emp = fpr[fpr.method.str.startswith("network")].set_index("alpha")
mod = fpr[fpr.method.str.startswith("normal")].set_index("alpha")
sentences = [
    f"**Predicted, not fitted.** With the calibration frozen on the published baseline alone, the "
    f"emulated dreaming agent ends at {fmt(final[final.arm == 'dreaming'])} against the baseline's "
    f"{fmt(final[final.arm == 'baseline'])} ({seeds} runs each, each run its own network and chip; "
    f"one-sided Mann–Whitney U = {mw_seed['U']:.0f}, p = {mw_seed['p']:.2g}); in the paper's design (one network "
    f"per condition, one chip) {fmt(paper_final[paper_final.condition == 'dreaming'])} against "
    f"{fmt(paper_final[paper_final.condition == 'baseline'])} (U = {mw_paper['U']:.0f}, p = {mw_paper['p']:.2g}). "
    f"Published: {pub['dreaming'][0]:+.2f} ± {pub['dreaming'][1]:.2f} against {pub['baseline'][0]:+.2f} ± "
    f"{pub['baseline'][1]:.2f} (U = {analysis.PUBLISHED[('mann_whitney_U', 'dreaming>baseline')]:.0f}, "
    f"p = {analysis.PUBLISHED[('mann_whitney_p', 'dreaming>baseline')]:.2g}).",
    ("**No cause is established by the arms.** " if not len(significant) else "**The arms.** ")
    + f"Seed by seed ({seeds} paired seeds), "
    + (f"{len(significant)} of {len(paired)} comparisons reach a two-sided Wilcoxon p below 0.05"
       if len(significant) else f"none of the {len(paired)} comparisons with the baseline or with dreaming reaches a "
       f"two-sided Wilcoxon p below 0.05 (the smallest, {lowest.arm} against {lowest.against}: "
       f"{lowest.mean_difference:+.2f}, p = {lowest.wilcoxon_p:.2g})")
    + f". The baseline with the world model's window added and no world model at all "
      f"(`sham_second_window`) ends at {fmt(final[final.arm == 'sham_second_window'])}, "
      + ("as high as dreaming: the dreaming setup's larger input per read "
         if sham_level >= dream_level - 0.1 else "below dreaming, despite the dreaming setup's larger input per read ")
      + f"(agent spikes per read, first 50 games: "
        f"{summary.set_index('arm').agent_spikes_per_step['sham_second_window']:.1f} against the baseline's "
        f"{summary.set_index('arm').agent_spikes_per_step['baseline']:.1f})"
      + (" suffices for that level, without dreams." if sham_level >= dream_level - 0.1 else "."),
    ("**The paper's design finds differences that are not there.** " if mod.rate[0.05] > 0.075
     else "**The paper's design keeps its nominal rate.** ")
    + f"{components['share_between']:.0%} of the "
    f"variance of the baseline's final returns lies between network draws. Comparing identical conditions, "
    f"each with its own network, the paper's test gives p < 0.01 in {mod.rate[0.01]:.1%} and p < 0.05 in "
    f"{mod.rate[0.05]:.1%} of comparisons (normal model of those variance components; from the "
    f"{int(emp.simulated_comparisons[0.05])} ordered pairs of {components['groups']} measured draws: "
    f"{emp.rate[0.01]:.1%} and {emp.rate[0.05]:.1%}), against the nominal 1 % and 5 %.",
]
# How firm the main comparison is: its runs (in data/) were recomputed with the same code on a machine
# whose OpenBLAS (NumPy's matrix products) ran other kernels (`python -m neurodream rerun --seeds 0-9`:
# the new runs in data/rerun/, the comparison in its report). Both sets are exact emulations of the
# same 20 runs; they differ only in the order in which a few dot products add their terms
REPORT = Path("../data/rerun/avx512_kernels_main_study.csv")
if not quick and REPORT.exists():
    report = pd.read_csv(REPORT)
    before, after = rerun.final_returns(report, "old"), rerun.final_returns(report, "new")
    ours = final[final.arm.isin(["baseline", "dreaming"])].set_index(["arm", "seed"]).final_return.sort_index()

    def holds(runs):
        return np.allclose(runs.set_index(["condition", "seed"]).final_return.sort_index().to_numpy(), ours.to_numpy())

    # data/ holds the runs as first made (the recomputed ones waiting in data/rerun/), or the recomputed ones
    assert holds(before) or holds(after), "data/ holds neither set of runs the report compared"
    recomputed_in_data = holds(after) and not holds(before)
    other = before if recomputed_in_data else after
    mw_other = analysis.mann_whitney(other)
    moved = (after.final_return - before.final_return).abs()
    same = report.identical.astype(bool).to_numpy()
    differ = report[~same]
    by_cond = {c: (int(same[(before.condition == c).to_numpy()].sum()), int((before.condition == c).sum()))
               for c in ("baseline", "dreaming")}
    # what differs first in each run that differs: the columns of its first differing game, and by how much
    first_diffs = []
    for name in differ.run:
        a, b = load_run(REPORT.parent.parent / f"{name}.json"), load_run(REPORT.parent / f"{name}.json")
        g = rerun.first_differing_game(a, b)
        for col in sorted(set(a.columns) - set(rerun.TIMING_COLUMNS)):
            x, y = a[col].iloc[g], b[col].iloc[g]
            if not (x == y or (pd.isna(x) and pd.isna(y))):
                first_diffs.append({"run": name, "game": g, "column": col, "rel_diff": abs(x - y) / abs(x)})
    first_diffs = pd.DataFrame(first_diffs, columns=["run", "game", "column", "rel_diff"])
    display(first_diffs)
    sentences.append(
        f"**How firm that p-value is.** The {len(report)} runs of the per-seed comparison were made where "
        "NumPy's OpenBLAS ran its AVX2 kernels, and recomputed, with the same code, where it ran its AVX-512 "
        "kernels, which add the terms of a dot product in another order. "
        f"{by_cond['baseline'][0]} of {by_cond['baseline'][1]} baseline runs and {by_cond['dreaming'][0]} of "
        f"{by_cond['dreaming'][1]} dreaming runs came out bit for bit the same"
        + (f"; the others differ from game {differ.first_differing_game.min():.0f}–{differ.first_differing_game.max():.0f} "
           f"on, where the world model's recorded {' and '.join(f'`{c}`' for c in sorted(first_diffs.column.unique()))} first differs, by "
           f"{first_diffs.rel_diff.min():.0e} to {first_diffs.rel_diff.max():.0e} of its value (the last bit), "
           f"and their final returns moved by up to {moved.max():.2f} (median {moved[~same].median():.2f})"
           if len(differ) else "")
        + (". The numbers above are the recomputed runs; as first made, the comparison read "
           if recomputed_in_data else ". Recomputed, the comparison reads ")
        + f"{fmt(other[other.condition == 'dreaming'])} against {fmt(other[other.condition == 'baseline'])} "
        f"(U = {mw_other['U']:.0f}, p = {mw_other['p']:.2g}), against p = {mw_seed['p']:.2g} above. A last-bit "
        "difference in one product moves that p-value this far: a run's final return is chaotic in the details "
        f"of its arithmetic, so {seeds} runs per condition cannot settle an effect of this size. (The package "
        "now pins OpenBLAS's AVX2 kernels wherever the CPU has them, and the committed runs reproduce bit for "
        "bit with them: `neurodream/blas.py`.)")
answer = "\n\n".join(sentences)
(OUT / "09_answer.md").write_text(answer + "\n")
if WHERE.readme:
    analysis.replace_readme_block(WHERE.readme, "answer", answer)
print(answer)
