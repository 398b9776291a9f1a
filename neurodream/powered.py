"""The powered, pre-registered study (docs/preregistration.md, notebook 10): its arms, seeds, blocks,
endpoints, tests and the sentences each outcome writes, fixed before its first run.

Everything the pre-registration fixes is a constant or a function here, so the notebook cannot
analyse the runs in any other way than the one registered: :data:`ARMS` and :data:`PLANNED_RUNS`
(the arms and how many seeds each), :func:`configs` (their runs, in blocks of seeds across all
arms), :func:`endpoints` (final return, AUC, games to -1.0 per run), :func:`primary_test`,
:func:`secondary_tests` (with Holm's adjustment) and :func:`primary_sentence`. Runs live in
``data/powered/``; :func:`runs_after_preregistration` checks with git that each was committed after
the pre-registration.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
PREREGISTRATION = ROOT / "docs" / "preregistration.md"
RUNS_DIR = ROOT / "data" / "powered"
"""Where the study's run files live (one per run, named by :func:`neurodream.training.run_path`)."""

ARMS: dict[str, dict] = {
    "baseline": {"condition": "baseline"},
    "dreaming": {"condition": "dreaming"},
    "baseline_extra_adam_step": {"condition": "baseline", "zero_gradient_steps": 1},
    "dreaming_own_adam": {"condition": "dreaming", "dream_optimizer": "own"},
    "sham_second_window": {"condition": "baseline", "second_window": True},
}
"""Arm -> the TrainConfig fields that differ from the default (the calibrated released loop, 2000 games)."""
FIRST_SEED = 100
"""Seeds 100..199: none of them was used by any earlier run of the package (seeds 0..99 were)."""
PLANNED_RUNS = {"baseline": 100, "dreaming": 100, "baseline_extra_adam_step": 100, "dreaming_own_adam": 50,
                "sham_second_window": 50}
"""Seeds per arm: arm k runs seeds FIRST_SEED .. FIRST_SEED + PLANNED_RUNS[arm] - 1."""
BLOCK_SEEDS = 20
"""Runs are made in blocks of 20 seeds across every arm that plans them (100-119 for all, then
120-139, ...), so at any stop every arm has the same seeds."""
GAMES = 2000
FINAL_FIRST_GAME, FINAL_LAST_GAME = 1950, 1999
"""The primary endpoint: mean return of games 1950..1999 (0-based), the paper's last 50 games."""
LEVEL = -1.0
"""The level of the time-to-event endpoint: games until a 50-game block's mean return reaches it."""
ALPHA = 0.05
SMALLEST_EFFECT = 0.3
"""The smallest difference in final return the study is meant to detect or exclude (return units)."""
PRIMARY = ("dreaming", "baseline")
SECONDARY = (
    ("dreaming", "baseline", "auc_return"),
    ("dreaming", "baseline", "games_to_minus1"),
    ("baseline_extra_adam_step", "baseline", "final_return"),
    ("dreaming_own_adam", "dreaming", "final_return"),
    ("dreaming_own_adam", "baseline", "final_return"),
    ("sham_second_window", "baseline", "final_return"),
)
"""The secondary comparisons (arm a, arm b, endpoint), one family for Holm's adjustment."""
PUBLISHED_DESIGN_U = 83.0
"""The paper's U (10 runs per condition, one network per condition), for :func:`published_under_emulation`."""


def seeds(arm: str) -> list[int]:
    """The planned seeds of ``arm``."""
    if arm not in ARMS:
        raise ValueError(f"unknown arm {arm!r}; allowed: {', '.join(ARMS)}")
    return list(range(FIRST_SEED, FIRST_SEED + PLANNED_RUNS[arm]))


