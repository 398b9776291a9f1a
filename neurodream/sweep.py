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
config, a digest that is missing or does not match: :mod:`neurodream.run_digest`) is reported by
name, kept aside as ``<name>.superseded`` and recomputed.

Each run is computed under its lock (:mod:`neurodream.run_lock`): a run that another process is
computing (a second sweep on the same folder) is put off until the sweep's other runs are done,
then waited for (the sweep says which and who holds it) and its result taken, or computed if that
process ended without finishing it. A local worker process that dies (killed, out of memory) fails
only its own run, with an error naming it, and the sweep goes on (:func:`_run_locally`); a sweep
that is killed ends its worker processes (:func:`_end_with_parent`).
The same sweep runs on a Dask cluster when given a scheduler address (:func:`_run_on_cluster`: each
run one task submitted to the cluster, never run in the sweep's own process, into the folder as an
absolute path; a worker whose OpenBLAS runs other kernels than the pinned ones fails its runs with a
message saying how to start it pinned: :func:`worker_kernel_problem`).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import multiprocessing
import os
import sys
import re
import signal
import threading
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence, Sized
from typing import Any
from pathlib import Path

import pandas as pd
from joblib import Parallel, delayed
from joblib.externals.loky.process_executor import TerminatedWorkerError
from tqdm.auto import tqdm

from . import blas
from .atomic_file import check_writable_folder
from .run_lock import RunLocked, hold, lock_path, remove_orphan_temporaries
from .training import TrainConfig, checkpoint_path, load_run, run_is_current, run_path, train

CONFIG_COLUMNS = ("condition", "seed", "games", "wait_ms", "fidelity", "mismatch_cv")
"""Config fields copied into every row of :func:`load_results` (the rest stays in ``attrs``; none of
these names is a per-game column of the run table)."""


DATA = Path(__file__).resolve().parent.parent / "data"
"""The package's data folder: the committed runs (the command line's default ``--out``)."""
MAX_RUNS = 100_000
"""Most runs one sweep (or command line) may ask for: 100 000 runs of the paper's 2000 games take 1
(baseline) to 3.5 (dreaming) core-years. A larger request is a typo (``--seeds 0-999999``), refused
before any config is built (a million configs alone take gigabytes)."""


def data_dir(quick: bool) -> Path:
    """data/ (committed results), or data/quick/ (not committed) for ``make figures QUICK=1``."""
    return DATA / "quick" if quick else DATA


def grid(*, conditions: Sequence[str] = ("baseline", "dreaming"), seeds: Iterable[int] = range(10),
         wait_ms: Sequence[float] = (10.0,), **fixed) -> list[TrainConfig]:
    """Every combination of seed x condition x wait time, with the other config fields ``fixed``.

    Seed-major order: a sweep cut short has finished whole seeds of every condition. More than
    :data:`MAX_RUNS` combinations raise ``ValueError`` naming the count, before any config is built."""
    seeds = seeds if isinstance(seeds, Sized) else list(seeds)
    conditions, wait_ms = list(conditions), list(wait_ms)
    check_run_count(len(seeds) * len(conditions) * len(wait_ms),
                    f"{len(seeds)} seeds x {len(conditions)} conditions x {len(wait_ms)} wait times")
    return [TrainConfig(condition=c, seed=int(s), wait_ms=float(w), **fixed)
            for s, c, w in itertools.product(seeds, conditions, wait_ms)]


def check_run_count(count: int, what: str = "") -> None:
    """``ValueError`` naming ``count`` (and ``what`` makes it) when it is more than :data:`MAX_RUNS`."""
    if count > MAX_RUNS:
        detail = f" ({what})" if what else ""
        raise ValueError(f"{count} runs asked for{detail}; at most {MAX_RUNS} runs per sweep (as many runs "
                         "of 2000 games take core-years): ask for fewer seeds")


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
    """Why the file at ``path`` is not the finished result of ``cfg`` (None when it is): not a run
    file :func:`~neurodream.training.load_run` accepts (corrupt, its digest missing or not
    matching, a value of the wrong kind), another config, another loop or calibration, fewer games."""
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


