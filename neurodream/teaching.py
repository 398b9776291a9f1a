"""The five changes a student most often makes, and what each costs on this machine.

Each change is a command a reader can paste and the training runs it needs. Its cost is computed,
not typed: the runs not yet in the committed ``data/`` (:func:`neurodream.sweep.cached`) and their
wall time estimated from the measured speed of the committed runs
(:func:`neurodream.sweep.estimate_cost`) on :data:`JOBS` parallel jobs. Notebook 05, whose subject is
what runs cost, writes the table into the README (:func:`cost_table`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .sweep import ASK_ABOVE_S, DATA, cached, estimated_wall_s, grid, measured_speed
from .training import TrainConfig

JOBS = 2
"""Parallel jobs the estimates assume (the Makefile's and the notebooks' default)."""


@dataclasses.dataclass(frozen=True)
class Change:
    """One change for teaching: ``what`` it shows, the ``command`` that makes it, the training
    runs it needs (``runs()``), and whether the command uses the cache (``train`` never does)."""

    what: str
    command: str
    runs: Callable[[], list[TrainConfig]]
    uses_cache: bool = True
    out: str | None = None
    """The folder the command writes its runs to, relative to the repository (None: the committed
    ``data/``, read in place, with new runs of a notebook going to ``data/variants/``)."""


CHANGES = (
    Change("the main comparison with 5 runs per condition instead of 10",
           'make figures NOTEBOOKS=notebooks/04_comparison.py PARAMS="-p seeds 5"',
           lambda: grid(seeds=range(5), games=2000)),
    Change("a wait of 30 ms per network step beside the paper's 10 ms",
           "make figures NOTEBOOKS=notebooks/05_timing.py PARAMS='-y \"waits_ms: [10.0, 30.0]\"'",
           lambda: grid(seeds=range(5), wait_ms=(10.0, 30.0), games=2000)),
    Change("dreams of 10 steps beside the paper's 50",
           "make figures NOTEBOOKS=notebooks/08_dreaming_ablations.py "
           "PARAMS='-y \"dream_steps_values: [10, 50]\"'",
           lambda: (grid(conditions=["dreaming"], seeds=range(5), games=2000, dream_steps=10)
                    + grid(conditions=["dreaming"], seeds=range(5), games=2000)
                    + grid(conditions=["baseline"], seeds=range(5), games=2000))),
    Change("the baseline on a chip with less device mismatch (CV 15 % instead of 20 %)",
           ".venv/bin/python -m neurodream sweep --conditions baseline --seeds 0-4 --games 2000 "
           "--set mismatch_cv=0.15 --jobs 2 --out data/variants/mismatch-cv-15",
           lambda: grid(conditions=["baseline"], seeds=range(5), games=2000, mismatch_cv=0.15),
           out="data/variants/mismatch-cv-15"),
    Change("one short dreaming run of your own, to read its per-game table",
           ".venv/bin/python -m neurodream train --condition dreaming --seed 0 --games 200 "
           "--out /tmp/neurodream-runs",
           lambda: [TrainConfig(condition="dreaming", seed=0, games=200)], uses_cache=False),
)
"""The changes the README's teaching section lists, in its order."""


def missing_runs(change: Change, data=DATA) -> list[TrainConfig]:
    """The runs ``change`` would train: those not finished in ``data`` (all of them for ``train``)."""
    runs = change.runs()
    folder = Path(data) if change.out is None else Path(data).parent / change.out
    return [c for c in runs if not (change.uses_cache and cached(c, folder, warn=False))]


def cost_table(changes=CHANGES, data=DATA, jobs: int = JOBS) -> pd.DataFrame:
    """One row per change: ``what``, ``command``, ``runs_to_train`` and ``minutes`` (estimated
    wall time on ``jobs`` parallel jobs from the measured speed of the runs in ``data``; 0 when
    everything is cached)."""
    speed = measured_speed(data)
    rows = []
    for change in changes:
        todo = missing_runs(change, data)
        seconds = estimated_wall_s(todo, speed, jobs)
        rows.append({"what": change.what, "command": allowed(change.command, seconds),
                     "runs_to_train": len(todo), "minutes": seconds / 60})
    return pd.DataFrame(rows)


def allowed(command: str, seconds: float) -> str:
    """``command`` as it must be typed to do its work: a ``make figures`` whose estimate is above
    :data:`neurodream.sweep.ASK_ABOVE_S` gets ``ALLOW_TRAINING=1`` (without it the notebook prints
    the estimate and stops: :func:`neurodream.sweep.confirm_cost`).

    >>> allowed("make figures NOTEBOOKS=x", 3600.0)
    'make figures NOTEBOOKS=x ALLOW_TRAINING=1'
    >>> allowed("make figures NOTEBOOKS=x", 60.0)
    'make figures NOTEBOOKS=x'
    """
    if command.startswith("make figures") and seconds > ASK_ABOVE_S:
        return f"{command} ALLOW_TRAINING=1"
    return command


def describe_minutes(minutes: float) -> str:
    """A cost for a reader: "none (all cached)", "about 4 min", "about 1.5 h".

    >>> [describe_minutes(m) for m in (0.0, 0.4, 4.2, 95.0)]
    ['none (all cached): seconds', 'under a minute', 'about 4 min', 'about 1.6 h']
    """
    if minutes == 0:
        return "none (all cached): seconds"
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"about {minutes:.0f} min"
    return f"about {minutes / 60:.1f} h"


def markdown(table: pd.DataFrame, jobs: int = JOBS) -> str:
    """The README's teaching list: each change, its command, and its cost."""
    lines = []
    for i, row in enumerate(table.itertuples(index=False), 1):
        n = row.runs_to_train
        runs = "no training" if n == 0 else f"{n} run{'s' if n > 1 else ''} to train"
        lines.append(f"{i}. To see {row.what}: {runs}, {describe_minutes(row.minutes)}"
                     + (f" on {jobs} cores" if n else "") + ".")
        lines += ["", "   ```bash", *_continued(row.command, "   "), "   ```", ""]
    return "\n".join(lines).rstrip()


def _continued(command: str, indent: str, width: int = 96) -> list[str]:
    """``command`` as shell lines of at most ``width`` characters where it can, broken before an
    option (`` --``/`` -y``/`` PARAMS=``) with a backslash.

    >>> _continued("make figures NOTEBOOKS=x PARAMS='-y a'", "", width=26)
    ['make figures NOTEBOOKS=x \\\\', "  PARAMS='-y a'"]
    """
    import re

    parts = re.split(r" (?=--|PARAMS=|ALLOW_TRAINING=)", command)
    lines, line = [], indent + parts[0]
    for part in parts[1:]:
        if len(line) + 1 + len(part) > width - 2:
            lines.append(line + " \\")
            line = indent + "  " + part
        else:
            line += " " + part
    return lines + [line]
