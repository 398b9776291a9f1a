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
# # 10 · The powered answer: does dreaming help on the emulated chip, and is it the optimiser?
#
# Notebooks 04 and 09 compared dreaming with the baseline on 10 runs each. With the spread of final
# returns between runs (an SD of about 0.84), 10 runs per condition find a true difference of 0.3
# in final return about one time in eight: they cannot answer the question. This notebook reads the
# powered study that can, **pre-registered** in
# [docs/preregistration.md](../docs/preregistration.md) before its first run: five arms, fresh
# seeds 100–199, 400 runs of 2000 games, one primary comparison (dreaming against the baseline,
# final return, Welch's t two-sided) and a Holm-adjusted family of secondary ones, among them two
# arms that isolate what a dream does to the Adam optimiser:
#
# | arm | what changes | runs |
# |---|---|---|
# | `baseline` | the paper's baseline | 100 |
# | `dreaming` | the paper's dreaming | 100 |
# | `baseline_extra_adam_step` | the baseline plus, after each game, one more Adam step with a zero gradient: a dream's effect on the optimiser, without the dream | 100 |
# | `dreaming_own_adam` | dreaming whose dreams update through an Adam of their own: no dream can replay the real step's momentum | 50 |
# | `sham_second_window` | the baseline with the dreaming setup's larger input per read | 50 |
#
# Everything below is computed by `neurodream.powered`, which holds the registered analysis; the
# notebook only reads the runs and draws. It never trains by default: the study takes about 17
# core-hours (`python -m neurodream powered --jobs 2` runs it, resumably). While runs are missing,
# every number is labelled **interim**: it is not the registered answer.

# %% tags=["parameters"]
quick = 0  # 1: tiny sizes, for CI (computes 2 seeds x 55 games per arm into data/quick/)
jobs = 2
compute_missing = 0  # 1: train the missing runs first (about 17 core-hours for the whole study)

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from neurodream import analysis, powered, stats
from neurodream import why_dreaming as wd
from neurodream.outputs import notebook_outputs
from neurodream.plotting import CONDITION_COLOURS, NO_DREAMS_COLOUR, category_colours, legend_outside, save, use_style
from neurodream.sweep import cached, data_dir, load_configs, run_settings, sweep
from neurodream.training import run_path

use_style()


def runs(n: int) -> str:
    """ "1 run", "2 runs": a label's count."""
    return f"{n} run" + ("" if n == 1 else "s")


WHERE = notebook_outputs("10_powered_answer", globals())
OUT = WHERE.figures
games = powered.GAMES
plan = powered.configs()
runs_dir = powered.RUNS_DIR
if quick:  # a tiny study of the same shape: 2 seeds per arm, 55 games, computed here
    import dataclasses

    games = 55
    plan = [(arm, dataclasses.replace(cfg, games=games)) for arm, cfg in plan if cfg.seed < powered.FIRST_SEED + 2]
    runs_dir = data_dir(True) / "powered"
    compute_missing = 1
if compute_missing:
    sweep([cfg for _, cfg in plan], runs_dir, n_jobs=jobs)
present = [(arm, cfg) for arm, cfg in plan if runs_dir.exists() and cached(cfg, runs_dir, warn=False)]
order_check = powered.runs_after_preregistration([run_path(cfg, runs_dir) for _, cfg in present]) if not quick \
    else pd.DataFrame({"checked": []})
n_planned, n_present = len(plan), len(present)
interim = n_present < n_planned
print(f"{n_present} of the {n_planned} planned runs are in {runs_dir}"
      + (" (INTERIM: the registered answer needs all of them)" if interim else ""))
if len(order_check) and not order_check.checked.all():
    print("no git history here: the runs' order against the pre-registration could not be checked")

# %% [markdown]
# ## The runs, arm by arm
# One row per run (`figures/10_powered_final_by_seed.csv`): final return (mean of games
# 1950–1999), AUC (mean return over all 2000 games), and the games it needed for a 50-game block to
# reach a mean return of −1.0 (censored at 2000 when it never did).

# %%
arms = list(powered.ARMS)
colours = category_colours(arms, {"baseline": CONDITION_COLOURS["baseline"], "dreaming": CONDITION_COLOURS["dreaming"],
                                  "sham_second_window": NO_DREAMS_COLOUR})
if present:
    table = load_configs([cfg for _, cfg in present], runs_dir, labels=[arm for arm, _ in present])
    table = table.rename(columns={"setting": "arm"})
    per_run = powered.endpoints(table, games=games)
else:
    table = pd.DataFrame(columns=["arm", "seed", "game", "return"])
    per_run = pd.DataFrame(columns=["arm", "seed", "final_return", "auc_return", "games_to_minus1", "reached_minus1"])
per_run.to_csv(OUT / "10_powered_final_by_seed.csv", index=False)
status = powered.progress(per_run[["arm", "seed"]])
status

