"""Calibration on the published baseline only: the values the chip does not reveal are chosen so that
the emulated baseline's learning curves match the published hardware ones; dreaming is never used.

The target, ``data/reference/published_baseline_curves.csv``: the 10 hardware runs of the baseline
("no dreaming") as the authors released them (``results/rewards_{k}if_dream_0.npy`` of their
repository, MIT licence), 40 points each, every point the mean return of a 50-game block, unsmoothed.
In the released code all 10 runs shared one network; their spread is the readouts' and the game's.

The free value is the agent cores' pulse width (``PULSE_PWLK_P``, which the released code never set,
so it kept the chip's unknown power-on value): the spike counts, and with them the initial policy and
the speed of learning, depend steeply on it (notebook 01). Everything else keeps the calibration
record's literature values. Candidates are ranked on the per-seed design (each run its own network
and chip), whose mean curve is the expected curve of a network draw.

Scores of a candidate's runs against the published runs (:func:`curve_scores`), on per-run block
means: the start (first block, mean over runs) against the published start; the RMS difference of the
40-point mean curves; the fraction of points where our mean lies within the published mean +- 1 SD.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

PUBLISHED_CSV = Path(__file__).resolve().parent.parent / "data" / "reference" / "published_baseline_curves.csv"
BLOCK_GAMES = 50
TARGET_START_ERROR = 0.10
"""Our start (mean of the first block) within this of the published start."""
TARGET_RMS = 0.15
"""RMS difference between the 40-point mean curves at most this."""
CANDIDATE_AGENT_PULSES = ((5, 35), (5, 40), (5, 45), (5, 50), (5, 55), (5, 60))
"""The coarse search: ``PULSE_PWLK_P`` of the agent cores (larger fine code: larger current, shorter
pulse: 6.4, 5.6, 5.0, 4.5, 4.1 and 3.7 us)."""


def published_curves(path: Path | str = PUBLISHED_CSV) -> pd.DataFrame:
    """The published baseline runs: columns ``run``, ``games`` (games played at the block's end),
    ``mean_return`` (of the block's 50 games)."""
    d = pd.read_csv(path)
    return d.rename(columns={"mean_return_last_50_games": "mean_return"})[["run", "games", "mean_return"]]


def block_means(table: pd.DataFrame, keys=("seed",), block: int = BLOCK_GAMES) -> pd.DataFrame:
    """Per run (``keys``) and block: ``games`` at the block's end and the block's ``mean_return``
    (no smoothing, as the published file)."""
    t = table.assign(block=table.game // block)
    out = t.groupby([*keys, "block"], as_index=False)["return"].mean().rename(columns={"return": "mean_return"})
    out["games"] = (out.block + 1) * block
    return out.drop(columns="block")


def curve_scores(ours: pd.DataFrame, published: pd.DataFrame) -> dict:
    """Scores of our block means (``block_means``, one run per ``seed``) against the published runs,
    on the games both have (module docstring)."""
    mine = ours.groupby("games").mean_return.agg(["mean", "std", "size"])
    theirs = published.groupby("games").mean_return.agg(["mean", "std"])
    both = mine.join(theirs, lsuffix="_ours", rsuffix="_published", how="inner")
    if both.empty:
        raise ValueError("no block in common between our runs and the published ones")
    diff = both.mean_ours - both.mean_published
    inside = (diff.abs() <= both.std_published)
    first, last = both.index.min(), both.index.max()
    return {
        "runs": int(mine["size"].max()),
        "points": int(len(both)),
        "start_ours": float(both.mean_ours[first]), "start_published": float(both.mean_published[first]),
        "start_error": float(both.mean_ours[first] - both.mean_published[first]),
        "rms": float(np.sqrt((diff ** 2).mean())),
        "inside_1sd": float(inside.mean()),
        "final_ours": float(both.mean_ours[last]), "final_sd_ours": float(both.std_ours[last]),
        "final_published": float(both.mean_published[last]), "final_sd_published": float(both.std_published[last]),
        "meets_targets": bool(abs(both.mean_ours[first] - both.mean_published[first]) <= TARGET_START_ERROR
                              and np.sqrt((diff ** 2).mean()) <= TARGET_RMS and inside.all()),
    }


def choose(scores: pd.DataFrame) -> pd.Series:
    """The candidate to freeze: among those whose start is within the target, the smallest RMS; if
    none starts within it, the smallest RMS overall (the caller reports that the target was missed)."""
    if scores.empty:
        raise ValueError("no candidate to choose from")
    ok = scores[scores.start_error.abs() <= TARGET_START_ERROR]
    pool = ok if not ok.empty else scores
    return pool.loc[pool.rms.idxmin()]


SEARCH_MODEL_PULSE = (4, 45)
"""The world-model cores' pulse in the search's calibration records: the record's value when the
search ran (before the rule of :func:`~neurodream.emulator_study.matched_model_pulse` set it). The
baseline has no world-model neurons, so it does not act; it keeps the search's runs identified."""


def candidate_settings(codes=CANDIDATE_AGENT_PULSES) -> dict[str, dict]:
    """The coarse search as labelled config fields (``sweep.run_settings``): each candidate agent
    pulse as a calibration record."""
    from .chip import Calibration
    from .networks import AGENT_CHIP_CORES, MODEL_CHIP_CORES

    base = Calibration().with_core_bias(MODEL_CHIP_CORES, "PULSE_PWLK_P", SEARCH_MODEL_PULSE)
    return {f"agent pulse {c[0]},{c[1]}": {"calibration": base.with_core_bias(AGENT_CHIP_CORES, "PULSE_PWLK_P", c).to_dict()}
            for c in codes}


def selection_bootstrap(table: pd.DataFrame, published: pd.DataFrame, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """How firmly the data pick the chosen candidate: the runs of each candidate (``table``: one
    ``setting`` per candidate, runs by ``seed``) and the published runs are resampled with
    replacement ``n_boot`` times, the rule of :func:`choose` (start within the target, then the
    smallest RMS of the mean curves) is applied to each resample, and the share of resamples that
    picks each candidate is returned (``setting``, ``picked_share``, ``picked``). A share well below
    1 means the calibration is weakly identified: another resample of the same experiment would
    have chosen another value."""
    settings = list(dict.fromkeys(table.setting))
    ours = {s: block_means(table[table.setting == s]).pivot(index="seed", columns="games", values="mean_return")
            for s in settings}
    pub = published.pivot(index="run", columns="games", values="mean_return")
    games = sorted(set(pub.columns).intersection(*(set(o.columns) for o in ours.values())))
    if not games:
        raise ValueError("no block in common between the candidates' runs and the published ones")
    rng = np.random.default_rng(seed)
    pub_m = pub[games].to_numpy()
    pub_mean = pub_m[rng.integers(0, len(pub_m), (n_boot, len(pub_m)))].mean(axis=1)  # (boot, blocks)
    rms, start = [], []
    for s in settings:
        m = ours[s][games].to_numpy()
        mean = m[rng.integers(0, len(m), (n_boot, len(m)))].mean(axis=1)
        rms.append(np.sqrt(((mean - pub_mean) ** 2).mean(axis=1)))
        start.append(mean[:, 0] - pub_mean[:, 0])
    rms, start = np.array(rms), np.array(start)  # (candidates, boot)
    ok = np.abs(start) <= TARGET_START_ERROR
    score = np.where(ok | ~ok.any(axis=0), rms, np.inf)  # no candidate within the start target: all compete
    picks = score.argmin(axis=0)
    share = np.bincount(picks, minlength=len(settings)) / n_boot
    return pd.DataFrame({"setting": settings, "picked_share": share, "picked": np.bincount(picks, minlength=len(settings)),
                         "resamples": n_boot})
