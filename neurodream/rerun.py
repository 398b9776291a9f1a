"""Committed runs recomputed with today's code and compared with the files they would replace.

Every run file records the fingerprint of the code that made it (:func:`neurodream.code_fingerprint`)
and, since the kernels were pinned, its OpenBLAS kernels (:mod:`neurodream.blas`). After a change
that may alter the numbers (in the code, or in the machine's arithmetic), the runs made before it
need not reproduce bit for bit. :func:`rerun` recomputes chosen run files into a scratch folder (a
sweep: cached, checkpointed, resumable, two at a time or as asked), compares each new run with the
committed one, game by game, and with ``replace`` puts the new file in the old one's place (once all
are computed and compared, keeping the old ones until every new one is in place). The
comparison says whether a run reproduced and, where not, from which game it diverged and how far
apart the final returns are (both are valid emulations when both meet the accuracy benchmark; a
divergence is the chaos of a learning loop, not an error). :func:`check_first_games` is the quick
check: only each run's first games, in memory.

>>> from neurodream.sweep import grid
>>> main_study = [run_path(c, "data") for c in grid(seeds=range(10), games=2000)]
>>> report = rerun(main_study, codes=["842c514161ef2ead"], n_jobs=2, replace=True)   # doctest: +SKIP

or ``python -m neurodream rerun --seeds 0-9 --code 842c514161ef2ead --replace`` (the options of
``sweep`` name the runs).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .atomic_file import check_writable_folder, write_atomically
from .sweep import sweep
from .training import TrainConfig, load_run, run_path

TIMING_COLUMNS = ("wall_s",)
"""Per-game columns that measure the machine, not the emulation: left out of the comparison."""
FINAL_GAMES = 50
"""Final return: mean return of a run's last this many games (the paper's measure)."""
REPORT_COLUMNS = ("run", "made_by", "identical", "first_differing_game", "final_return_old",
                  "final_return_new", "replaced")


def select(paths: Sequence[Path | str], codes: Sequence[str] | None = None) -> dict[Path, pd.DataFrame]:
    """The run files among ``paths`` made by one of ``codes`` (all of them when ``codes`` is None or
    empty), in the order given, each with its table (:func:`load_run`). A path that is not a
    readable run file named after its config raises ``ValueError`` naming it, before any work."""
    chosen = {}
    for path in map(Path, paths):
        table = load_run(path)  # ValueError naming the file when it is not a run
        expected = run_path(TrainConfig(**table.attrs["config"]), ".").name
        if path.name != expected:
            raise ValueError(f"{path} is not named after its config ({expected}): rename it or rerun its sweep")
        if path in chosen:
            raise ValueError(f"{path} is given twice")
        if not codes or table.attrs["code"] in codes:
            chosen[path] = table
    return chosen


def compare(old: pd.DataFrame, new: pd.DataFrame) -> dict:
    """``old`` against ``new`` (two runs of one config, :func:`load_run`): ``identical`` when every
    per-game column but :data:`TIMING_COLUMNS` and the final readout weights are equal (NaN equal to
    NaN), else the first game whose row differs (``first_differing_game``; None when only the
    weights differ); and both final returns (mean of the last :data:`FINAL_GAMES` games)."""
    first = first_differing_game(old, new)
    weights_same = _same_nested(old.attrs.get("policy_J"), new.attrs.get("policy_J")) and \
        _same_nested(old.attrs.get("model_W"), new.attrs.get("model_W"))
    return {"identical": first is None and weights_same, "first_differing_game": first,
            "final_return_old": float(old["return"].tail(FINAL_GAMES).mean()),
            "final_return_new": float(new["return"].tail(FINAL_GAMES).mean())}


def first_differing_game(old: pd.DataFrame, new: pd.DataFrame) -> int | None:
    """The first game whose row differs between two per-game tables in any column but
    :data:`TIMING_COLUMNS` (NaN equal to NaN; other columns or another length: game 0), or None."""
    if set(old.columns) != set(new.columns) or len(old) != len(new):
        return 0
    same = np.ones(len(old), dtype=bool)
    for col in sorted(set(old.columns) - set(TIMING_COLUMNS)):
        a, b = old[col].to_numpy(), new[col].to_numpy()
        equal = a == b
        if a.dtype.kind == "f" and b.dtype.kind == "f":
            equal |= np.isnan(a) & np.isnan(b)
        same &= equal
    return None if same.all() else int(old["game"].to_numpy()[np.argmin(same)])


def _same_nested(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return np.array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float), equal_nan=True)


REPLACED = "replaced"
"""The folder in the scratch (``<scratch>/replaced/``) where :func:`rerun` with ``replace`` keeps each
committed file from the moment it is moved aside until every new file is in place."""


def rerun(paths: Sequence[Path | str], *, codes: Sequence[str] | None = None, scratch: Path | str | None = None,
          n_jobs: int = 2, replace: bool = False, dry_run: bool = False, report: Path | str | None = None,
          progress: bool = True) -> pd.DataFrame:
    """Recompute the run files ``paths`` made by one of ``codes`` (:func:`select`) into ``scratch``
    (default: ``rerun/`` beside the first file), compare each with its committed file
    (:func:`compare`) and, with ``replace``, put the new file in the old one's place. Returns one
    row per run (:data:`REPORT_COLUMNS`), also written atomically as CSV to ``report`` when given.

    The files must all lie in one folder. Before computing it prints how many runs are to be made
    and their estimated cost (from the measured speed of the runs in that folder); ``dry_run``
    also lists them, computes nothing and returns an empty report. Interrupted, the same call
    resumes: finished runs in ``scratch`` are kept, unfinished ones go on from their checkpoints.

    With ``replace`` no committed file is touched until every run is computed and the report
    (with the comparison) is written; then each committed file is moved to ``<scratch>/replaced/``
    before its new file is moved into its place. A call interrupted among these moves and started
    again compares with the committed files kept there, so its report is that of an uninterrupted
    call; they are removed once every new file is in place and the report says so. A ``report``
    that cannot be written is refused before any work (:func:`check_report`)."""
    check_report(report)
    paths = [Path(p) for p in paths]
    scratch_of = (lambda p: Path(scratch)) if scratch is not None else (lambda p: p.parent / "rerun")
    # a committed file already moved aside by an interrupted replace is compared from there
    committed = {p: _committed_file(p, scratch_of(p)) for p in paths}
    olds = select(list(committed.values()), codes)
    chosen = [p for p in paths if committed[p] in olds]
    folders = {p.parent.resolve() for p in chosen}
    if len(folders) > 1:
        raise ValueError(f"the run files lie in {len(folders)} folders ({', '.join(sorted(map(str, folders)))}); "
                         "give the files of one folder")
    if not chosen:
        print("no run file to recompute (none of the files given was made by the codes asked for)", flush=True)
        return pd.DataFrame(columns=REPORT_COLUMNS)
    home = chosen[0].parent
    scratch = scratch_of(chosen[0])
    if replace:
        _check_same_filesystem(home, scratch)
    configs = [TrainConfig(**olds[committed[p]].attrs["config"]) for p in chosen]
    # where each new run is: in the scratch, or already in place (moved by an interrupted replace)
    fresh = {p: p if committed[p] != p and p.exists() else run_path(cfg, scratch) for p, cfg in zip(chosen, configs)}
    print(f"{len(configs)} committed runs to recompute into {scratch} and compare", flush=True)
    # the estimate from the speed measured in the committed runs' folder (the scratch holds few runs)
    sweep([c for p, c in zip(chosen, configs) if fresh[p] != p], scratch, n_jobs=n_jobs, progress=progress,
          dry_run=dry_run, speed_dir=home)
    if dry_run:
        return pd.DataFrame(columns=REPORT_COLUMNS)
    rows = [{"run": p.stem, "made_by": olds[committed[p]].attrs["code"],
             **compare(olds[committed[p]], load_run(fresh[p])), "replaced": fresh[p] == p} for p in chosen]
    table = pd.DataFrame(rows, columns=REPORT_COLUMNS)
    if report is not None:  # the comparison is saved before any committed file is replaced
        write_atomically(Path(report), table.to_csv(index=False).encode())
    if replace:
        for k, path in enumerate(chosen):
            _put_in_place(path, fresh[path], scratch / REPLACED / path.name)
            table.loc[k, "replaced"] = True
        if report is not None:
            write_atomically(Path(report), table.to_csv(index=False).encode())
        for path in chosen:  # every new file is in place and the report says so
            (scratch / REPLACED / path.name).unlink(missing_ok=True)
        _remove_if_empty(scratch / REPLACED)
    return table


def check_report(report: Path | str | None) -> None:
    """``ValueError`` naming ``report`` when a report file cannot be written there: its folder is not
    a writable folder (:func:`~neurodream.atomic_file.check_writable_folder`), or the path is a
    folder. Called before any work, not after hours of it."""
    if report is None:
        return
    report = Path(report)
    if report.is_dir():
        raise ValueError(f"--report {report} is a folder; give a CSV file's path")
    try:
        check_writable_folder(report.parent)
    except ValueError as err:
        raise ValueError(f"--report {report}: {err}") from None


def _committed_file(path: Path, scratch: Path) -> Path:
    """Where the committed file of run file ``path`` is: moved to ``<scratch>/replaced/`` by a
    replace that was interrupted, else at ``path``."""
    aside = scratch / REPLACED / path.name
    return aside if aside.exists() else path


def _put_in_place(path: Path, fresh: Path, aside: Path) -> None:
    """Move the committed file ``path`` to ``aside`` (unless it is there already), then the new
    run file ``fresh`` to ``path`` (unless it is there already)."""
    if fresh == path:
        return
    if not aside.exists():
        aside.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, aside)
    os.replace(fresh, path)


def _check_same_filesystem(home: Path, scratch: Path) -> None:
    """``ValueError`` when ``scratch`` lies on another file system than ``home`` (the committed files
    and the new ones are moved by renaming, which is atomic on one file system only)."""
    existing = scratch
    while not existing.exists():
        existing = existing.parent
    if os.stat(existing).st_dev != os.stat(home).st_dev:
        raise ValueError(f"--scratch {scratch} is on another file system than {home}: replacing moves files by "
                         "renaming; give a scratch folder on the same file system")


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:  # missing, or holds other files
        pass


FIRST_GAMES_COLUMNS = ("run", "made_by", "blas_kernel", "games_compared", "identical", "first_differing_game")


def _first_games(config: dict, games: int) -> pd.DataFrame:
    from .training import train

    return train(TrainConfig(**{**config, "games": games}), progress=False)


def check_first_games(paths: Sequence[Path | str], games: int, *, codes: Sequence[str] | None = None,
                      n_jobs: int = 2, report: Path | str | None = None, progress: bool = True) -> pd.DataFrame:
    """A quick check that committed runs reproduce here: the first ``games`` games of each run file
    among ``paths`` made by one of ``codes`` (:func:`select`) recomputed in memory, ``n_jobs`` at a
    time, and compared row by row with the file's (:func:`first_differing_game`). A run's first games
    do not depend on how many follow, and a run that does not reproduce (another BLAS kernel: see
    :mod:`neurodream.blas`) differs within its first few games. Nothing is written but ``report``
    (CSV, atomically; refused before any work when it cannot be written: :func:`check_report`).
    A run shorter than ``games`` is compared whole: ``games_compared`` says how many games were
    (:func:`first_games_text`). Returns one row per run (:data:`FIRST_GAMES_COLUMNS`)."""
    if not (isinstance(games, int) and games >= 1):
        raise ValueError(f"games = {games!r}: the number of first games to compare must be an integer >= 1")
    check_report(report)
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    olds = select(paths, codes)
    n = {p: min(games, len(t)) for p, t in olds.items()}
    print(f"{len(olds)} committed runs: their {first_games_text(list(n.values()), games)} recomputed and compared",
          flush=True)
    jobs = (delayed(_first_games)(t.attrs["config"], n[p]) for p, t in olds.items())
    news = list(tqdm(Parallel(n_jobs=n_jobs, return_as="generator")(jobs), total=len(olds), disable=not progress))
    rows = []
    for (path, old), new in zip(olds.items(), news):
        first = first_differing_game(old.iloc[: n[path]].reset_index(drop=True), new.reset_index(drop=True))
        rows.append({"run": path.stem, "made_by": old.attrs["code"], "blas_kernel": old.attrs.get("blas_kernel"),
                     "games_compared": n[path], "identical": first is None, "first_differing_game": first})
    table = pd.DataFrame(rows, columns=FIRST_GAMES_COLUMNS)
    if report is not None:
        write_atomically(Path(report), table.to_csv(index=False).encode())
    return table


def first_games_text(compared, games: int) -> str:
    """How many first games a check compared: ``compared`` is a :func:`check_first_games` report (its
    ``games_compared``) or the counts themselves, ``games`` the number asked for: ``"first 6
    games"``; ``"first 60 games (100 asked for; every run is shorter)"``; ``"first 60 to 100 games
    (100 asked for; shorter runs compared whole)"``."""
    counts = compared["games_compared"] if isinstance(compared, pd.DataFrame) else compared
    counts = sorted({int(c) for c in counts}) or [games]
    low, high = counts[0], counts[-1]
    if high == games and low == games:
        return f"first {games} games"
    shorter = "every run is shorter" if high < games else "shorter runs compared whole"
    span = str(low) if low == high else f"{low} to {high}"
    return f"first {span} games ({games} asked for; {shorter})"