# %%
random_mean, _ = analysis.random_policy_return(20 if quick else 200)
fig, ax = plt.subplots(figsize=(10, 4.8))
for k, arm in enumerate(arms):
    y = per_run[per_run.arm == arm].final_return.to_numpy(float)
    if not y.size:
        continue
    # every run visible: a deterministic spread, wider where runs pile up (at -2, say)
    x = k + np.random.default_rng(k).uniform(-0.28, 0.28, y.size)
    ax.scatter(x, y, s=12, color=colours[arm], alpha=0.7, lw=0)
    if y.size > 1:
        lo, hi = stats.mean_interval(y)
        ax.errorbar(k + 0.38, y.mean(), yerr=[[y.mean() - lo], [hi - y.mean()]], fmt="D", color="k", mfc="white",
                    ms=6, capsize=3, zorder=3)
ax.axhline(random_mean, ls=":", color="k", label="random policy")
ax.set_xticks(range(len(arms)), [f"{a.replace('_', ' ')}\n({runs((per_run.arm == a).sum())})" for a in arms], fontsize=9)
ax.set(ylabel="final return\n(mean of games 1950–1999)",
       title="Final return per run; diamonds: mean with 95 % t-interval" + (" (INTERIM)" if interim else ""))
legend_outside(fig)
save(fig, "10_powered_final", OUT)

# %% [markdown]
# ## Learning curves
# Mean return per 50-game block, averaged over the runs of each arm, with the 95 % t-interval of
# that mean at each block (not smoothed).

