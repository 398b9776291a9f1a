"""Ctrl-C or SIGTERM to `make figures` or to a sweep leaves no process running (the notebook's
kernel, the sweep's workers), and the runs cut short resume from their checkpoints."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from neurodream import lifeline, outputs
from neurodream.run_lock import hold, lock_path
from neurodream.training import TrainConfig, _load_checkpoint, checkpoint_path, run_path

ROOT = outputs.ROOT
LONG = dict(condition="baseline", games=2000, awake_steps=20)
SWEEP = r"""
import os, sys
from pathlib import Path
from neurodream import sweep as sw
from neurodream.training import TrainConfig

out = Path(sys.argv[1])
(out / "pid").write_text(str(os.getpid()))
sw.sweep([TrainConfig(condition="baseline", seed=s, games=2000, awake_steps=20) for s in (0, 1)], out,
         n_jobs=2, progress=False)
"""
PROBE_NOTEBOOK = '''# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
quick = 0

# %%
import os
import sys
from pathlib import Path

from neurodream import sweep as sw
from neurodream.training import TrainConfig

out = Path({out!r})
(out / "pid").write_text(str(os.getpid()))
sw.sweep([TrainConfig(condition="baseline", seed=s, games=2000, awake_steps=20) for s in (0, 1)], out,
         n_jobs=2, progress=False)
'''


def _children(pid: int) -> list[int]:
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if int((proc / "stat").read_text().rsplit(") ", 1)[-1].split()[1]) == pid:
                found.append(int(proc.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def _wait(condition, seconds: float, step: float = 0.2) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def _started(out: Path) -> tuple[int, list[int]]:
    """The process running the sweep (its pid file) and its two workers, once both hold their run's
    lock and a first checkpoint is written."""
    locks = [lock_path(run_path(TrainConfig(seed=s, **LONG), out)) for s in (0, 1)]
    ckpts = [checkpoint_path(TrainConfig(seed=s, **LONG), out) for s in (0, 1)]
    assert _wait(lambda: (out / "pid").exists(), 180), "the sweep never started"
    owner = int((out / "pid").read_text())
    assert _wait(lambda: len(_children(owner)) >= 2 and all(p.exists() for p in locks)
                 and any(c.exists() for c in ckpts), 180), "the sweep's workers never checkpointed"
    return owner, _children(owner)


def _resumable(out: Path) -> None:
    # every run cut short: its lock is free for the next command, and a checkpoint that train resumes
    resumed = 0
    for s in (0, 1):
        cfg = TrainConfig(seed=s, **LONG)
        with hold(run_path(cfg, out)):  # raises RunLocked if a process still held it
            pass
        saved = _load_checkpoint(checkpoint_path(cfg, out), cfg)
        resumed += bool(saved) and len(saved[0]) >= 50
    assert resumed >= 1


def _kill_all(pids):
    for pid in pids:
        if lifeline.alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("how", ["ctrl-c"])  # SIGKILL and so SIGTERM: test_sweep.py
def test_an_interrupted_sweep_leaves_no_process_and_its_runs_resume(tmp_path, how):
    main = subprocess.Popen([sys.executable, "-c", SWEEP, str(tmp_path)], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = []
    try:
        _, workers = _started(tmp_path)
        if how == "ctrl-c":
            os.killpg(main.pid, signal.SIGINT)  # what the terminal does: the whole foreground group
        else:
            main.send_signal(signal.SIGTERM)
        main.wait(timeout=60)
        assert _wait(lambda: not any(map(lifeline.alive, workers)), 20), "a worker outlived the sweep"
        _resumable(tmp_path)
    finally:
        main.kill()
        _kill_all(workers)


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_an_interrupted_make_figures_leaves_no_kernel_and_no_worker(tmp_path, how):
    # a notebook whose cell runs a sweep of two long runs, executed by `make figures` as any other
    notebook = tmp_path / "99_interrupt_probe.py"
    notebook.write_text(PROBE_NOTEBOOK.format(out=str(tmp_path)))
    executed = ROOT / "notebooks" / "executed" / "99_interrupt_probe.ipynb"
    make = subprocess.Popen(["make", "--no-print-directory", "figures", f"NOTEBOOKS={notebook}"], cwd=ROOT,
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kernel, workers = None, []
    try:
        kernel, workers = _started(tmp_path)
        if how == "ctrl-c":
            os.killpg(make.pid, signal.SIGINT)  # the terminal's Ctrl-C: make, its shell, papermill
        else:
            make.send_signal(signal.SIGTERM)  # make alone
        make.wait(timeout=60)
        gone = [kernel, *workers]
        assert _wait(lambda: not any(map(lifeline.alive, gone)), 30), \
            f"alive after {how}: {[(p, _cmdline(p)) for p in gone if lifeline.alive(p)]}"
        # nothing else of it runs either (papermill, the recipe's shell)
        assert _wait(lambda: not [p for p in Path("/proc").glob("[0-9]*") if _runs_probe(p)], 30)
        _resumable(tmp_path)
    finally:
        try:
            os.killpg(make.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _kill_all([p for p in (kernel, *workers) if p])
        for leftover in (executed, executed.with_suffix(".src.ipynb")):
            leftover.unlink(missing_ok=True)


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
    except OSError:
        return "?"


def _runs_probe(proc: Path) -> bool:
    try:
        return b"99_interrupt_probe" in (proc / "cmdline").read_bytes() and lifeline.alive(int(proc.name))
    except (OSError, ValueError):
        return False


def test_the_lifeline_ends_a_process_when_the_watched_one_ends(tmp_path):
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    child = subprocess.Popen([sys.executable, "-c", "import neurodream, time; time.sleep(120)"],
                             env={**os.environ, lifeline.ENV: str(parent.pid)})
    try:
        time.sleep(3)  # the child has imported neurodream and watches the parent
        assert lifeline.alive(child.pid)
        parent.terminate()
        parent.wait(timeout=10)
        assert child.wait(timeout=15) == -signal.SIGKILL
    finally:
        parent.kill()
        child.kill()
    # a process started after the watched one ended (a worker a dying kernel replaced) ends at once
    orphan = subprocess.run([sys.executable, "-c", "import neurodream, time; time.sleep(60)"],
                            env={**os.environ, lifeline.ENV: str(parent.pid)}, timeout=60)
    assert orphan.returncode == -signal.SIGKILL
    # asked directly, an id that names no running process is not watched
    assert not lifeline.end_with(parent.pid)
    assert not lifeline.end_with(os.getpid())