def configs(blocks: int | None = None) -> list[tuple[str, "TrainConfig"]]:
    """``(arm, config)`` of every planned run in the order they are made: block by block (20 seeds
    each), within a block seed by seed across the arms. ``blocks`` limits it to the first blocks."""
    from .training import TrainConfig

    last = FIRST_SEED + max(PLANNED_RUNS.values())
    starts = list(range(FIRST_SEED, last, BLOCK_SEEDS))
    if blocks is not None:
        if not (isinstance(blocks, int) and 1 <= blocks <= len(starts)):
            raise ValueError(f"blocks = {blocks!r} must be an integer from 1 to {len(starts)}")
        starts = starts[:blocks]
    out = []
    for start in starts:
        for seed in range(start, min(start + BLOCK_SEEDS, last)):
            for arm, fields in ARMS.items():
                if seed in seeds(arm):
                    out.append((arm, TrainConfig(seed=seed, games=GAMES, **fields)))
    return out


def endpoints(table: pd.DataFrame, games: int = GAMES) -> pd.DataFrame:
    """Per run of a tidy table (columns ``arm``, ``seed``, ``game``, ``return``): ``final_return``
    (the last 50 of ``games``: games 1950-1999 of the registered 2000), ``auc_return`` (mean return
    over all games), ``games_to_minus1`` and ``reached_minus1``
    (:func:`neurodream.analysis.games_to_level` at -1.0; censored at the games played when never
    reached). A run that does not hold games 0..games-1 exactly is refused (``games`` other than
    2000: the tiny runs of ``make figures QUICK=1`` only)."""
    from .analysis import games_to_level

    played = table.groupby(["arm", "seed"]).game.agg(["min", "max", "size"])
    short = played[(played["min"] != 0) | (played["max"] != games - 1) | (played["size"] != games)]
    if len(short):
        arm, seed = short.index[0]
        raise ValueError(f"run {arm} seed {seed} does not hold games 0..{games - 1} exactly; endpoints need whole runs")
    first = games - (FINAL_LAST_GAME - FINAL_FIRST_GAME + 1)
    final = table[table.game >= first].groupby(["arm", "seed"])["return"].mean()
    auc = table.groupby(["arm", "seed"])["return"].mean()
    reach = games_to_level(table.rename(columns={"arm": "setting"}), LEVEL).rename(columns={"setting": "arm"})
    reach = reach.set_index(["arm", "seed"])
    out = pd.DataFrame({"final_return": final, "auc_return": auc}).join(
        reach[["games", "reached"]].rename(columns={"games": "games_to_minus1", "reached": "reached_minus1"}))
    return out.reset_index()[["arm", "seed", "final_return", "auc_return", "games_to_minus1", "reached_minus1"]]


def compare(per_run: pd.DataFrame, a: str, b: str, endpoint: str) -> dict:
    """Arm ``a`` against arm ``b`` on one endpoint, as registered: for ``final_return`` and
    ``auc_return`` Welch's t (mean difference a - b, 95 % Welch interval, two-sided p) with the
    two-sided Mann-Whitney p beside it; for ``games_to_minus1`` the two-sided log-rank test (the
    difference of the Kaplan-Meier medians, a - b, with no interval: NaN)."""
    from . import stats

    x, y = per_run[per_run.arm == a], per_run[per_run.arm == b]
    if len(x) < 2 or len(y) < 2:
        raise ValueError(f"need at least 2 runs of {a!r} and of {b!r}; got {len(x)} and {len(y)}")
    row = {"comparison": f"{a} - {b}", "endpoint": endpoint, "n_a": int(len(x)), "n_b": int(len(y))}
    if endpoint in ("final_return", "auc_return"):
        w = stats.welch(x[endpoint], y[endpoint])
        mw = stats.mann_whitney(x[endpoint], y[endpoint])
        row.update(mean_difference=w["mean_difference"], ci95_low=w["ci_low"], ci95_high=w["ci_high"],
                   p_two_sided=w["p_two_sided"], test="Welch t", mann_whitney_p_two_sided=mw["p_two_sided"])
    elif endpoint == "games_to_minus1":
        lr = stats.logrank(x.games_to_minus1, x.reached_minus1, y.games_to_minus1, y.reached_minus1)
        ma = stats.km_median(x.games_to_minus1, x.reached_minus1)["median"]
        mb = stats.km_median(y.games_to_minus1, y.reached_minus1)["median"]
        row.update(mean_difference=ma - mb, ci95_low=np.nan, ci95_high=np.nan, p_two_sided=lr["p_two_sided"],
                   test="log-rank (difference of Kaplan-Meier medians)", mann_whitney_p_two_sided=np.nan)
    else:
        raise ValueError(f"unknown endpoint {endpoint!r}; allowed: final_return, auc_return, games_to_minus1")
    return row


