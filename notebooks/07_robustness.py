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
# # 07 · Robustness: device mismatch and input spike timing
#
# Beyond the paper. Analog chips differ from neuron to neuron (mismatch) and their inputs are never
# perfectly timed; the paper argues that learning only the readouts copes with both, but reports one
# chip and regular input trains only. Here every run of both conditions is repeated with
#
# * mismatch CV 0, 10, 20 (the default) and 30 % (a fresh frozen draw per run seed), and
# * random input timing at the default mismatch: each regular input event jittered by a Gaussian of
#   1 ms SD, or every place cell replaced by a Poisson source with the same mean count per step
#   (`neurodream.encoding.randomise`).
#
# The runs with the default settings are those of the main study (cached), so the default size reuses
# them. Does dreaming still help, and how many real games does each setting need?

# %% tags=["parameters"]
quick = 0  # 1: tiny sizes, for CI
seeds = 3
games = 2000
jobs = 2
jitter_ms = 1.0

# %%
import matplotlib.pyplot as plt

from neurodream import analysis
from neurodream.plotting import figure_dir, save, setting_curves, use_style
from neurodream.sweep import run_settings

use_style()
if quick:
    seeds, games = 1, 3
OUT = figure_dir(quick)
settings = {
    "CV 0 %": {"mismatch_cv": 0.0},
    "CV 10 %": {"mismatch_cv": 0.1},
    "CV 20 % (default)": {},
    "CV 30 %": {"mismatch_cv": 0.3},
    f"jitter {jitter_ms:g} ms": {"input_jitter_ms": jitter_ms},
    "Poisson input": {"poisson_input": True},
}
table = run_settings(settings, conditions=["baseline", "dreaming"], seeds=seeds, games=games, quick=quick, jobs=jobs)
table.groupby(["setting", "condition"]).seed.nunique().unstack()

# %% [markdown]
# ## Learning curves
# Mean over runs of the paper's smoothed 50-game curves.

# %%
bands = analysis.curve_bands(analysis.learning_curves(table))
mismatch = [s for s in settings if s.startswith("CV")]
timing = ["CV 20 % (default)", *[s for s in settings if not s.startswith("CV")]]
fig = setting_curves(bands, mismatch, f"Device mismatch (paper fidelity, 10 ms, {games} games per run)")
save(fig, "07_mismatch", OUT)
fig = setting_curves(bands, timing, f"Input spike timing (mismatch CV 20 %, {games} games per run)")
save(fig, "07_input_timing", OUT)

# %% [markdown]
# ## Final performance, games to reach a level, and whether dreaming still helps
# `p_dreaming_better`: one-sided Mann–Whitney p that dreaming's final returns exceed the baseline's in
# that setting (with 3 runs per condition the smallest possible p is 0.05).

# %%
summary = analysis.setting_summary(table)
summary["setting"] = summary.setting.astype("category").cat.set_categories(list(settings))
summary = summary.sort_values(["setting", "condition"]).reset_index(drop=True)
if not quick:
    summary.to_csv(OUT / "07_robustness.csv", index=False)
summary.round(3)
