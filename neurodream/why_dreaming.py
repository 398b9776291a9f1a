"""Where could the published advantage of dreaming come from? The arms of notebook 09, the optimiser's
share in a dream's update, and the false-positive rate of the paper's design.

In the released wiring the world model never receives the action, so a dream's policy gradient has
zero mean given its trajectory: the *content* of a dream cannot teach which action is better. Its
*effect* on the policy need not be zero: the dream's update goes through the same Adam optimiser as
the real game's, and Adam's first moment carries most of the real step into the dream's step
(:func:`adam_step_replay` measures how much). Each arm below changes one candidate cause of the
published advantage, on paired seeds (a seed's network, mismatch, game and readout initialisation
are the same in every arm):

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


def paired_comparisons(per_seed: pd.DataFrame, against=COMPARE_WITH) -> pd.DataFrame:
    """Each arm against each of ``against``, on the seeds both have: mean of the seed-by-seed
    difference (arm minus reference) with its 95 % t-interval, seeds where the arm is higher, and
    the two-sided Wilcoxon signed-rank p (:func:`neurodream.analysis.paired_difference`). These are
    pairwise tests after an omnibus one (:func:`omnibus`), not adjusted for their number."""
    from .analysis import paired_difference

    rows = []
    for ref in against:
        if ref not in per_seed:
            continue
        for arm in per_seed.columns:
            if arm == ref:
                continue
            res = paired_difference(per_seed, arm, ref)
            rows.append({"arm": arm, "against": ref, "seeds": res["seeds"],
                         "mean_difference": res["mean_difference"], "ci95_low": res["ci95_low"],
                         "ci95_high": res["ci95_high"], "seeds_arm_higher": res["seeds_a_higher"],
                         "wilcoxon_p": res["wilcoxon_p"]})
    return pd.DataFrame(rows)


def omnibus(per_seed: pd.DataFrame) -> dict:
    """Friedman's test that no arm differs from the others (seeds as blocks, complete seeds only):
    the test to read before any pairwise comparison (:func:`neurodream.stats.friedman`)."""
    from . import stats

    return stats.friedman(per_seed)


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
    conditions, so each rejection is a false positive), with a Wilson 95 % interval that treats the
    tests as independent, which they are not: each unordered pair gives two one-sided tests, and
    every draw enters several pairs. ``draw_most_rejections`` names the draw that enters most
    rejections and how many."""
    n = len(tests)
    rows = []
    for alpha in alphas:
        hit = tests[tests.p < alpha]
        k = int(len(hit))
        lo, hi = _wilson(k, n)
        involved = pd.concat([hit["first"], hit["second"]]).value_counts()
        rows.append({"test": "one-sided Mann-Whitney U, first draw > second", "alpha": alpha, "rate": k / n if n else np.nan,
                     "rejections": k, "simulated_comparisons": n, "wilson95_low": lo, "wilson95_high": hi,
                     "unordered_pairs": n // 2,
                     "draw_most_rejections": f"{involved.index[0]} ({int(involved.iloc[0])} of {k})" if k else "",
                     "method": "network draws of the baseline, every ordered pair"})
    return pd.DataFrame(rows)


def variance_components(final: pd.DataFrame, by: str = "network_seed") -> dict:
    """One-way random-effects ANOVA of the final returns over groups (network draws) of equal size:
    between-group and within-group variance components, the share between (the intraclass
    correlation; method of moments, floored at 0) and its F-based 95 % interval
    (:func:`neurodream.stats.icc_interval`)."""
    from . import stats

    groups = [g.final_return.to_numpy() for _, g in final.groupby(by)]
    n = min((len(g) for g in groups), default=0)
    if len(groups) < 2 or n < 2:
        raise ValueError(f"need at least 2 groups of at least 2 runs; got {len(groups)} groups, smallest {n}")
    return stats.icc_interval([g[:n] for g in groups])


def model_false_positive_rates(components: dict, runs_per_group: int = 10, alphas=(0.01, 0.05),
                               n_sim: int = 20_000, seed: int = 0) -> pd.DataFrame:
    """The same false-positive rates from a model: two conditions identical in distribution, each one
    network draw (a normal network effect of the between variance) plus normal run-to-run variation
    (the within variance), the paper's test on ``runs_per_group`` runs each; ``n_sim`` comparisons.
    The rate depends on the share between alone (the test uses ranks), so where ``components`` has
    the share's interval (:func:`variance_components`), the rates at its ends give the interval
    that carries the uncertainty of the variance components (``share95_low`` / ``share95_high``
    columns); the Wilson interval is the Monte-Carlo error alone."""
    share = components.get("share_between")
    if share is None:  # components given as variances only
        total = components["between_variance"] + components["within_variance"]
        share = components["between_variance"] / total
    rates = rates_at_share([share], runs_per_group, alphas, n_sim, seed)[0]
    ends = None
    if "share_ci_low" in components:
        ends = rates_at_share([components["share_ci_low"], components["share_ci_high"]], runs_per_group, alphas,
                              n_sim, seed)
    rows = []
    for k, alpha in enumerate(alphas):
        hits = int(round(rates[k] * n_sim))
        low, high = _wilson(hits, n_sim)
        row = {"test": "one-sided Mann-Whitney U, first draw > second", "alpha": alpha, "rate": float(rates[k]),
               "rejections": hits, "simulated_comparisons": n_sim, "wilson95_low": low, "wilson95_high": high,
               "method": f"normal model: share between networks {share:.2f}"}
        if ends is not None:
            row["share95_low"], row["share95_high"] = float(ends[0][k]), float(ends[1][k])
        rows.append(row)
    return pd.DataFrame(rows)