def set_aside(path: Path) -> Path:
    """Rename the file at ``path`` to :func:`_aside_name` (``<name>.superseded``) and return the new
    name: what replaces a file that is not a run's result keeps it."""
    aside = _aside_name(path)
    path.rename(aside)
    return aside


def run_one(cfg: TrainConfig, out_dir: Path | str, *, warn: bool = True, wait: bool = True,
            progress: bool = False) -> Path:
    """Train one run and save it, unless its finished result is already on disk; returns the file.

    All under the run's lock (:func:`neurodream.run_lock.hold`): held by another process, the call
    waits for it (printing which run waits and who holds it), then takes the result that process
    wrote, or computes the run if it ended without one; with ``wait=False`` it raises
    :class:`~neurodream.run_lock.RunLocked` instead. A file at the run's name that is not its result
    is renamed aside first (:func:`cached` says why), so no result is overwritten."""
    path = run_path(cfg, out_dir)
    with hold(path, wait=wait, on_wait=lambda line: print(line, flush=True)):
        if not cached(cfg, out_dir, warn=warn):
            if path.exists():
                set_aside(path)
            # a run cut short resumes from its checkpoint, next to where its result will be; the
            # result is written before anything else (train's save_in)
            train(cfg, progress=progress, checkpoint=checkpoint_path(cfg, out_dir), save_in=out_dir)
    return path


DONE, FAILED, LOCKED = "done", "failed", "locked"
"""What became of a run in a sweep's first pass (:func:`_run_or_report`)."""


def _run_or_report(cfg: TrainConfig, out_dir: Path | str) -> tuple[str, str, str | None]:
    """Run ``cfg`` unless another process holds it: (run name, :data:`DONE` / :data:`FAILED` /
    :data:`LOCKED`, the error of a failed run). A failing run must not stop the others: it is
    reported, and the sweep raises once the others are done."""
    name = run_path(cfg, out_dir).name
    _end_with_parent()
    try:
        run_one(cfg, out_dir, warn=False, wait=False)  # sweep() has warned about unusable files already
    except RunLocked:
        return name, LOCKED, None
    except Exception as err:  # noqa: BLE001 - reported with the config below
        return name, FAILED, f"{name}: {type(err).__name__}: {err}"
    return name, DONE, None


PARENT_POLL_S = 1.0
"""How often (s) a sweep's worker process looks whether the sweep's process is still there."""
_watching = False


def _end_with_parent() -> None:
    """In a worker process of a local sweep (joblib's loky): end this process when the sweep's
    process, its parent, is gone (killed: the OS ends neither the worker nor its run, which would
    hold the run's lock for hours). A daemon thread polls the parent every :data:`PARENT_POLL_S`;
    the run's lock goes with the process, its checkpoint stays. Elsewhere (the sweep's own process
    with ``n_jobs=1``, a Dask worker) nothing is done."""
    global _watching
    if _watching or not multiprocessing.current_process().name.startswith("LokyProcess"):
        return
    _watching = True
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="end-with-sweep", daemon=True).start()


