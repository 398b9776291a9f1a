"""Why did dreaming win on the chip? The arms of notebook 09 and the false-positive rate of the paper's design.

In the released wiring the world model never receives the action, so a dream's policy gradient has
zero mean given its trajectory: dreams cannot teach which action is better. Each arm below changes
one candidate cause of the published advantage, on paired seeds (a seed's network, mismatch, game
and readout initialisation are the same in every arm):

=======================  ==========================================================================
``baseline``             the paper's baseline
``sham_second_window``   the baseline plus the world model's window of the dreaming setup, without a
                         world model: the agent's counts span two windows per step, as with dreaming
``dreaming_no_dreams``   the dreaming setup with no dream steps (world model learning, no dreams)
``dreaming``             the paper's dreaming
``dreams_zero_reward``   dreams run and step Adam with a zero gradient (the bookkeeping alone)
``dreams_noise``         each dream's policy gradient replaced by zero-mean noise of the same norm
``baseline_double_lr``   the baseline at twice the policy learning rate
``dreaming_corrected``   dreaming with the action-conditioned world model (``corrected`` wiring)
=======================  ==========================================================================

The paper's design: both conditions' 10 runs shared one network each, and the test was a one-sided
Mann-Whitney U on the final returns. :func:`ordered_pair_tests` applies that test to pairs of
network draws of the *same* condition (the baseline): every rejection is a false positive.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

ARMS: dict[str, dict] = {
    "baseline": {"condition": "baseline"},
    "sham_second_window": {"condition": "baseline", "second_window": True},
    "dreaming_no_dreams": {"condition": "dreaming", "dream_steps": 0},
    "dreaming": {"condition": "dreaming"},
    "dreams_zero_reward": {"condition": "dreaming", "dream_reward": "zero"},
    "dreams_noise": {"condition": "dreaming", "dream_reward": "noise"},
    "baseline_double_lr": {"condition": "baseline", "policy_lr": 0.008},
    "dreaming_corrected": {"condition": "dreaming", "fidelity": "corrected"},
}
"""Arm name -> the config fields that differ from the default (the paper's baseline)."""
COMPARE_WITH = ("baseline", "dreaming")
"""Every arm is compared seed by seed with these two."""
PAPER_DESIGN_CHIP_SEED = 0
"""The paper's design: one chip (its device mismatch) for both conditions and every run."""
PAPER_DESIGN_NETWORKS = {"baseline": 1000, "dreaming": 2000}
"""The connectivity draw of each condition in the paper's design; the false-positive study's further
baseline draws are 1001, 1002, ..."""


def arm_configs(arms, seeds, games: int, **fixed) -> list[tuple[str, "TrainConfig"]]:
    """``(arm, config)`` for each arm and seed; ``fixed`` fields go to every config."""
    from .training import TrainConfig

    unknown = set(arms) - set(ARMS)
    if unknown:
        raise ValueError(f"unknown arms {sorted(unknown)}; allowed: {', '.join(ARMS)}")
    return [(arm, TrainConfig(seed=int(s), games=games, **{**ARMS[arm], **fixed})) for arm in arms for s in seeds]


def final_by_seed(final: pd.DataFrame) -> pd.DataFrame:
    """Rows ``arm, seed, final_return, final_entropy`` as a per-seed table (seeds x arms) of final
    returns."""
    return final.pivot_table(index="seed", columns="arm", values="final_return")


def bootstrap_ci(d: np.ndarray, rng: np.random.Generator, n_boot: int = 10_000, level: float = 0.95):
    """Percentile bootstrap interval of the mean of ``d`` (resampling its entries)."""
    d = np.asarray(d, dtype=float)
    if d.size < 2:
        return (np.nan, np.nan)
    means = rng.choice(d, size=(n_boot, d.size), replace=True).mean(axis=1)
    a = (1 - level) / 2
    return float(np.quantile(means, a)), float(np.quantile(means, 1 - a))


def paired_comparisons(per_seed: pd.DataFrame, against=COMPARE_WITH, seed: int = 0) -> pd.DataFrame:
    """Each arm against each of ``against``, on the seeds both have: mean of the seed-by-seed
    difference (arm minus reference) with its 95 % bootstrap interval, seeds where the arm is higher,
    and the two-sided Wilcoxon signed-rank p."""
    from .analysis import paired_difference

    rng = np.random.default_rng(seed)
    rows = []
    for ref in against:
        if ref not in per_seed:
            continue
        for arm in per_seed.columns:
            if arm == ref:
                continue
            res = paired_difference(per_seed, arm, ref)
            both = per_seed[[arm, ref]].dropna()
            lo, hi = bootstrap_ci((both[arm] - both[ref]).to_numpy(), rng)
            rows.append({"arm": arm, "against": ref, "seeds": res["seeds"],
                         "mean_difference": res["mean_difference"], "ci95_low": lo, "ci95_high": hi,
                         "seeds_arm_higher": res["seeds_a_higher"], "wilcoxon_p": res["wilcoxon_p"]})
    return pd.DataFrame(rows)


def ordered_pair_tests(final: pd.DataFrame, by: str = "network_seed") -> pd.DataFrame:
    """The paper's test (one-sided Mann-Whitney U, "first group higher") for every ordered pair of
    groups of ``final`` (one group per network draw): one row per pair with U and p."""
    from scipy.stats import mannwhitneyu

    groups = {k: g.final_return.to_numpy() for k, g in final.groupby(by)}
    rows = []
    for a, b in itertools.permutations(sorted(groups), 2):
        res = mannwhitneyu(groups[a], groups[b], alternative="greater")
        rows.append({"first": a, "second": b, "U": float(res.statistic), "p": float(res.pvalue)})
    return pd.DataFrame(rows)


def false_positive_rates(tests: pd.DataFrame, alphas=(0.01, 0.05)) -> pd.DataFrame:
    """Share of the ordered pair tests with p below each alpha (every pair compares identical
    conditions, so each rejection is a false positive), with a Wilson 95 % interval; the pairs share
    draws, so the interval is optimistic."""
    n = len(tests)
    rows = []
    for alpha in alphas:
        k = int((tests.p < alpha).sum())
        lo, hi = _wilson(k, n)
        rows.append({"test": "one-sided Mann-Whitney U, first draw > second", "alpha": alpha, "rate": k / n if n else np.nan,
                     "rejections": k, "simulated_comparisons": n, "wilson95_low": lo, "wilson95_high": hi,
                     "method": "network draws of the baseline, every ordered pair"})
    return pd.DataFrame(rows)


def variance_components(final: pd.DataFrame, by: str = "network_seed") -> dict:
    """One-way random-effects ANOVA of the final returns over groups (network draws) of equal size:
    between-group and within-group variance components and the share between (the intraclass
    correlation; method of moments, floored at 0)."""
    groups = [g.final_return.to_numpy() for _, g in final.groupby(by)]
    k = len(groups)
    n = min(len(g) for g in groups)
    if k < 2 or n < 2:
        raise ValueError(f"need at least 2 groups of at least 2 runs; got {k} groups, smallest {n}")
    groups = [g[:n] for g in groups]
    grand = np.mean(np.concatenate(groups))
    msb = n * sum((g.mean() - grand) ** 2 for g in groups) / (k - 1)
    msw = sum(((g - g.mean()) ** 2).sum() for g in groups) / (k * (n - 1))
    between = max((msb - msw) / n, 0.0)
    return {"groups": k, "runs_per_group": n, "between_variance": float(between), "within_variance": float(msw),
            "share_between": float(between / (between + msw)) if between + msw > 0 else np.nan}


def model_false_positive_rates(components: dict, runs_per_group: int = 10, alphas=(0.01, 0.05),
                               n_sim: int = 20_000, seed: int = 0) -> pd.DataFrame:
    """The same false-positive rates from a model: two conditions identical in distribution, each one
    network draw (a normal network effect of the between variance) plus normal run-to-run variation
    (the within variance), the paper's test on ``runs_per_group`` runs each; ``n_sim`` comparisons."""
    from scipy.stats import mannwhitneyu

    rng = np.random.default_rng(seed)
    sb, sw = np.sqrt(components["between_variance"]), np.sqrt(components["within_variance"])
    a = rng.normal(0, sb, (n_sim, 1)) + rng.normal(0, sw, (n_sim, runs_per_group))
    b = rng.normal(0, sb, (n_sim, 1)) + rng.normal(0, sw, (n_sim, runs_per_group))
    p = mannwhitneyu(a, b, alternative="greater", axis=1).pvalue
    rows = []
    for alpha in alphas:
        rate = float((p < alpha).mean())
        rows.append({"test": "one-sided Mann-Whitney U, first draw > second", "alpha": alpha, "rate": rate,
                     "rejections": int((p < alpha).sum()), "simulated_comparisons": n_sim,
                     "wilson95_low": _wilson(int((p < alpha).sum()), n_sim)[0],
                     "wilson95_high": _wilson(int((p < alpha).sum()), n_sim)[1],
                     "method": f"normal model: between SD {sb:.3f}, within SD {sw:.3f}"})
    return pd.DataFrame(rows)


def _wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (np.nan, np.nan)
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return float(max(centre - half, 0.0)), float(min(centre + half, 1.0))
