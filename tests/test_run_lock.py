"""One process at a time per run: two sweeps on one folder compute each run once, a second ``train``
is refused, the remains of killed writers are cleared when nobody holds their run."""

import os
import signal
import subprocess
import sys
import time

import pytest

from neurodream import run_lock
from neurodream import sweep as sw
from neurodream.training import TrainConfig, load_run, run_path

TINY = dict(games=3, awake_steps=5, dream_steps=3, learn_after_game=0)

SWEEP = r"""
import sys, time
from pathlib import Path
from neurodream import sweep as sw
from neurodream.training import TrainConfig

out, marker, go = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
real = sw.train

def counted(cfg, **kw):
    with open(marker, "a") as f:
        f.write("computed\n")
    deadline = time.time() + 60
    while not go.exists() and time.time() < deadline:  # hold the run until the test says go
        time.sleep(0.05)
    return real(cfg, **kw)

sw.train = counted
cfg = TrainConfig(condition="baseline", games=3, awake_steps=5, dream_steps=3, learn_after_game=0)
print("result", sw.sweep([cfg], out, n_jobs=1, progress=False)[0], flush=True)
"""


def _start(tmp_path):
    return subprocess.Popen([sys.executable, "-c", SWEEP, str(tmp_path / "runs"), str(tmp_path / "marker"),
                             str(tmp_path / "go")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(condition, what, timeout=60.0):
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _read_until(proc, fragment):
    """Lines of ``proc``'s stdout up to the first that holds ``fragment``."""
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if fragment in line:
            return lines
    raise AssertionError(f"{fragment!r} never printed; stdout {''.join(lines)!r}; stderr {proc.stderr.read()!r}")


def _computations(tmp_path) -> int:
    return (tmp_path / "marker").read_text().count("computed")


def test_two_sweeps_on_one_folder_compute_a_run_once(tmp_path):
    first, second = _start(tmp_path), None
    try:
        _wait_for(lambda: (tmp_path / "marker").exists(), "the first sweep to start the run")
        second = _start(tmp_path)
        waiting = "".join(_read_until(second, "waiting for"))
        assert f"another process (pid {first.pid}) holds its lock" in waiting
        (tmp_path / "go").touch()
        outs = [p.communicate(timeout=120)[0] for p in (first, second)]
    finally:
        for p in (first, second):
            if p is not None:
                p.kill()
    assert [p.returncode for p in (first, second)] == [0, 0]
    cfg = TrainConfig(condition="baseline", **TINY)
    expected = f"result {run_path(cfg, tmp_path / 'runs')}"
    assert [o.strip().splitlines()[-1] for o in outs] == [expected, expected]
    assert _computations(tmp_path) == 1
    assert load_run(run_path(cfg, tmp_path / "runs"))["game"].tolist() == [0, 1, 2]
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [run_path(cfg, ".").name]  # no lock left


def test_a_run_whose_holder_was_killed_is_computed_by_the_waiting_sweep(tmp_path):
    first = _start(tmp_path)
    second = None
    try:
        _wait_for(lambda: (tmp_path / "marker").exists(), "the first sweep to start the run")
        second = _start(tmp_path)
        _read_until(second, "waiting for")
        first.send_signal(signal.SIGKILL)  # the OS releases its lock
        first.wait(timeout=30)
        (tmp_path / "go").touch()
        out = second.communicate(timeout=120)[0]
    finally:
        for p in (first, second):
            if p is not None:
                p.kill()
    assert second.returncode == 0 and _computations(tmp_path) == 2
    cfg = TrainConfig(condition="baseline", **TINY)
    assert out.strip().splitlines()[-1] == f"result {run_path(cfg, tmp_path / 'runs')}"


def test_cli_train_refuses_a_run_another_process_holds(tmp_path, capsys, monkeypatch):
    from neurodream import training
    from neurodream.__main__ import main

    def refuse(*a, **k):
        raise AssertionError("a locked run was trained")

    monkeypatch.setattr(training, "train", refuse)
    path = run_path(TrainConfig(games=2), tmp_path)
    with run_lock.hold(path):  # as another process would (a lock of another open file)
        with pytest.raises(SystemExit) as stop:
            main(["train", "--games", "2", "--out", str(tmp_path)])
    last = capsys.readouterr().err.strip().splitlines()[-1]  # after the note that 2 games do not learn
    assert stop.value.code == 1 and "Traceback" not in last
    assert f"{path.name} is being computed by another process (pid {os.getpid()})" in last
    assert not run_lock.lock_path(path).exists()  # released, and removed by its holder


def test_a_sweep_clears_the_temporary_files_of_killed_writers_of_runs_nobody_holds(tmp_path):
    free, held = (TrainConfig(condition="baseline", seed=s, **TINY) for s in (0, 1))
    before_start = run_lock.PROCESS_START - 60  # a minute before this process started
    free_tmp = tmp_path / f".{run_path(free, '.').name}.k2j4l3x9.tmp"
    ckpt_tmp = tmp_path / f".{run_path(free, '.').stem}.ckpt.a1b2c3d4.tmp"
    held_tmp = tmp_path / f".{run_path(held, '.').name}.q9w8e7r6.tmp"
    other_tmp = tmp_path / ".notes.csv.z1x2c3v4.tmp"  # not a run's: left to the age rule
    for f in (free_tmp, ckpt_tmp, held_tmp, other_tmp):
        f.write_bytes(b"half")
        os.utime(f, (before_start, before_start))
    with run_lock.hold(run_path(held, tmp_path)):
        assert sorted(run_lock.remove_orphan_temporaries(tmp_path)) == sorted([free_tmp, ckpt_tmp])
    assert held_tmp.exists() and other_tmp.exists()
    sw.sweep([free], tmp_path, n_jobs=1, progress=False)  # at its start, the held run's is free now
    assert not held_tmp.exists() and other_tmp.exists()


def test_a_lock_waited_for_is_taken_when_its_holder_releases_it(tmp_path):
    import threading

    path = tmp_path / "run.json"
    lines, order = [], []
    with run_lock.hold(path):
        waiter = threading.Thread(target=lambda: _hold_and_note(path, lines, order))
        waiter.start()
        _wait_for(lambda: lines, "the waiter to announce itself")
        order.append("released")
    waiter.join(timeout=30)
    assert order == ["released", "taken"] and "waiting for run.json" in lines[0]
    with pytest.raises(run_lock.RunLocked, match="run.json is being computed by another process"):
        with run_lock.hold(path):
            with run_lock.hold(path):
                pass


def _hold_and_note(path, lines, order):
    with run_lock.hold(path, wait=True, on_wait=lines.append):
        order.append("taken")