def _run_locally(todo: Sequence[TrainConfig], out_dir: Path | str, n_jobs: int, progress: bool):
    """Yield (run name, outcome, error) of each run of ``todo`` on local cores (:func:`_run_or_report`,
    ``n_jobs`` at a time). A worker process that dies (killed, out of memory: joblib's
    ``TerminatedWorkerError``) takes every run in flight with it: those (the runs whose lock file its
    holder left) are run again one at a time, each in a worker of its own (:func:`_alone`), so that
    only a run whose own worker dies fails, with a named error; the rest go on in parallel."""
    pending = list(todo)
    with tqdm(total=len(pending), desc="runs", disable=not progress) as bar:
        while pending:
            done = set()
            try:
                runner = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
                for name, outcome, err in runner(delayed(_run_or_report)(c, out_dir) for c in pending):
                    done.add(name)
                    bar.update()
                    yield name, outcome, err
                return
            except TerminatedWorkerError:
                lost = [c for c in pending if run_path(c, out_dir).name not in done]
                in_flight = [c for c in lost if lock_path(run_path(c, out_dir)).exists()] or lost
                warnings.warn(f"a worker process died (killed, or out of memory); {len(in_flight)} runs it may have "
                              "taken with it are run again one at a time, the others go on", stacklevel=3)
                for cfg in in_flight:
                    bar.update()
                    yield _alone(cfg, out_dir)
                pending = [c for c in lost if c not in in_flight]


def _alone(cfg: TrainConfig, out_dir: Path | str) -> tuple[str, str, str | None]:
    """:func:`_run_or_report` in a worker process of its own: a worker that dies fails this run only,
    with an error naming it and the worker's exit (the run resumes from its checkpoint next time)."""
    name = run_path(cfg, out_dir).name
    try:
        return Parallel(n_jobs=2)([delayed(_run_or_report)(cfg, out_dir)])[0]
    except TerminatedWorkerError as err:
        codes = re.search(r"exit codes of the workers are (\{[^}]*\})", str(err))
        exit_ = f"exit {codes.group(1)}" if codes else "no exit code"
        return name, FAILED, (f"{name}: its worker process died ({exit_}: killed, or out of memory); the games "
                              "played up to its last checkpoint are kept")


def worker_kernel_problem(scheduler: str | None = None) -> str | None:
    """In a Dask worker: why its runs would not be bit-reproducible, or None. A worker started the
    standard way (``dask worker``) has loaded NumPy, and so OpenBLAS, before any neurodream code, so
    the pin of :mod:`neurodream.blas` comes too late there: the text names the worker, the kernels its
    OpenBLAS runs and how to start workers pinned."""
    note = blas.kernel_note()
    if note is None:
        return None
    try:
        from distributed import get_worker

        worker = f"Dask worker {get_worker().address}"
    except (ImportError, ValueError):
        worker = "this Dask worker"
    kernel = blas.active_kernel()
    return (f"{worker} runs OpenBLAS's {kernel} kernels, not {blas.PINNED_KERNEL}, so its runs would not reproduce "
            f"the committed ones bit for bit; start the workers pinned: {blas.ENV}={blas.PINNED_KERNEL} dask worker "
            f"{scheduler or '<scheduler address>'}")


def _run_on_worker(cfg: TrainConfig, out_dir: Path | str, scheduler: str | None = None) -> tuple[str, str, str | None]:
    """A sweep's task on a Dask worker: :func:`_run_or_report`, unless the worker's OpenBLAS runs
    other kernels than the pinned ones (:func:`worker_kernel_problem`): then the run fails, unstarted,
    with that message."""
    problem = worker_kernel_problem(scheduler)
    if problem:
        name = run_path(cfg, out_dir).name
        return name, FAILED, f"{name}: not run: {problem}"
    return _run_or_report(cfg, out_dir)


def _run_on_cluster(todo: Sequence[TrainConfig], out_dir: Path, scheduler: str, progress: bool):
    """Yield (run name, outcome, error) of each run of ``todo``, each a task submitted to the Dask
    cluster at ``scheduler`` (:func:`_run_on_worker`), as they finish. Submitted directly (joblib's
    dask backend ran the runs in this process when the cluster had a single thread); ``out_dir``
    must be absolute (a worker's working directory is its own). A task that fails in the cluster
    (its worker died) fails only its run."""
    from dask.distributed import Client, as_completed

    with Client(scheduler) as client, tqdm(total=len(todo), desc="runs", disable=not progress) as bar:
        address = scheduler if isinstance(scheduler, str) else None  # named in a worker's message
        futures = {client.submit(_run_on_worker, cfg, out_dir, address, pure=False): run_path(cfg, out_dir).name
                   for cfg in todo}
        for future in as_completed(futures):
            name = futures[future]
            try:
                outcome = future.result()
            except Exception as err:  # noqa: BLE001 - e.g. KilledWorker: reported with the run's name
                outcome = (name, FAILED, f"{name}: {type(err).__name__}: {err}")
            bar.update()
            yield outcome