# %%
fig, ax = plt.subplots(figsize=(10, 5))
if len(table):
    blocks = table.assign(block=(table.game // 50 + 1) * 50).groupby(["arm", "seed", "block"])["return"].mean().reset_index()
    for arm in arms:
        b = blocks[blocks.arm == arm]
        if b.seed.nunique() < 2:
            continue
        g = b.groupby("block")["return"]
        mean = g.mean()
        ci = np.array([stats.mean_interval(v.to_numpy()) for _, v in g])
        lw = 2.4 if arm in ("baseline", "dreaming") else 1.3
        ax.plot(mean.index, mean.values, color=colours[arm], lw=lw, label=f"{arm.replace('_', ' ')} ({runs(b.seed.nunique())})")
        ax.fill_between(mean.index, ci[:, 0], ci[:, 1], color=colours[arm], alpha=0.15, lw=0)
ax.axhline(random_mean, ls=":", color="k", label="random policy")
ax.set(xlabel="real games played", ylabel="mean return per game\n(50-game blocks, mean over runs, 95 % band)",
       title="Learning curves of the five arms" + (" (INTERIM)" if interim else ""))
legend_outside(fig, ncols=3)
save(fig, "10_powered_learning", OUT)

# %% [markdown]
# ## Games to reach −1.0: Kaplan–Meier
# The share of runs that have not yet reached a 50-game mean return of −1.0 after each number of
# games; runs that never reach it are censored at the end (+).

# %%
fig, ax = plt.subplots(figsize=(8, 4.8))
for arm in arms:
    r = per_run[per_run.arm == arm]
    if len(r) < 2:
        continue
    km = stats.kaplan_meier(r.games_to_minus1.to_numpy(float), r.reached_minus1.to_numpy(bool))
    t = np.r_[0, km.time.to_numpy()]
    s = np.r_[1.0, km.survival.to_numpy()]
    ax.step(t, s, where="post", color=colours[arm], lw=2 if arm in ("baseline", "dreaming") else 1.2,
            label=arm.replace("_", " "))
    if (~r.reached_minus1.astype(bool)).any():
        ax.plot([games], [s[-1]], "+", color=colours[arm], ms=10)
ax.set(xlabel="real games played", ylabel="share of runs not yet at −1.0", ylim=(0, 1.02),
       title="Games to reach a 50-game mean return of −1.0" + (" (INTERIM)" if interim else ""))
legend_outside(fig, ncols=3)
save(fig, "10_powered_games_to_minus1", OUT)

# %% [markdown]
# ## The registered tests
# The primary comparison, then the secondary family with Holm's adjustment
# (`figures/10_powered_tests.csv`). Two-sided throughout; intervals are Welch t-intervals.

# %%
tests = powered.all_tests(per_run) if len(per_run) else pd.DataFrame(columns=powered.TEST_COLUMNS)
tests[[c for c in powered.TEST_COLUMNS]].to_csv(OUT / "10_powered_tests.csv", index=False)
tests.round(4)

# %% [markdown]
# ## The effect beside the published one
# Dreaming minus baseline in final return, here and in the paper (the published difference with a
# Welch interval from its summary statistics: 10 runs each, its population SDs turned into sample
# SDs).

# %%
pub_m = {c: analysis.PUBLISHED[("final_mean", c)] for c in ("dreaming", "baseline")}
pub_sd = {c: analysis.PUBLISHED[("final_sd_ddof0", c)] * np.sqrt(10 / 9) for c in pub_m}
published_effect = stats.welch_from_summary(pub_m["dreaming"], pub_sd["dreaming"], 10, pub_m["baseline"],
                                            pub_sd["baseline"], 10)
effects = [("published (hardware, 10 + 10 runs)", published_effect["mean_difference"], published_effect["ci_low"],
            published_effect["ci_high"], "0.3")]
primary = tests[tests.role == "primary"]
if len(primary):
    p = primary.iloc[0]
    effects.append((f"emulated chip ({p.n_a} + {p.n_b} runs{', interim' if interim else ''})", p.mean_difference,
                    p.ci95_low, p.ci95_high, CONDITION_COLOURS["dreaming"]))
fig, ax = plt.subplots(figsize=(8, 2.8))
for k, (name, d, lo, hi, c) in enumerate(effects):
    ax.errorbar(d, k, xerr=[[d - lo], [hi - d]], fmt="o", color=c, capsize=4, ms=7)
ax.axvline(0, color="k", lw=0.8)
for edge in (-powered.SMALLEST_EFFECT, powered.SMALLEST_EFFECT):
    ax.axvline(edge, color="0.6", ls="--", lw=0.8)
ax.set_yticks(range(len(effects)), [e[0] for e in effects])
ax.set_ylim(-0.6, len(effects) - 0.4)
ax.set(xlabel="dreaming minus baseline, final return (95 % interval)",
       title="The effect of dreaming (dashed: ±0.3, the smallest effect of interest)")
save(fig, "10_powered_effect", OUT)

# %% [markdown]
# ## How surprising is the published result if the emulation is right?
# The variance between network draws comes from notebook 09's paper-design runs (6 baseline network
# draws × 10 readout seeds, read from the cache); with it, the pooled SD and the effect measured
# here, the probability that the paper's design yields U ≥ 83 (`powered.published_under_emulation`:
# its interval spans the box of the 97.5 % intervals of the share and of the effect).

# %%
draws = {f"network {d}": {"network_seed": wd.PAPER_DESIGN_NETWORKS["baseline"] + d, "chip_seed": wd.PAPER_DESIGN_CHIP_SEED}
         for d in range(2 if quick else 6)}
design = run_settings(draws, conditions=["baseline"], seeds=2 if quick else 10, games=3 if quick else 2000,
                      quick=bool(quick), jobs=jobs)
groups = [g.final_return.to_numpy() for _, g in analysis.final_performance(design).groupby("setting")]
share95 = stats.icc_interval(groups)
share975 = stats.icc_interval(groups, level=0.975)
columns = ["probability", "ci95_low", "ci95_high", "effect", "effect_ci975_low", "effect_ci975_high", "share_between",
           "share_ci_low", "share_ci_high", "total_sd", "runs_per_condition", "U_at_least", "simulated_experiments"]
if len(primary):
    surprise = powered.published_under_emulation(per_run, share95["share_between"], share975["share_ci_low"],
                                                 share975["share_ci_high"], n_sim=2000 if quick else 20_000)
    surprise_table = pd.DataFrame([surprise])[columns]
else:
    surprise_table = pd.DataFrame(columns=columns)
surprise_table["interim"] = interim
surprise_table.to_csv(OUT / "10_published_under_emulation.csv", index=False)
surprise_table.T

# %% [markdown]
# ## The answer
# The sentences the pre-registration fixed, filled in by the runs (the README's answer block).

# %%
lines = [f"**{n_present} of the {n_planned} planned runs are in.**"
         + (" Every number below is **interim**: the registered answer is drawn when all runs are in."
            if interim else " The study is complete: this is the registered answer.")]
if len(primary):
    lines.append(("Interim reading: " if interim else "") + powered.primary_sentence(primary.iloc[0]))
    secondary = tests[tests.role == "secondary"]
    if len(secondary):
        lines.append(("Interim secondary comparisons (Holm-adjusted over the family): " if interim
                      else "Secondary comparisons (Holm-adjusted over the family): ")
                     + " ".join(powered.secondary_sentence(r) for _, r in secondary.iterrows()))
    if len(surprise_table) and not quick:
        s = surprise_table.iloc[0]
        lines.append(f"{'Interim: if' if interim else 'If'} the emulation is right, the paper's design (one network per "
                     f"condition, 10 runs each) gives U ≥ 83 with probability {s.probability:.3f} (95 % interval "
                     f"{s.ci95_low:.3f}–{s.ci95_high:.3f}, carrying the uncertainty of the share of variance between "
                     f"networks, {s.share_between:.2f}, and of the effect, {s.effect:+.2f}).")
else:
    lines.append("No comparison yet: fewer than 2 runs in an arm. Resume the study with "
                 "`.venv/bin/python -m neurodream powered --jobs 2`.")
answer = "\n\n".join(lines)
(OUT / "10_answer.md").write_text(answer + "\n")
if WHERE.readme:
    analysis.replace_readme_block(WHERE.readme, "powered_answer", answer)
print(answer)
