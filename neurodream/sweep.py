"""Sweeps: many training runs (seeds x conditions x settings) in parallel, cached one file per run.

>>> from neurodream.sweep import grid, sweep, load_results
>>> configs = grid(conditions=["baseline", "dreaming"], seeds=range(10), games=2000)
>>> sweep(configs, "data", n_jobs=2)               # doctest: +SKIP
>>> table = load_results("data", games=2000)       # doctest: +SKIP

Each run is written atomically to its own file (:func:`neurodream.training.save_run`) whose name
carries a hash of its config (the fields that differ from their defaults), so a sweep that is interrupted and started again skips every
run already on disk and loses nothing; a run that was cut short resumes from its last checkpoint
(every 50 games). A file at a run's name that is not its finished result (unreadable, another
config, made under another calibration than its config now resolves to, fewer games than its
config) is reported by name, kept aside as ``<name>.superseded`` and recomputed.
The same sweep runs on a Dask cluster when given a scheduler address (joblib's dask backend).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from pathlib import Path

import pandas as pd
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from .atomic_file import check_writable_folder
from .training import TrainConfig, checkpoint_path, load_run, run_is_current, run_path, save_run, train

CONFIG_COLUMNS = ("condition", "seed", "games", "wait_ms", "fidelity", "mismatch_cv")
"""Config fields copied into every row of :func:`load_results` (the rest stays in ``attrs``; none of
these names is a per-game column of the run table)."""


DATA = Path(__file__).resolve().parent.parent / "data"


def data_dir(quick: bool) -> Path:
    """data/ (committed results), or data/quick/ (not committed) for ``make figures QUICK=1``."""
    return DATA / "quick" if quick else DATA


def grid(*, conditions: Sequence[str] = ("baseline", "dreaming"), seeds: Iterable[int] = range(10),
         wait_ms: Sequence[float] = (10.0,), **fixed) -> list[TrainConfig]:
    """Every combination of seed x condition x wait time, with the other config fields ``fixed``.

    Seed-major order: a sweep cut short has finished whole seeds of every condition."""
    return [TrainConfig(condition=c, seed=int(s), wait_ms=float(w), **fixed)
            for s, c, w in itertools.product(list(seeds), conditions, wait_ms)]


def cached(cfg: TrainConfig, out_dir: Path | str, *, warn: bool = True) -> bool:
    """True if a readable, finished result of exactly this config is on disk. A file at its name
    that is not one (corrupt, another config, another calibration, fewer games) gives ``False``
    and, with ``warn``, a warning naming the file and why (:func:`run_one` keeps it aside)."""
    path = run_path(cfg, out_dir)
    if not path.exists():
        return False
    reason = why_not_finished(cfg, path)
    if reason and warn:
        warnings.warn(f"{reason}; the run will be recomputed and the file kept as {_aside_name(path).name}",
                      stacklevel=2)
    return reason is None


def why_not_finished(cfg: TrainConfig, path: Path) -> str | None:
    """Why the file at ``path`` is not the finished result of ``cfg`` (None when it is)."""
    try:
        table = load_run(path)
    except ValueError as err:
        return str(err)
    stored, asked = table.attrs["config"], cfg.to_dict()
    if stored != asked:
        diff = ", ".join(f"{k}: {stored.get(k)!r}, asked {v!r}" for k, v in asked.items() if stored.get(k) != v)
        return f"{path} holds another config than asked ({diff})"
    stale = run_is_current(table)
    if stale:
        return f"{path} {stale}"
    if "game" not in table or table["game"].tolist() != list(range(cfg.games)):
        return f"{path} holds {len(table)} of {cfg.games} games"
    return None


def _aside_name(path: Path) -> Path:
    """Where :func:`run_one` keeps a file it replaces: ``<name>.superseded`` (``-2``, ``-3``, ...
    when taken); not ``*.json``, so no loader reads it as a run."""
    aside, k = path.with_name(f"{path.name}.superseded"), 1
    while aside.exists():
        k += 1
        aside = path.with_name(f"{path.name}.superseded-{k}")
    return aside


def run_one(cfg: TrainConfig, out_dir: Path | str, *, warn: bool = True) -> Path:
    """Train one run and save it, unless its finished result is already on disk; returns the file.
    A file at the run's name that is not its result is renamed aside first (:func:`cached` says why),
    so no result is overwritten."""
    if not cached(cfg, out_dir, warn=warn):
        path = run_path(cfg, out_dir)
        if path.exists():
            path.rename(_aside_name(path))
        # a run cut short resumes from its checkpoint, next to where its result will be
        save_run(train(cfg, progress=False, checkpoint=checkpoint_path(cfg, out_dir)), cfg, out_dir)
    return run_path(cfg, out_dir)


def _run_or_report(cfg: TrainConfig, out_dir: Path | str) -> str | None:
    # a failing run must not stop the others: report it, raise after the sweep
    try:
        run_one(cfg, out_dir, warn=False)  # sweep() has warned about unusable files already
    except Exception as err:  # noqa: BLE001 - reported with the config below
        return f"{run_path(cfg, out_dir).name}: {type(err).__name__}: {err}"
    return None


DEFAULT_SECONDS_PER_GAME = {"baseline": 0.17, "dreaming": 0.55}
"""Wall time per game (s, one core) when the folder holds no run of the condition: the medians of
the committed runs in data/ (baseline 0.17 s, dreaming 0.55 s over the paper's settings)."""
SPEED_FIELDS = ("fidelity", "wait_ms", "host_ms", "awake_steps", "dream_steps", "dreams_per_game")
"""Config fields that set a run's speed most; runs that share them with a config are 'similar'."""


def measured_speed(out_dir: Path | str) -> pd.DataFrame:
    """Every game of the readable runs in ``out_dir``: its wall time (``wall_s``, s) with the
    run's ``condition`` and :data:`SPEED_FIELDS` (the input of :func:`estimate_cost`)."""
    frames = []
    for path in sorted(Path(out_dir).glob("*.json")):
        try:
            table = load_run(path)
        except ValueError:
            continue
        if "wall_s" in table:
            config = table.attrs["config"]
            # a file of the first emulation has no host_ms: its reads were back to back (0 ms)
            frames.append(table[["wall_s"]].assign(**{k: config.get(k, 0.0) for k in ("condition", *SPEED_FIELDS)}))
    columns = ["condition", *SPEED_FIELDS, "wall_s"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def estimate_cost(configs: Sequence[TrainConfig], walls: pd.DataFrame) -> pd.DataFrame:
    """Estimated wall time of each run (one core), one row per config: ``seconds_per_game``, the
    mean ``wall_s`` of the games in ``walls`` (:func:`measured_speed`) of similar runs (same
    condition and :data:`SPEED_FIELDS`); else the mean of the condition's games scaled by the
    emulated chip time per network step, ``wait_ms + host_ms``, of the config against that of
    each of those games (the emulator's work grows with the chip time it emulates); else
    :data:`DEFAULT_SECONDS_PER_GAME`. ``basis`` says which and how many games; ``seconds`` =
    ``games x seconds_per_game``. An estimate: speed depends on the machine and its load (runs
    measured on a busy machine make it pessimistic)."""
    rows = []
    for cfg in configs:
        same = walls[walls.condition == cfg.condition]
        similar = same[(same[list(SPEED_FIELDS)] == [getattr(cfg, f) for f in SPEED_FIELDS]).all(axis=1)]
        if len(similar):
            per_game, basis = float(similar.wall_s.mean()), f"{len(similar)} similar games"
        elif len(same):
            scale = (cfg.wait_ms + cfg.host_ms) / (same.wait_ms + same.host_ms).to_numpy(float)
            per_game = float((same.wall_s.to_numpy(float) * scale).mean())
            basis = f"{len(same)} games of the condition, scaled by chip time per step"
        else:
            per_game, basis = DEFAULT_SECONDS_PER_GAME[cfg.condition], "default"
        rows.append({"run": run_path(cfg, ".").name, "games": cfg.games, "seconds_per_game": per_game,
                     "basis": basis, "seconds": cfg.games * per_game})
    return pd.DataFrame(rows, columns=["run", "games", "seconds_per_game", "basis", "seconds"])


def describe_cost(missing: Sequence[TrainConfig], asked: int, out_dir: Path | str, *, n_jobs: int = -1,
                  scheduler: str | None = None, dry_run: bool = False, speed_dir: Path | str | None = None) -> str:
    """What a sweep is about to compute: how many of the ``asked`` runs are missing in ``out_dir``,
    their estimated cost (:func:`estimate_cost` on the measured speed of the runs in ``speed_dir``,
    by default ``out_dir``) and, for a dry run, each missing run."""
    lines = [f"{len(missing)} of {asked} runs missing in {out_dir}"]
    if missing:
        est = estimate_cost(missing, measured_speed(out_dir if speed_dir is None else speed_dir))
        hours = est.seconds.sum() / 3600
        workers = _workers(n_jobs, len(missing)) if scheduler is None else None
        parallel = f", about {hours / workers:.2g} h on {workers} parallel jobs" if workers else ""
        source = "the folder" if speed_dir is None else str(speed_dir)
        lines[0] += (f": estimate {hours:.2g} h of compute on one core{parallel} (from the wall time per "
                     f"game of the runs already in {source}; runs resumed from a checkpoint take less)")
    if dry_run:
        lines[0] += "; dry run, nothing computed"
        if missing:
            lines += [f"  {r.run}: {r.games} games x {r.seconds_per_game:.2g} s ({r.basis})" for r in est.itertuples()]
    elif missing:
        lines.append("(sweep(..., dry_run=True), or `python -m neurodream sweep ... --dry-run`, lists them "
                     "without computing)")
    return "\n".join(lines)


def _workers(n_jobs: int, runs: int) -> int:
    """Parallel local runs joblib starts for ``n_jobs`` (-1: one per core, -2: all but one, ...)."""
    cores = os.cpu_count() or 1
    return max(1, min(runs, n_jobs if n_jobs > 0 else cores + 1 + n_jobs))


def sweep(configs: Sequence[TrainConfig], out_dir: Path | str = "data", *, n_jobs: int = -1,
          scheduler: str | None = None, progress: bool = True, dry_run: bool = False,
          speed_dir: Path | str | None = None) -> list[Path]:
    """Run every config not yet on disk, ``n_jobs`` at a time on local cores (joblib), or on the Dask
    cluster at ``scheduler`` (e.g. ``"tcp://host:8786"``); returns the result files in config order.

    Before computing it prints how many runs are missing and an estimate of their cost
    (:func:`estimate_cost`, from the measured speed of the runs in ``speed_dir``, by default
    ``out_dir``). With ``dry_run`` it also lists them and computes nothing; it then returns the
    files of the missing runs only."""
    configs = list(configs)
    names = [run_path(c, out_dir).name for c in configs]
    if len(set(names)) != len(names):
        raise ValueError("the sweep lists the same config twice")
    todo = [c for c in configs if not cached(c, out_dir)]
    if todo or dry_run:
        print(describe_cost(todo, len(configs), out_dir, n_jobs=n_jobs, scheduler=scheduler, dry_run=dry_run,
                            speed_dir=speed_dir),
              flush=True)
    if dry_run:
        return [run_path(c, out_dir) for c in todo]
    failed = []
    if todo:
        check_writable_folder(out_dir)
        jobs = (delayed(_run_or_report)(c, out_dir) for c in todo)
        if scheduler is None:
            runner = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
            for err in tqdm(runner(jobs), total=len(todo), desc="runs", disable=not progress):
                if err:
                    failed.append(err)
                    warnings.warn(f"run failed (the others go on): {err}", stacklevel=2)
        else:
            from dask.distributed import Client
            from joblib import parallel_config

            with Client(scheduler), parallel_config(backend="dask"):
                failed = [e for e in Parallel()(jobs) if e]
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(todo)} runs failed (finished runs are saved):\n"
                           + "\n".join(failed))
    return [run_path(c, out_dir) for c in configs]


