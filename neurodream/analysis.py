"""The paper's statistics of learning runs (docs/protocol.md §7): learning curves, final performance,
Mann-Whitney U (two-sided, and one-sided as the paper), games needed to reach a return level (per
run, censored, Kaplan-Meier), and the random policy's return. The methods themselves, with their
checked coverage, are in :mod:`neurodream.stats`.

Input everywhere: the tidy per-game table of :func:`neurodream.sweep.load_results` (columns
``condition, seed, game, return, ...``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

BLOCK_GAMES = 50
"""Learning curves: mean return of each block of 50 games, one point every 50 games."""
SAVGOL = (9, 3)
"""Savitzky-Golay window (points) and polynomial order applied to each run's block means."""
FINAL_GAMES = 50
"""Final performance: mean return of a run's last 50 games."""
GROUP_KEYS = ("setting", "condition", "fidelity", "wait_ms")
"""Columns that tell groups of runs apart, where present (``setting``: see :func:`neurodream.sweep.run_settings`)."""
RUN_KEYS = (*GROUP_KEYS, "seed")


def _keys(df: pd.DataFrame, keys) -> list[str]:
    return [k for k in keys if k in df]


def _run_keys(table: pd.DataFrame) -> list[str]:
    """The :data:`RUN_KEYS` present in ``table``; where the table has a ``run`` column (as
    :func:`neurodream.sweep.load_results` gives), ``ValueError`` if two runs share those keys, naming
    the columns they differ in: they would be averaged together as one run."""
    keys = _keys(table, RUN_KEYS)
    if "run" not in table:
        return keys
    runs = table.groupby(keys, dropna=False)["run"].nunique()
    if (runs > 1).any():
        key = runs.index[runs > 1][0]
        same = table.loc[table.set_index(keys).index == key]
        per_run = same.groupby("run").nunique(dropna=False)
        differ = [c for c in per_run if (per_run[c] == 1).all() and same[c].nunique(dropna=False) > 1]
        raise ValueError(f"{runs[key]} runs share {dict(zip(keys, key if isinstance(key, tuple) else (key,)))} "
                         f"but differ in {', '.join(differ) or 'their config'}: select one setting "
                         "or label each with a 'setting' column")
    return keys


