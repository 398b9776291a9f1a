"""One process at a time per run: a lock file beside the run's result.

A run ``<dir>/<name>.json`` (:func:`neurodream.training.run_path`) is computed by whoever holds
``<dir>/<name>.lock`` (:func:`hold`: ``fcntl.flock``, exclusive). The sweep's runs
(:func:`neurodream.sweep.run_one`) and the command line's ``train`` take it before they look at
the run's files, so two sweeps on one folder compute each run once (the second waits for a run the
first holds and then takes its result), and a second ``train`` of a run does not resume the first's
checkpoint under it. The operating system releases a lock when its process ends, however it ends,
so a killed process never leaves a run locked; the file itself is removed by a holder that
releases it (a waiter that got the lock of a removed file tries again on the new one), and one left
by a killed process is taken by the next holder.

Locks are advisory: library calls (``save_run(train(cfg), ...)``) take none.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

PROCESS_START = time.time()
"""When this module was first imported (about when the process started): temporary files last
modified before it cannot belong to a write of this process (:func:`remove_orphan_temporaries`)."""
RUN_SUFFIXES = (".json", ".ckpt")
"""The files of a run that its lock covers: its result and its checkpoint."""


class RunLocked(RuntimeError):
    """Another process holds the lock of a run (the message names the run, the lock and its holder)."""

    def __init__(self, run_file: Path, holder: str):
        super().__init__(f"{run_file.name} is being computed by {holder}, which holds its lock "
                         f"{lock_path(run_file)}; wait for it to finish (its result is then on disk), or stop it")
        self.run_file = run_file


def lock_path(run_file: Path | str) -> Path:
    """The lock of the run whose result or checkpoint is ``run_file``: ``<name>.lock`` beside it."""
    return Path(run_file).with_suffix(".lock")


@contextmanager
def hold(run_file: Path | str, *, wait: bool = False,
         on_wait: Callable[[str], None] | None = None) -> Iterator[Path]:
    """Hold the lock of run ``run_file`` for the ``with`` block (yields the lock's path). Held by
    another process: without ``wait`` :class:`RunLocked`; with ``wait``, ``on_wait`` is called with
    a line saying which run waits and who holds it, and the call blocks until the lock is free."""
    run_file = Path(run_file)
    path = lock_path(run_file)
    fd = _acquire(run_file, path, wait, on_wait)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)  # while held: a process that opened it meanwhile tries again
        os.close(fd)


def _acquire(run_file: Path, path: Path, wait: bool, on_wait: Callable[[str], None] | None) -> int:
    """The descriptor of ``path``, opened and locked by this process, with its pid written in it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    announced = False
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not wait:
                    raise RunLocked(run_file, _holder(fd)) from None
                if on_wait is not None and not announced:
                    on_wait(f"waiting for {run_file.name}: {_holder(fd)} holds its lock {path}")
                    announced = True
                fcntl.flock(fd, fcntl.LOCK_EX)
            if _is_current(fd, path):
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # the lock of a file its last holder removed: try again on the one at the path now


def _is_current(fd: int, path: Path) -> bool:
    """Whether the open file ``fd`` is still the one at ``path`` (not removed nor replaced)."""
    try:
        here, there = os.fstat(fd), os.stat(path)
    except FileNotFoundError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _holder(fd: int) -> str:
    """Who holds the lock open as ``fd``: ``another process (pid N)``, as its holder wrote it."""
    text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return f"another process (pid {text})" if text.isdigit() else "another process"


def remove_orphan_temporaries(folder: Path | str) -> list[Path]:
    """Remove the temporary files of :func:`neurodream.atomic_file.write_atomically` left in
    ``folder`` by killed writers of run files (``.<name>.json.<random>.tmp``, ``.<name>.ckpt...``);
    returns those removed. Such a file is an orphan when it was last modified before this process
    started (:data:`PROCESS_START`: no write of this process made it) and no process holds its
    run's lock (every writer of a run's files in a sweep or ``train`` holds it while it writes).
    Called when a sweep or ``train`` starts; other temporary files are left to the age rule of
    :func:`neurodream.atomic_file.remove_stale_temporaries`."""
    removed = []
    for tmp in Path(folder).glob(".*.tmp"):
        target = _target(tmp)
        try:
            if target is None or tmp.stat().st_mtime >= PROCESS_START:
                continue
            with hold(target):
                tmp.unlink()
            removed.append(tmp)
        except (RunLocked, OSError):  # written now by the lock's holder, or removed meanwhile
            continue
    return removed


def _target(tmp: Path) -> Path | None:
    """The run file a temporary file ``.<target>.<random>.tmp`` was to become, or None when it is
    not one of a run's files (:data:`RUN_SUFFIXES`)."""
    parts = tmp.name[1:].rsplit(".", 2)
    if len(parts) != 3 or Path(parts[0]).suffix not in RUN_SUFFIXES:
        return None
    return tmp.with_name(parts[0])