def failed_checks(report: Path | str) -> list[str]:
    """The runs (file names without ``.json``) that a :func:`check_first_games` report, read from the
    CSV file ``report``, found not reproducing; ``ValueError`` naming the file if it is not one."""
    try:
        table = pd.read_csv(report)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise ValueError(f"{report}: not a readable first-games report ({err})") from None
    if not {"run", "identical"} <= set(table.columns):
        raise ValueError(f"{report}: not a first-games report (columns {', '.join(FIRST_GAMES_COLUMNS)})")
    return table.loc[~table.identical.astype(bool), "run"].astype(str).tolist()


def summary(table: pd.DataFrame) -> str:
    """One line on a :func:`rerun` report: how many runs reproduced, where the others diverged
    (median game) and the mean and largest change of their final returns."""
    n, same = len(table), int(table.identical.sum())
    line = f"{same} of {n} runs reproduced bit for bit"
    differ = table[~table.identical.astype(bool)]
    if len(differ):
        change = (differ.final_return_new - differ.final_return_old)
        games = differ.first_differing_game.dropna()
        where = f", diverging from game {games.median():.0f} (median)" if len(games) else ""
        line += (f"; {len(differ)} differ{where}; final return changed by {change.mean():+.2f} on average "
                 f"(largest |change| {change.abs().max():.2f})")
    return line