def _wait_for(cfg: TrainConfig, out_dir: Path | str) -> str | None:
    """Wait for run ``cfg``, which another process held in the first pass, then take its result (or
    compute it: :func:`run_one`); the error of a failed run, or None."""
    try:
        run_one(cfg, out_dir, warn=True, wait=True)
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


def estimated_wall_s(configs: Sequence[TrainConfig], walls: pd.DataFrame, n_jobs: int) -> float:
    """Estimated wall time (s) of running ``configs`` on ``n_jobs`` parallel jobs: their summed
    :func:`estimate_cost` from ``walls`` (:func:`measured_speed`) over the jobs that run at once; 0
    for no runs."""
    if not configs:
        return 0.0
    return float(estimate_cost(configs, walls).seconds.sum()) / _workers(n_jobs, len(configs))


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
    cluster at ``scheduler`` (e.g. ``"tcp://host:8786"``: :func:`_run_on_cluster`); returns the
    result files in config order. ``out_dir`` is made absolute first (a relative one is taken from
    this process's working directory, also for a cluster's workers).

    Before computing it prints how many runs are missing and an estimate of their cost
    (:func:`estimate_cost`, from the measured speed of the runs in ``speed_dir``, by default
    ``out_dir``). With ``dry_run`` it also lists them and computes nothing; it then returns the
    files of the missing runs only."""
    configs = list(configs)
    out_dir = Path(out_dir).expanduser().absolute()
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
    failed, locked = [], []
    if todo:
        check_writable_folder(out_dir)
        remove_orphan_temporaries(out_dir)
        if scheduler is None:
            outcomes = _run_locally(todo, out_dir, n_jobs, progress)
        else:
            outcomes = _run_on_cluster(todo, out_dir, scheduler, progress)
        for name, outcome, err in outcomes:
            if outcome == FAILED:
                failed.append(err)
                warnings.warn(f"run failed (the others go on): {err}", stacklevel=2)
            elif outcome == LOCKED:
                locked.append(name)
        # runs another process held: their turn now that the others are done (waiting for its lock)
        for cfg in (c for c in todo if run_path(c, out_dir).name in locked):
            err = _wait_for(cfg, out_dir)
            if err:
                failed.append(err)
                warnings.warn(f"run failed (the others go on): {err}", stacklevel=2)
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


def load_configs(configs: Sequence[TrainConfig], out_dir: Path | str | Sequence[Path],
                 labels: Sequence[str] | None = None) -> pd.DataFrame:
    """The results of exactly ``configs`` (each must be on disk: see :func:`sweep`), in config
    order, with the :data:`CONFIG_COLUMNS` and, given ``labels`` (one per config), a ``setting``
    column holding them. ``out_dir``: one folder, or one folder per config."""
    folders = [out_dir] * len(configs) if isinstance(out_dir, (str, Path)) else list(out_dir)
    if len(folders) != len(configs):
        raise ValueError(f"{len(folders)} folders for {len(configs)} configs")
    frames = []
    for k, cfg in enumerate(configs):
        table = _load_with_config(run_path(cfg, folders[k]))
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


VARIANT_DATA: Path | None = None
"""Where a notebook run that is a variant (:func:`neurodream.outputs.notebook_outputs`) computes the
runs the committed folder does not hold; None: the committed folder itself."""


def use_variant_data(folder: Path | str | None) -> None:
    """Send the runs of the notebook helpers (:func:`run_study`, :func:`run_settings`,
    :func:`run_folder`) that are not in the committed folder to ``folder`` (None: back to the
    committed folder). Committed runs are still read where they are; nothing is written there."""
    global VARIANT_DATA
    VARIANT_DATA = None if folder is None else Path(folder)


def run_folder(cfg: TrainConfig, quick: bool) -> Path:
    """The folder that holds (or will hold) run ``cfg`` for a notebook: the committed folder
    (:func:`data_dir`) when its finished result is there or no variant is running, else the
    variant's (:func:`use_variant_data`)."""
    committed = data_dir(quick)
    if VARIANT_DATA is None or cached(cfg, committed, warn=False):
        return committed
    return VARIANT_DATA