TEST_COLUMNS = ["comparison", "endpoint", "n_a", "n_b", "mean_difference", "ci95_low", "ci95_high", "p_two_sided",
                "p_holm", "test", "mann_whitney_p_two_sided", "role"]


def all_tests(per_run: pd.DataFrame) -> pd.DataFrame:
    """The primary comparison (no adjustment: ``p_holm`` = its p) and the secondary family with
    Holm-adjusted p; comparisons whose arms have fewer than 2 runs are left out."""
    counts = per_run.arm.value_counts()

    def enough(a, b):
        return min(counts.get(a, 0), counts.get(b, 0)) >= 2

    rows = [{**compare(per_run, *PRIMARY, "final_return"), "role": "primary"}] if enough(*PRIMARY) else []
    secondary = [{**compare(per_run, a, b, e), "role": "secondary"} for a, b, e in SECONDARY if enough(a, b)]
    out = pd.DataFrame(rows + secondary, columns=[c for c in TEST_COLUMNS if c != "p_holm"])
    from .stats import holm

    out["p_holm"] = out.p_two_sided
    sec = out.role == "secondary"
    if sec.any():
        out.loc[sec, "p_holm"] = holm(out.loc[sec, "p_two_sided"].to_numpy())
    return out[TEST_COLUMNS]


def outcome(row, smallest: float = SMALLEST_EFFECT, alpha: float = ALPHA, p_column: str = "p_two_sided") -> str:
    """The registered reading of one comparison: ``"higher"`` (p < alpha, difference > 0),
    ``"lower"``, ``"equivalent"`` (p >= alpha and the 95 % interval inside +-``smallest``) or
    ``"inconclusive"``."""
    p = row[p_column]
    if p < alpha:
        return "higher" if row["mean_difference"] > 0 else "lower"
    if row["ci95_low"] > -smallest and row["ci95_high"] < smallest:
        return "equivalent"
    return "inconclusive"


def primary_sentence(row) -> str:
    """The sentence the pre-registration fixed for each outcome of the primary comparison."""
    d, lo, hi, p = row["mean_difference"], row["ci95_low"], row["ci95_high"], row["p_two_sided"]
    numbers = f"{d:+.2f} (95 % CI {lo:+.2f} to {hi:+.2f}; Welch t, two-sided p = {p:.2g}; {row['n_a']} and {row['n_b']} runs)"
    return {
        "higher": f"Dreaming helps on the emulated chip: it raises the final return by {numbers}.",
        "lower": f"Dreaming hurts on the emulated chip: it changes the final return by {numbers}.",
        "equivalent": f"On the emulated chip dreaming makes no difference larger than "
                      f"{max(abs(lo), abs(hi)):.2f} in final return: {numbers}.",
        "inconclusive": f"Inconclusive: dreaming minus baseline is {numbers}; the interval includes both no "
                        f"effect and an effect of {SMALLEST_EFFECT} or more.",
    }[outcome(row)]