RUN_NAME = re.compile(r"^(?P<condition>[a-z]+)_(?P<fidelity>[a-z]+)_wait(?P<wait_ms>[0-9.]+)_seed(?P<seed>\d+)_[0-9a-f]+$")
"""A run's file name without ``.json`` (:func:`neurodream.training.run_path`)."""


def final_returns(report: pd.DataFrame, which: str) -> pd.DataFrame:
    """The final returns in a :func:`rerun` report, ``which`` = ``"old"`` (the committed files as they
    were) or ``"new"`` (recomputed), with each run's condition and seed read from its name: columns
    ``run, condition, seed, final_return`` (the input of :func:`neurodream.analysis.mann_whitney`)."""
    if which not in ("old", "new"):
        raise ValueError(f"which = {which!r}: expected 'old' or 'new'")
    rows = []
    for run, value in zip(report["run"], report[f"final_return_{which}"]):
        m = RUN_NAME.match(str(run))
        if m is None:
            raise ValueError(f"{run!r} is not a run's name (<condition>_<fidelity>_wait<ms>_seed<N>_<hash>)")
        rows.append({"run": run, "condition": m["condition"], "seed": int(m["seed"]), "final_return": float(value)})
    return pd.DataFrame(rows, columns=["run", "condition", "seed", "final_return"])