ALLOW_TRAINING = "NEURODREAM_ALLOW_TRAINING"
"""Environment variable (``make figures ALLOW_TRAINING=1`` sets it) that lets a notebook start runs
whose estimated cost exceeds :data:`ASK_ABOVE_S`."""
ASK_ABOVE_S = 15 * 60
"""A notebook starts missing runs estimated above this many seconds (wall time on its parallel
jobs) only with :data:`ALLOW_TRAINING` set: a changed parameter must not start hours of training
without a word."""


def confirm_cost(missing: Sequence[TrainConfig], out_dir: Path | str, jobs: int, *,
                 speed_dir: Path | str | None = None) -> float:
    """Before a notebook trains ``missing`` runs: the count and the estimated wall time, printed to the
    terminal as well (a notebook's output is seen only once it has run) and, above
    :data:`ASK_ABOVE_S` without :data:`ALLOW_TRAINING`, a ``RuntimeError`` saying how to allow it.
    Returns the estimated wall time (s)."""
    if not missing:
        return 0.0
    wall = estimated_wall_s(missing, measured_speed(DATA if speed_dir is None else speed_dir), jobs)
    line = (f"neurodream: {len(missing)} runs to train into {out_dir}, estimated {wall / 60:.1f} min on "
            f"{_workers(jobs, len(missing))} parallel jobs")
    _to_terminal(line)
    if wall > ASK_ABOVE_S and os.environ.get(ALLOW_TRAINING) != "1":
        raise RuntimeError(f"{line}: more than {ASK_ABOVE_S / 60:.0f} min, so nothing was started. To train them, "
                           f"run again with ALLOW_TRAINING=1 (make figures ... ALLOW_TRAINING=1, or set "
                           f"{ALLOW_TRAINING}=1 in the environment); they are checkpointed and resumable.")
    return wall


def _to_terminal(line: str) -> None:
    """``line`` on standard output and, inside a Jupyter kernel (papermill), also on the kernel's own
    standard error, which is the terminal that started ``make figures``."""
    print(line, flush=True)
    if sys.stdout is not sys.__stdout__ and sys.__stderr__ is not None:
        try:
            os.write(sys.__stderr__.fileno(), (line + "\n").encode())
        except (OSError, ValueError):
            pass


def _run_and_load(configs: list[TrainConfig], quick: bool, jobs: int, labels: Sequence[str] | None = None) -> pd.DataFrame:
    out = data_dir(quick)
    folders = [run_folder(c, quick) for c in configs]
    target = out if VARIANT_DATA is None else VARIANT_DATA
    # run_folder has found the committed ones finished already: only the others are checked here
    missing = [c for c, f in zip(configs, folders)
               if (VARIANT_DATA is None or f == VARIANT_DATA) and not cached(c, f, warn=False)]
    confirm_cost(missing, target, jobs)
    if VARIANT_DATA is None:
        sweep(configs, out, n_jobs=jobs)
        return load_configs(configs, out, labels)
    if missing:
        sweep(missing, VARIANT_DATA, n_jobs=jobs)
    return load_configs(configs, folders, labels)


def _load_with_config(path: Path) -> pd.DataFrame:
    table = load_run(path)
    for col in CONFIG_COLUMNS:
        table[col] = table.attrs["config"][col]
    return table