def learning_curves(table: pd.DataFrame, *, block: int = BLOCK_GAMES, savgol=SAVGOL) -> pd.DataFrame:
    """One row per run and block: ``game`` (games played at the block's end), ``mean_return`` and
    ``smoothed`` (Savitzky-Golay over the run's blocks when it has at least ``savgol[0]`` of them,
    else the block means themselves)."""
    keys = _keys(table, RUN_KEYS)
    t = table.assign(block=table.game // block)
    curves = t.groupby([*keys, "block"], as_index=False)["return"].mean().rename(columns={"return": "mean_return"})
    curves["game"] = (curves.block + 1) * block
    return _smoothed(curves.drop(columns="block"), keys, savgol)


def smooth_block_means(blocks: pd.DataFrame, savgol=SAVGOL) -> pd.DataFrame:
    """:func:`learning_curves` of runs given as block means (columns ``seed``, ``games``, ``return``
    and any group keys, e.g. the published runs), smoothed the same way."""
    curves = blocks.rename(columns={"return": "mean_return", "games": "game"})
    return _smoothed(curves, _keys(curves, RUN_KEYS), savgol)


def _smoothed(curves: pd.DataFrame, keys: list[str], savgol) -> pd.DataFrame:
    # each run's block means smoothed by Savitzky-Golay, as the paper's figures are
    from scipy.signal import savgol_filter

    parts = []
    for _, run in curves.groupby(keys, sort=False):
        run = run.sort_values("game").copy()
        y = run.mean_return.to_numpy()
        run["smoothed"] = savgol_filter(y, *savgol) if y.size >= savgol[0] else y
        parts.append(run)
    return pd.concat(parts, ignore_index=True)


def curve_bands(curves: pd.DataFrame, column: str = "smoothed") -> pd.DataFrame:
    """Across seeds, per condition and game: mean, SD, 80th percentile and number of runs."""
    keys = _keys(curves, GROUP_KEYS)
    g = curves.groupby([*keys, "game"])[column]
    return pd.DataFrame({"mean": g.mean(), "sd": g.std(ddof=1), "p80": g.quantile(0.8), "runs": g.size()}).reset_index()


def final_performance(table: pd.DataFrame, last: int = FINAL_GAMES) -> pd.DataFrame:
    """Per run: mean return of its last ``last`` games (``final_return``) and, where the table has
    it, the mean policy entropy over those games (``final_entropy``, nats; ln 3 = uniform)."""
    keys = _run_keys(table)
    n = table.groupby(keys)["game"].transform("max")
    tail = table[table.game > n - last]
    columns = ["return", "policy_entropy"] if "policy_entropy" in table else ["return"]
    out = tail.groupby(keys, as_index=False)[columns].mean()
    return out.rename(columns={"return": "final_return", "policy_entropy": "final_entropy"})


def mann_whitney(final: pd.DataFrame, better: str = "dreaming", worse: str = "baseline") -> dict:
    """Mann-Whitney U of ``better``'s final returns against ``worse``'s: U is ``better``'s statistic,
    ``p_one_sided`` the paper's test (``better`` higher), ``p_two_sided`` the test this package
    reports (:func:`neurodream.stats.mann_whitney`)."""
    from . import stats

    a = final.loc[final.condition == better, "final_return"].to_numpy()
    b = final.loc[final.condition == worse, "final_return"].to_numpy()
    if a.size == 0 or b.size == 0:
        raise ValueError(f"need final returns of both {better!r} and {worse!r}; got {a.size} and {b.size} runs")
    res = stats.mann_whitney(a, b)
    return {"U": res["U"], "p_one_sided": res["p_one_sided_greater"], "p_two_sided": res["p_two_sided"],
            "n_" + better: int(a.size), "n_" + worse: int(b.size)}


def paired_difference(per_seed: pd.DataFrame, a: str, b: str) -> dict:
    """Two columns of a per-seed table (rows: seeds, as notebook 04's control section builds it),
    compared on the seeds that have both: mean of ``a - b`` with its 95 % t-interval
    (:func:`neurodream.stats.mean_interval`), how many seeds have ``a > b``, and the two-sided
    Wilcoxon signed-rank p (runs of one seed share their chip and their first games, so pairing
    them removes that part of the spread)."""
    from scipy.stats import wilcoxon

    from . import stats

    both = per_seed[[a, b]].dropna()
    if len(both) < 2:
        raise ValueError(f"need at least 2 seeds with both {a!r} and {b!r}; got {len(both)}")
    d = both[a] - both[b]
    p = float(wilcoxon(both[a], both[b]).pvalue) if (d != 0).any() else 1.0
    lo, hi = stats.mean_interval(d.to_numpy())
    return {"a": a, "b": b, "seeds": int(len(both)), "mean_difference": float(d.mean()), "ci95_low": lo,
            "ci95_high": hi, "seeds_a_higher": int((d > 0).sum()), "wilcoxon_p": p}


def above_random(final: pd.DataFrame, random_mean: float, keys=("condition",)) -> pd.DataFrame:
    """Per group (``keys`` present in ``final``): how many runs end above the random policy's mean
    return, and the two-sided Wilcoxon signed-rank p that the final returns are centred on it
    (``p_vs_random``; the random mean taken as exact; with 10 runs all on one side, p = 0.002)."""
    from scipy.stats import wilcoxon

    by = _keys(final, keys)
    rows = []
    for key, f in final.groupby(by):
        d = f.final_return.to_numpy() - random_mean
        p = float(wilcoxon(d).pvalue) if (d != 0).any() else 1.0
        rows.append({**dict(zip(by, key)), "runs": int(d.size), "runs_above_random": int((d > 0).sum()),
                     "p_vs_random": p})
    return pd.DataFrame(rows)


def games_to_level(table: pd.DataFrame, level: float, block: int = BLOCK_GAMES) -> pd.DataFrame:
    """Per run: the real games it needed for a ``block``-game block's mean return to reach ``level``
    (``games``: games played at the end of the first such block; ``reached`` True), or, for a run
    that never reaches it, the games it played (``reached`` False: censored, it would need more).
    Each run's own unsmoothed block means, so no run borrows from its later games."""
    keys = _run_keys(table)
    played = table.groupby(keys).game.max() + 1
    blocks = table.assign(block=table.game // block).groupby([*keys, "block"])["return"].mean()
    first_hit = blocks[blocks >= level].reset_index("block").groupby(keys).block.min()
    out = played.rename("played").to_frame().join(first_hit.rename("first_block"))
    reached = out.first_block.notna()
    out = pd.DataFrame({"level": float(level),
                        "games": np.where(reached, (out.first_block + 1) * block, out.played).astype(float),
                        "reached": reached.to_numpy()}, index=out.index)
    return out.reset_index()


def reach_summary(table: pd.DataFrame, levels) -> pd.DataFrame:
    """Per group (:data:`GROUP_KEYS` present) and level: the Kaplan-Meier median of the games a run
    needs to reach the level (:func:`games_to_level`; runs that never do are censored) with its 95 %
    interval (:func:`neurodream.stats.km_median`: NaN where the data cannot bound it), and how many
    of the runs reached it."""
    from . import stats

    keys = _keys(table, GROUP_KEYS)
    rows = []
    for level in levels:
        per_run = games_to_level(table, level)
        for key, g in per_run.groupby(keys):
            med = stats.km_median(g.games.to_numpy(), g.reached.to_numpy())
            rows.append({**dict(zip(keys, key if isinstance(key, tuple) else (key,))), "level": level,
                         "km_median_games": med["median"], "ci95_low": med["ci_low"], "ci95_high": med["ci_high"],
                         "runs": med["runs"], "reached": med["reached"]})
    return pd.DataFrame(rows)


def describe_reach(row) -> str:
    """One cell for a table: ``'650 (400–1100), 8/10 reached'``; an end of the interval the data
    cannot bound as ``'≥ 400'``; 'not reached by half' where the median itself is censored."""
    lo, hi = row.ci95_low, row.ci95_high
    if lo == lo and hi == hi:
        interval = f"{lo:.0f}–{hi:.0f}"
    elif lo == lo:
        interval = f"≥ {lo:.0f}"
    elif hi == hi:
        interval = f"≤ {hi:.0f}"
    else:
        interval = "unbounded"
    head = f"{row.km_median_games:.0f} ({interval})" if row.km_median_games == row.km_median_games \
        else "not reached by half"
    return f"{head}, {int(row.reached)}/{int(row.runs)} reached"


def setting_summary(table: pd.DataFrame, levels=(-1.0, -0.5, 0.0), random_mean: float | None = None) -> pd.DataFrame:
    """Per ``setting`` and condition: runs, final return mean and SD (ddof 1), the Kaplan-Meier
    median of the games to reach each level with how many runs reached it (``games_to_<level>`` as
    :func:`describe_reach` text; :func:`reach_summary` has the numbers), (per setting, on the
    dreaming row) the Mann-Whitney p that dreaming and the baseline differ, two-sided
    (``mw_p_two_sided``) and one-sided as the paper (``mw_p_one_sided``) and, given the random
    policy's ``random_mean``, the runs above it (:func:`above_random`)."""
    reach = reach_summary(table, levels)
    reach["text"] = [describe_reach(r) for r in reach.itertuples()]
    reach = reach.pivot_table(index=["setting", "condition"], columns="level", values="text", aggfunc="first")
    reach.columns = [f"games_to_{level:g}" for level in reach.columns]
    final = final_performance(table)
    out = final.groupby(["setting", "condition"]).final_return.agg(runs="size", final_mean="mean", final_sd="std")
    out = out.join(reach)
    out["mw_p_two_sided"] = np.nan
    out["mw_p_one_sided"] = np.nan
    for setting, f in final.groupby("setting"):
        if {"baseline", "dreaming"} <= set(f.condition):
            mw = mann_whitney(f)
            out.loc[(setting, "dreaming"), "mw_p_two_sided"] = mw["p_two_sided"]
            out.loc[(setting, "dreaming"), "mw_p_one_sided"] = mw["p_one_sided"]
    if random_mean is not None:
        above = above_random(final, random_mean, keys=("setting", "condition")).set_index(["setting", "condition"])
        out = out.join(above.drop(columns="runs"))
    return out.reset_index()


def random_policy_return(games: int = 100, steps: int = 100, seed: int = 0) -> tuple[float, float]:
    """Mean and SD of the return of a uniformly random policy over ``games`` games of ``steps`` steps."""
    from .pong import Pong

    rng = np.random.default_rng(seed)
    env = Pong(seed)
    out = []
    for _ in range(games):
        env.start_game()
        ret = 0.0
        for _ in range(steps):
            _, r, done = env.step(int(rng.integers(3)))
            ret += r
            if done:
                break
        out.append(ret)
    env.close()
    return float(np.mean(out)), float(np.std(out, ddof=1))


PUBLISHED = {
    ("final_mean", "dreaming"): 0.36, ("final_sd_ddof0", "dreaming"): 0.48,
    ("final_mean", "baseline"): -0.24, ("final_sd_ddof0", "baseline"): 0.65,
    ("mann_whitney_U", "dreaming>baseline"): 83.0, ("mann_whitney_p_one_sided", "dreaming>baseline"): 0.007,
    ("start_mean", "baseline"): -1.65, ("start_mean", "dreaming"): -1.65, ("random_policy", "-"): -1.68,
}
"""The paper's numbers (10 runs per condition, 2000 games), for the summary's comparison column. Its
SDs are population SDs (ddof 0: the released analysis used ``np.std``), its p the one-sided
Mann-Whitney test; :func:`published_p_values` gives both sidednesses from its U."""
PUBLISHED_RUNS = 10
"""Runs per condition in the paper."""


def published_p_values() -> dict:
    """The exact Mann-Whitney p-values of the published U = 83 with 10 runs per condition, one- and
    two-sided (:func:`neurodream.stats.exact_mann_whitney_p`; the paper printed the one-sided one)."""
    from . import stats

    return stats.exact_mann_whitney_p(PUBLISHED[("mann_whitney_U", "dreaming>baseline")], PUBLISHED_RUNS, PUBLISHED_RUNS)


def summary_rows(final: pd.DataFrame, mw: dict | None, reach: pd.DataFrame, random_mean: float, *,
                 runs: dict, games: int, fidelity: str, curves: pd.DataFrame | None = None,
                 table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The numbers the README quotes, each beside the published value where there is one, with the
    convention of each (``how``: SD ddof, test sidedness, estimator). ``reach``:
    :func:`reach_summary` of the same runs."""
    from . import stats

    rows = [{"quantity": "random_policy", "condition": "-", "value": random_mean, "how": "mean of 200 games"}]
    for cond, f in final.groupby("condition"):
        x = f.final_return.to_numpy()
        lo, hi = stats.mean_interval(x) if x.size > 1 else (np.nan, np.nan)
        rows += [{"quantity": "runs", "condition": cond, "value": runs.get(cond, np.nan)},
                 {"quantity": "games_per_run", "condition": cond, "value": games},
                 {"quantity": "final_mean", "condition": cond, "value": x.mean(), "ci95_low": lo, "ci95_high": hi,
                  "how": "mean of the last 50 games per run, mean over runs; t-interval"},
                 {"quantity": "final_sd_ddof1", "condition": cond, "value": stats.sd(x, 1) if x.size > 1 else np.nan,
                  "how": "sample SD (ddof 1)"},
                 {"quantity": "final_sd_ddof0", "condition": cond, "value": stats.sd(x, 0),
                  "how": "population SD (ddof 0), as published"}]
    for _, row in above_random(final, random_mean).iterrows():
        rows += [{"quantity": "runs_above_random", "condition": row.condition, "value": row.runs_above_random},
                 {"quantity": "p_vs_random", "condition": row.condition, "value": row.p_vs_random,
                  "how": "two-sided Wilcoxon signed-rank, final returns against the random policy's mean"}]
    if curves is not None:
        first = curves[curves.game == curves.game.min()].groupby("condition").mean_return.mean()
        rows += [{"quantity": "start_mean", "condition": c, "value": v, "how": "first 50 games, mean over runs"}
                 for c, v in first.items()]
    if table is not None:  # the emulator's own time: one run on one core of this machine
        wall = table.groupby(["condition", "seed"]).wall_s.sum().groupby("condition").mean() / 60
        rows += [{"quantity": "wall_minutes_per_run", "condition": c, "value": v} for c, v in wall.items()]
    if mw:
        pub = published_p_values()
        rows += [{"quantity": "mann_whitney_U", "condition": "dreaming>baseline", "value": mw["U"]},
                 {"quantity": "mann_whitney_p_one_sided", "condition": "dreaming>baseline", "value": mw["p_one_sided"],
                  "how": "one-sided (dreaming higher), as published"},
                 {"quantity": "mann_whitney_p_two_sided", "condition": "dreaming>baseline", "value": mw["p_two_sided"],
                  "how": "two-sided; published: exact, from its U", "published": pub["two_sided"]}]
    for r in reach.itertuples():
        rows.append({"quantity": f"games_to_{r.level:+.1f}", "condition": r.condition, "value": r.km_median_games,
                     "ci95_low": r.ci95_low, "ci95_high": r.ci95_high,
                     "how": f"Kaplan-Meier median over runs, {r.reached} of {r.runs} runs reached it (others censored)"})
    out = pd.DataFrame(rows)
    if "published" not in out:
        out["published"] = np.nan
    out["published"] = [p if p == p else PUBLISHED.get((q, c), np.nan)
                        for q, c, p in zip(out.quantity, out.condition, out.published)]
    for col in ("ci95_low", "ci95_high", "how"):
        if col not in out:
            out[col] = np.nan
    out["fidelity"] = fidelity
    return out[["quantity", "condition", "value", "ci95_low", "ci95_high", "published", "how", "fidelity"]]


def readme_markers(key: str) -> tuple[str, str]:
    """The comments that enclose the README block a notebook writes (``key`` names the block)."""
    return f"<!-- {key}:start -->", f"<!-- {key}:end -->"


README_START, README_END = readme_markers("summary")


def markdown_table(df: pd.DataFrame) -> str:
    """``df`` as a markdown table: numbers to 3 significant digits (:func:`format_number`), a
    missing value as an empty cell."""
    return _markdown(df)


def format_number(v) -> str:
    """A table cell: ``""`` for NaN or None; a whole number as an integer (2000, not 2e+03); a
    number of 100 or more rounded to an integer; else 3 significant digits."""
    if v is None or (isinstance(v, (float, np.floating)) and math.isnan(v)):
        return ""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        return str(v)
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    if abs(v) >= 100:
        return str(int(round(float(v))))
    return f"{float(v):.3g}"


MARKDOWN_WIDTH = 100
"""The longest line the README and docs/ hold outside tables (a reader's screen, a diff's width)."""


def wrap_markdown(md: str, width: int = MARKDOWN_WIDTH) -> str:
    """``md`` with every prose line longer than ``width`` wrapped at spaces: table rows (``|``),
    headings, HTML comments, code fences and the lines between them stay as they are; a list item
    (``* ``, ``- ``, ``1. ``) keeps its marker and continues indented under its text. Words are never
    split, so a single word longer than ``width`` (a URL) stays whole.

    >>> print(wrap_markdown("* " + "word " * 5, width=12))
    * word word
      word word
      word
    >>> wrap_markdown("| a table row longer than the width |", width=10)
    '| a table row longer than the width |'
    """
    import re
    import textwrap

    out, fenced = [], False
    for line in md.split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        keep = (fenced or len(line) <= width or line.lstrip().startswith(("|", "#", "<!--", "```")))
        if keep:
            out.append(line)
            continue
        m = re.match(r"(\s*(?:[*-]|\d+\.)\s+|\s*)", line)
        lead = m.group(1)
        out.extend(textwrap.wrap(line[len(lead):], width=width, initial_indent=lead,
                                 subsequent_indent=" " * len(lead), break_long_words=False,
                                 break_on_hyphens=False))
    return "\n".join(out)


def replace_readme_block(readme, key: str, md: str) -> bool:
    """Replace the README's text between the markers of ``key`` by ``md`` (numbers in the README come
    from the notebooks), its prose wrapped at :data:`MARKDOWN_WIDTH` (:func:`wrap_markdown`); the
    same for a block in a page of ``docs/``. Returns False, changing nothing, when the file or a
    marker is missing."""
    from pathlib import Path

    md = wrap_markdown(md)
    readme = Path(readme)
    start, end = readme_markers(key)
    if not readme.exists():
        return False
    text = readme.read_text()
    if start not in text or end not in text:
        return False
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(f"{head}{start}\n{md}\n{end}{tail}")
    return True


def write_summary(summary: pd.DataFrame, directory, label: str, readme=None) -> None:
    """Write ``summary_<label>.csv``/``.md`` into ``directory`` (``label``: the world model's variant,
    e.g. ``paper``, ``corrected``); given a ``readme``, also replace its block between the summary
    markers with the table (notebook 04 passes the README only for its committed defaults:
    :func:`neurodream.outputs.notebook_outputs`)."""
    from pathlib import Path

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    summary.to_csv(directory / f"summary_{label}.csv", index=False)
    md = markdown_table(summary)
    (directory / f"summary_{label}.md").write_text(md + "\n")
    if readme is not None:
        replace_readme_block(readme, "summary", md)


def _markdown(df: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(format_number(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)