def load_results(out_dir: Path | str = "data", **where) -> pd.DataFrame:
    """Every run in ``out_dir`` as one tidy DataFrame (one row per game), keeping runs whose config
    matches ``where`` (e.g. ``games=2000, fidelity="paper"``) and leaving out, with a warning naming
    each, files that are not readable runs and runs made under a calibration their config no longer
    resolves to.

    Every row carries its run's id (``run``: the file name without ``.json``), the
    :data:`CONFIG_COLUMNS` and every other config field whose value differs between the runs kept
    (as ``config_<field>`` where a per-game column has the field's name, e.g. ``config_dream_steps``;
    ``calibration`` as JSON text), so runs of two settings never look alike. For the results of
    exactly the runs of a sweep use :func:`load_configs`."""
    frames = []
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = set(where) - fields
    if unknown:
        raise ValueError(f"unknown config fields {sorted(unknown)}; allowed: {sorted(fields)}")
    for path in sorted(Path(out_dir).glob("*.json")):
        try:
            table = _load_with_config(path)
        except ValueError as err:  # one bad file (or another program's JSON) must not stop the rest
            warnings.warn(f"{err}; left out", stacklevel=2)
            continue
        if any(table.attrs["config"].get(k) != v for k, v in where.items()):
            continue
        stale = run_is_current(table)
        if stale:
            warnings.warn(f"{path.name} {stale}; left out (rerun its sweep to recompute it)", stacklevel=2)
            continue
        table["run"] = path.stem
        frames.append(table)
    if not frames:
        return pd.DataFrame(columns=["game", "return", "run", *CONFIG_COLUMNS])
    _add_differing_config_columns(frames)
    return pd.concat(frames, ignore_index=True)