def secondary_sentence(row) -> str:
    """The registered reading of one secondary comparison, with its Holm-adjusted p."""
    reading = outcome(row, p_column="p_holm")
    what = {"final_return": "final return", "auc_return": "mean return over all games",
            "games_to_minus1": "games to reach -1.0 (Kaplan-Meier median)"}[row["endpoint"]]
    a, b = row["comparison"].split(" - ")
    d = row["mean_difference"]
    numbers = ((f"{d:+.2f}" if d == d else "medians not both reached")
               + (f" (95 % CI {row['ci95_low']:+.2f} to {row['ci95_high']:+.2f})" if row["ci95_low"] == row["ci95_low"] else "")
               + f", Holm-adjusted p = {row['p_holm']:.2g}")
    if row["endpoint"] == "games_to_minus1":  # fewer games is better; no interval, so no equivalence
        reading = "inconclusive" if reading == "equivalent" else reading
        verb = {"higher": "needs more games than", "lower": "needs fewer games than"}.get(reading)
    else:
        verb = {"higher": "is higher than", "lower": "is lower than", "equivalent": "is equivalent (within "
                f"+-{SMALLEST_EFFECT}) to"}.get(reading)
    if verb is None:
        return f"`{a}` against `{b}`, {what}: not separated, {numbers}."
    return f"`{a}` {verb} `{b}` in {what}: {numbers}."


def published_under_emulation(per_run: pd.DataFrame, share: float, share_low: float, share_high: float, *,
                              runs: int = 10, n_sim: int = 20_000, seed: int = 0, grid: int = 5) -> dict:
    """How surprising the published result is if the emulation is right: the probability that the
    paper's design (one network per condition, ``runs`` runs each, the one-sided Mann-Whitney U of
    dreaming's final returns over the baseline's) gives U >= 83, in a normal model with the
    measured share of variance between networks (``share``, from notebook 09's network draws), the
    measured total SD (both primary arms, pooled) and the measured dreaming effect (the primary
    mean difference). Its interval carries the uncertainty of the share and of the effect: the
    probability's smallest and largest values over the box of their 97.5 % intervals (both hold
    together with probability at least 95 %, Bonferroni): ``share_low`` and ``share_high`` are the
    share's 97.5 % interval (:func:`neurodream.stats.icc_interval` with ``level=0.975``)."""
    from scipy.stats import mannwhitneyu

    from . import stats

    a = per_run[per_run.arm == "dreaming"].final_return.to_numpy()
    b = per_run[per_run.arm == "baseline"].final_return.to_numpy()
    w = stats.welch(a, b, level=0.975)
    sd = math.sqrt((a.var(ddof=1) * (a.size - 1) + b.var(ddof=1) * (b.size - 1)) / (a.size + b.size - 2))
    rng = np.random.default_rng(seed)
    z_net = rng.standard_normal((n_sim, 2))
    z_run = rng.standard_normal((n_sim, 2, runs))

    def probability(effect, share_between):
        x = sd * (math.sqrt(share_between) * z_net[:, :, None] + math.sqrt(1 - share_between) * z_run)
        x[:, 0] += effect
        u = mannwhitneyu(x[:, 0], x[:, 1], axis=1).statistic
        return float((u >= PUBLISHED_DESIGN_U).mean())

    box = [probability(e, s) for e in np.linspace(w["ci_low"], w["ci_high"], grid)
           for s in np.linspace(share_low, share_high, grid)]
    return {"probability": probability(w["mean_difference"], share), "ci95_low": min(box), "ci95_high": max(box),
            "effect": w["mean_difference"], "effect_ci975_low": w["ci_low"], "effect_ci975_high": w["ci_high"],
            "share_between": share, "share_ci_low": share_low, "share_ci_high": share_high, "total_sd": sd,
            "runs_per_condition": runs, "U_at_least": PUBLISHED_DESIGN_U, "simulated_experiments": n_sim}


def _git(*args: str) -> str | None:
    try:
        res = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return res.stdout.strip() if res.returncode == 0 else None