def rates_at_share(shares, runs_per_group: int = 10, alphas=(0.01, 0.05), n_sim: int = 20_000,
                   seed: int = 0) -> np.ndarray:
    """For each share of variance between networks (0 to 1): the rate at each alpha at which the
    paper's test rejects between two identical conditions of one network draw each, from ``n_sim``
    simulated comparisons (normal model, total variance 1; common random numbers across shares, so
    the rates are monotone in the share up to the test's discreteness). Shape (shares, alphas)."""
    from scipy.stats import mannwhitneyu

    rng = np.random.default_rng(seed)
    net = rng.standard_normal((n_sim, 2))
    runs = rng.standard_normal((n_sim, 2, runs_per_group))
    out = []
    for share in shares:
        if not 0 <= share <= 1:
            raise ValueError(f"share between = {share!r} must lie in [0, 1]")
        x = np.sqrt(share) * net[:, :, None] + np.sqrt(1 - share) * runs
        p = mannwhitneyu(x[:, 0], x[:, 1], alternative="greater", axis=1).pvalue
        out.append([float((p < a).mean()) for a in alphas])
    return np.array(out)


def adam_step_replay(cfg, games: int | None = None) -> pd.DataFrame:
    """How much of a dream's update is the optimiser replaying the real game's step (the dreaming
    condition with one dream per game). Trains run ``cfg`` (``games`` of it) and records every
    policy update; one row per learning game (policy gradients on): the gradient norms of the real
    game and of its dream (``grad_norm_real``, ``grad_norm_dream``), the norms of the two Adam steps
    (``step_norm_real``, ``step_norm_dream``), the dream step's projection on the real step in units
    of the real step (``projection``: 1 = the dream repeats the real step) and their cosine. A dream
    whose content carries no signal, but whose step replays Adam's momentum, shows a small gradient
    ratio beside a projection near 1."""
    import dataclasses
    from unittest import mock

    from .readouts import Policy
    from .training import train

    if cfg.condition != "dreaming" or cfg.dreams_per_game != 1 or not cfg.dream_steps:
        raise ValueError("adam_step_replay needs the dreaming condition with one dream per game "
                         f"(got condition {cfg.condition!r}, dreams_per_game {cfg.dreams_per_game}, "
                         f"dream_steps {cfg.dream_steps})")
    if not cfg.adam_from_game0:
        raise ValueError("adam_step_replay expects an update after every game and dream (adam_from_game0)")
    if games is not None:
        cfg = dataclasses.replace(cfg, games=int(games))
    records = []
    original = Policy.update

    def recording(policy, adam=None):
        before, grad = policy.J.copy(), policy.G.copy()
        original(policy, adam)
        records.append((grad, policy.J - before))

    with mock.patch.object(Policy, "update", recording):
        train(cfg, progress=False)
    rows = []
    for game in range(cfg.learn_after_game + 1, cfg.games):
        (g_real, s_real), (g_dream, s_dream) = records[2 * game], records[2 * game + 1]
        nr, nd = float(np.linalg.norm(s_real)), float(np.linalg.norm(s_dream))
        rows.append({"game": game, "grad_norm_real": float(np.linalg.norm(g_real)),
                     "grad_norm_dream": float(np.linalg.norm(g_dream)), "step_norm_real": nr, "step_norm_dream": nd,
                     "projection": float((s_dream * s_real).sum() / nr ** 2) if nr else np.nan,
                     "cosine": float((s_dream * s_real).sum() / (nr * nd)) if nr and nd else np.nan})
    return pd.DataFrame(rows)


def _wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (np.nan, np.nan)
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return float(max(centre - half, 0.0)), float(min(centre + half, 1.0))


def p_value_spread(effect: float, sd: float, runs: int = 10, n_sim: int = 20_000, seed: int = 0,
                   quantiles=(0.25, 0.5, 0.75)) -> dict:
    """How much the paper's p-value varies from one repetition of its experiment to the next: the
    quantiles of the one-sided Mann-Whitney p over ``n_sim`` simulated experiments of ``runs`` runs
    per condition, final returns normal with SD ``sd`` and a true difference ``effect``. Under no
    effect the p-value is uniform (median 0.5); a p-value that moves a lot between two sets of
    runs is what this spread predicts, not a sign of an error."""
    from scipy.stats import mannwhitneyu

    rng = np.random.default_rng(seed)
    a = rng.normal(effect, sd, (n_sim, runs))
    b = rng.normal(0.0, sd, (n_sim, runs))
    p = mannwhitneyu(a, b, alternative="greater", axis=1).pvalue
    return {q: float(np.quantile(p, q)) for q in quantiles}