def _add_differing_config_columns(frames: list[pd.DataFrame]) -> None:
    # every config field (beyond CONFIG_COLUMNS) that differs between the runs becomes a column
    per_game = set().union(*(f.columns for f in frames))
    for name in (f.name for f in dataclasses.fields(TrainConfig)):
        if name in CONFIG_COLUMNS:
            continue
        values = [_column_value(f.attrs["config"][name]) for f in frames]
        if len(set(values)) > 1:
            column = f"config_{name}" if name in per_game else name
            for frame, value in zip(frames, values):
                frame[column] = value


def _column_value(value: Any) -> Any:
    """A config value as a table cell: mappings as JSON text, ``None`` as ``"default"``."""
    if value is None:
        return "default"
    return json.dumps(value, sort_keys=True) if isinstance(value, Mapping) else value


def load_configs(configs: Sequence[TrainConfig], out_dir: Path | str,
                 labels: Sequence[str] | None = None) -> pd.DataFrame:
    """The results of exactly ``configs`` (each must be on disk: see :func:`sweep`), in config
    order, with the :data:`CONFIG_COLUMNS` and, given ``labels`` (one per config), a ``setting``
    column holding them."""
    frames = []
    for k, cfg in enumerate(configs):
        table = _load_with_config(run_path(cfg, out_dir))
        if labels is not None:
            table["setting"] = labels[k]
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