def preregistration_commit() -> str | None:
    """The commit that first added docs/preregistration.md (None: no git history, or not committed)."""
    out = _git("log", "--diff-filter=A", "--format=%H", "--", str(PREREGISTRATION.relative_to(ROOT)))
    return out.splitlines()[-1] if out else None


def runs_after_preregistration(paths) -> pd.DataFrame:
    """For each run file: the commit that added it and whether the pre-registration's commit is its
    ancestor (``after``: True), or, for a file not yet committed, ``after`` True with commit None
    (it is being made now, after the pre-registration, which must itself be committed). Raises
    ``ValueError`` naming the pre-registration when it is not committed, or naming the first run
    file committed before it; returns an empty check (column ``checked`` False) where the
    checkout has no git history."""
    paths = [Path(p) for p in paths]
    if _git("rev-parse", "--git-dir") is None:
        return pd.DataFrame({"run": [p.name for p in paths], "commit": None, "after": np.nan, "checked": False})
    prereg = preregistration_commit()
    if prereg is None:
        raise ValueError(f"{PREREGISTRATION} is not committed: the study's runs must follow a committed pre-registration")
    rows = []
    for path in paths:
        added = _git("log", "--diff-filter=A", "--format=%H", "--", str(path.resolve().relative_to(ROOT)))
        commit = added.splitlines()[-1] if added else None
        after = True if commit is None else (
            commit != prereg and _git("merge-base", "--is-ancestor", prereg, commit) is not None)
        if not after:
            raise ValueError(f"{path.name} was committed in {commit[:10]}, before the pre-registration ({prereg[:10]}): "
                             "the powered study's answer is drawn only from runs made after it")
        rows.append({"run": path.name, "commit": commit, "after": after, "checked": True})
    return pd.DataFrame(rows)


def progress(present: pd.DataFrame) -> pd.DataFrame:
    """Planned against present runs per arm (``present``: rows ``arm, seed``), and whether every
    arm's present seeds are the first ones of its plan (the blocks were kept)."""
    rows = []
    for arm in ARMS:
        have = sorted(present.loc[present.arm == arm, "seed"])
        plan = seeds(arm)
        rows.append({"arm": arm, "planned": len(plan), "present": len(have),
                     "first_seeds_in_order": have == plan[:len(have)]})
    return pd.DataFrame(rows)


def power(effect: float, sd: float, n_per_arm: int, alpha: float = ALPHA) -> float:
    """Power of the two-sided two-sample t-test (equal SDs ``sd``, ``n_per_arm`` runs each) to find a
    true difference ``effect``, from the noncentral t distribution."""
    from scipy.stats import nct, t

    df = 2 * n_per_arm - 2
    nc = effect / (sd * math.sqrt(2 / n_per_arm))
    crit = t.ppf(1 - alpha / 2, df)
    return float(nct.sf(crit, df, nc) + nct.cdf(-crit, df, nc))


def run(out_dir: Path | str = RUNS_DIR, *, jobs: int = 2, blocks: int | None = None, dry_run: bool = False,
        progress_bar: bool = True) -> list[Path]:
    """Make the study's missing runs in ``out_dir``, block by block (:func:`configs`), ``jobs`` at a
    time; finished runs are skipped and unfinished ones resume from their checkpoints, so the same
    call resumes an interrupted study. Prints the count and estimated cost first (from the speed
    of the committed runs in ``data/``); ``dry_run`` lists the missing runs and computes nothing."""
    from .sweep import DATA, sweep

    plan = [cfg for _, cfg in configs(blocks)]
    out_dir = Path(out_dir).resolve()
    print(f"powered study: {len(plan)} runs planned in {out_dir} ({'first ' + str(blocks) + ' blocks' if blocks else 'all blocks'})",
          flush=True)
    return sweep(plan, out_dir, n_jobs=jobs, dry_run=dry_run, progress=progress_bar, speed_dir=DATA)