def run_study(conditions: Sequence[str], *, seeds: int, games: int, quick: bool = False, jobs: int = -1,
              wait_ms: Sequence[float] = (10.0,), **fixed) -> tuple[list[TrainConfig], pd.DataFrame]:
    """What a notebook needs: run (or load from the cache) seeds ``0..seeds-1`` of each condition and
    wait time, in data/ (data/quick/ when ``quick``); returns the configs and exactly their results."""
    configs = grid(conditions=conditions, seeds=range(seeds), wait_ms=wait_ms, games=games, **fixed)
    return configs, _run_and_load(configs, quick, jobs)


def run_settings(settings: Mapping[str, Mapping[str, Any]], *, conditions: Sequence[str] | None = None,
                 seeds: int, games: int, quick: bool = False, jobs: int = -1) -> pd.DataFrame:
    """Seeds ``0..seeds-1`` of each condition under each labelled setting (config fields, e.g.
    ``{"CV 0 %": {"mismatch_cv": 0.0}}``), all in one sweep; the results of exactly those runs with
    a ``setting`` column holding the label. A setting that names its ``condition`` runs that one
    only (then ``conditions`` may be None)."""
    labelled = []
    for label, fields in settings.items():
        fields = dict(fields)
        own = [fields.pop("condition")] if "condition" in fields else conditions
        if own is None:
            raise ValueError(f"setting {label!r} names no condition and no conditions were given")
        labelled += [(label, c) for c in grid(conditions=own, seeds=range(seeds), games=games, **fields)]
    return _run_and_load([c for _, c in labelled], quick, jobs, labels=[label for label, _ in labelled])


def _run_and_load(configs: list[TrainConfig], quick: bool, jobs: int, labels: Sequence[str] | None = None) -> pd.DataFrame:
    out = data_dir(quick)
    sweep(configs, out, n_jobs=jobs)
    return load_configs(configs, out, labels)


def _load_with_config(path: Path) -> pd.DataFrame:
    table = load_run(path)
    for col in CONFIG_COLUMNS:
        table[col] = table.attrs["config"][col]
    return table
