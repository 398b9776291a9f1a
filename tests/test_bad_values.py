"""Bad values refused before any work, or handled: learning rates, diverging runs, the BLAS pin, the
kernels of a resumed run, run counts, --out, --report, --first-games, the Numba cache."""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from neurodream import blas, numba_cache, training
from neurodream import rerun as rr
from neurodream import sweep as sw
from neurodream.__main__ import build_parser, main, parse_seeds
from neurodream.pong import Pong
from neurodream.readouts import Policy
from neurodream.training import NonFiniteRun, TrainConfig, checkpoint_path, load_run, run_path, train

ROOT = Path(__file__).resolve().parents[1]
TINY = dict(games=3, awake_steps=5, learn_after_game=0)


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if a game or a sweep starts."""
    def refuse(*args, **kwargs):
        raise AssertionError("work started despite bad input")

    monkeypatch.setattr(training, "train", refuse)
    monkeypatch.setattr(sw, "train", refuse)
    monkeypatch.setattr(sw, "sweep", refuse)
    monkeypatch.setattr(rr, "sweep", refuse)
    monkeypatch.setattr(rr, "_first_games", refuse)


def _one_line_exit(argv, capsys, code=2) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == code
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.fixture(scope="module")
def committed(tmp_path_factory):
    """A folder with one tiny finished run (3 games), as data/ holds the committed ones."""
    folder = tmp_path_factory.mktemp("committed")
    path = sw.run_one(TrainConfig(**TINY), folder)
    return folder, path


# A1, A2: learning rates

@pytest.mark.parametrize("lr", [0.0, -0.004, 1.5, 1e308, float("inf"), float("nan")])
def test_a_learning_rate_out_of_range_is_refused_by_the_config(lr):
    message = f"policy_lr = {lr!r} must be a finite number > 0 and <= 1 (the policy's learning rate"
    with pytest.raises(ValueError, match=re.escape(message)):
        TrainConfig(policy_lr=lr)
    TrainConfig(policy_lr=1.0)  # the bound itself is allowed


def test_policy_lr_0_is_refused_on_the_command_line_before_any_work(tmp_path, capsys, no_work):
    err = _one_line_exit(["train", "--set", "policy_lr=0", "--out", str(tmp_path)], capsys)
    assert "policy_lr = 0.0 must be a finite number > 0" in err


def _weights_become_nan_in_game(monkeypatch, bad_game: int):
    """Make the policy's weights NaN at the update of game ``bad_game`` (one update per game here)."""
    real_update, calls = Policy.update, []

    def update(self, *args, **kwargs):
        real_update(self, *args, **kwargs)
        calls.append(1)
        if len(calls) == bad_game + 1:
            self.J[0, 0] = np.nan

    monkeypatch.setattr(Policy, "update", update)


def test_a_run_whose_weights_become_nan_stops_naming_run_game_and_field_and_saves_nothing(tmp_path, monkeypatch):
    cfg = TrainConfig(**TINY)
    _weights_become_nan_in_game(monkeypatch, 1)
    with pytest.raises(NonFiniteRun, match=rf"run {run_path(cfg, '.').name}: game 1: policy_J not finite"):
        sw.run_one(cfg, tmp_path)
    assert not run_path(cfg, tmp_path).exists() and list(tmp_path.glob("*.json")) == []


def test_a_diverging_run_on_the_command_line_is_one_line_and_exit_status_1(tmp_path, monkeypatch, capsys):
    _weights_become_nan_in_game(monkeypatch, 2)
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--games", "3", "--set", "awake_steps=5", "learn_after_game=0", "--out", str(tmp_path)])
    err = capsys.readouterr().err.splitlines()[-1]  # after the progress bar
    assert exit_.value.code == 1 and err.startswith("neurodream train: run baseline_paper_wait10_seed0_")
    assert "game 2: policy_J not finite" in err and "no result is saved" in err
    assert list(tmp_path.glob("*.json")) == []


# A3: an empty OPENBLAS_CORETYPE is no choice

def test_an_empty_kernel_choice_is_replaced_by_the_pin(monkeypatch):
    monkeypatch.setattr(blas, "cpu_supports_pin", lambda: True)
    for empty in ("", "  "):
        env = {blas.ENV: empty}
        assert blas.pin(env) == blas.PINNED_KERNEL and env[blas.ENV] == blas.PINNED_KERNEL


def test_a_fresh_process_with_an_empty_kernel_choice_is_pinned():
    if not blas.cpu_supports_pin():
        pytest.skip("this CPU cannot run the pinned kernels")
    env = {**os.environ, blas.ENV: "", "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-c", "import os, neurodream; print(os.environ['OPENBLAS_CORETYPE'])"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == blas.PINNED_KERNEL


# A4: every kernel of a resumed run is recorded

def test_a_run_resumed_under_other_kernels_records_every_kernel(tmp_path, monkeypatch):
    cfg = TrainConfig(**{**TINY, "games": 4})
    ckpt = checkpoint_path(cfg, tmp_path)
    real_start, starts = Pong.start_game, []

    def interrupted(self):
        starts.append(1)
        if len(starts) > 3:  # Ctrl-C in game 3, after the checkpoint of games 0-1
            raise KeyboardInterrupt
        return real_start(self)

    monkeypatch.setattr(blas, "active_kernel", lambda: "SkylakeX")
    monkeypatch.setattr(Pong, "start_game", interrupted)
    with pytest.raises(KeyboardInterrupt), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # train's note: not the pinned kernels
        train(cfg, progress=False, checkpoint=ckpt, checkpoint_every=2, save_in=tmp_path)
    assert ckpt.exists()
    monkeypatch.setattr(Pong, "start_game", real_start)
    monkeypatch.setattr(blas, "active_kernel", lambda: "Haswell")
    path = sw.run_one(cfg, tmp_path)
    assert load_run(path).attrs["blas_kernel"] == "SkylakeX,Haswell"
    # one kernel reads as before; none known stays null
    assert training.kernel_record(["Haswell"]) == "Haswell" and training.kernel_record([None]) is None


# A5: the number of runs a command line may ask for

def test_a_huge_seed_range_is_refused_at_once_naming_the_count_and_the_limit():
    start = time.perf_counter()
    with pytest.raises(argparse.ArgumentTypeError, match=rf"1000000000000 seeds; at most {sw.MAX_RUNS} runs"):
        parse_seeds("0-999999999999")
    with pytest.raises(ValueError, match=rf"200000 runs asked for \(100000 seeds x 2 conditions x 1 wait times\); "
                                         rf"at most {sw.MAX_RUNS}"):
        sw.grid(seeds=range(100_000))
    assert time.perf_counter() - start < 5
    assert parse_seeds("0-2") == [0, 1, 2] and len(sw.grid(seeds=range(2))) == 4


def test_a_huge_sweep_dry_run_is_one_line_and_exit_status_2(tmp_path, capsys, no_work):
    err = _one_line_exit(["sweep", "--seeds", "0-999999", "--dry-run", "--out", str(tmp_path)], capsys)
    assert "1000000 seeds" in err and f"at most {sw.MAX_RUNS}" in err
    err = _one_line_exit(["sweep", "--seeds", "0-99999", "--dry-run", "--out", str(tmp_path)], capsys)
    assert "200000 runs asked for" in err


# A6, A7: --out

@pytest.mark.parametrize("command", ["train", "sweep", "rerun", "seal", "powered"])
def test_an_empty_out_is_refused(command, tmp_path, capsys, monkeypatch, no_work):
    monkeypatch.chdir(tmp_path)
    err = _one_line_exit([command, "--out", ""], capsys)
    assert "an empty folder would write into the working directory" in err
    assert list(tmp_path.iterdir()) == []


def test_out_is_the_package_s_data_folder_unless_given_and_absolute_when_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    parser = build_parser()
    for command in (["train"], ["sweep"], ["rerun"], ["seal"]):
        assert parser.parse_args(command).out == str(sw.DATA)
        assert parser.parse_args([*command, "--out", "runs"]).out == str(tmp_path / "runs")
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert "left out, the package's data folder" in " ".join(commands["sweep"].format_help().split())


def test_rerun_from_elsewhere_says_where_the_committed_runs_are(tmp_path, monkeypatch, capsys, no_work):
    if not sw.DATA.is_dir():
        pytest.skip("no data folder in this checkout")
    monkeypatch.chdir(tmp_path)
    err = _one_line_exit(["rerun", "--seeds", "0", "--out", "data"], capsys)
    assert f"{tmp_path / 'data'} does not exist, the committed runs are in {sw.DATA}" in err


# A8: a report that cannot be written is refused before any work

def test_an_unwritable_report_is_refused_before_any_work(committed, tmp_path, capsys, no_work):
    folder, path = committed
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    report = blocker / "report.csv"
    with pytest.raises(ValueError, match=f"--report {report}: {blocker} is not a writable folder"):
        rr.check_first_games([path], 2, n_jobs=1, report=report, progress=False)
    with pytest.raises(ValueError, match=f"--report {report}: {blocker} is not a writable folder"):
        rr.rerun([path], n_jobs=1, report=report, progress=False)
    with pytest.raises(ValueError, match="is a folder"):
        rr.rerun([path], n_jobs=1, report=tmp_path, progress=False)
    err = _one_line_exit(["rerun", "--all", "--first-games", "2", "--out", str(folder), "--report", str(report)],
                         capsys)
    assert "not a writable folder" in err


# A9: the games a first-games check really compared

def test_first_games_reports_the_games_compared_not_the_games_asked(committed, capsys):
    folder, _ = committed
    main(["rerun", "--all", "--first-games", "100000", "--jobs", "1", "--out", str(folder)])
    out = capsys.readouterr().out
    assert "first 100000 games" not in out
    assert "their first 3 games (100000 asked for; every run is shorter) recomputed" in out
    assert "1 of 1 runs reproduce their first 3 games (100000 asked for; every run is shorter) bit for bit" in out
    assert rr.first_games_text([6, 6], 6) == "first 6 games"
    assert rr.first_games_text([3, 6], 6) == "first 3 to 6 games (6 asked for; shorter runs compared whole)"


# A10: a writable Numba cache

def test_the_numba_cache_falls_back_only_where_numba_has_no_writable_place(tmp_path, monkeypatch):
    monkeypatch.setattr(numba_cache.tempfile, "tempdir", str(tmp_path))
    env = {"HOME": str(tmp_path / "home")}
    assert numba_cache.ensure_writable_cache(env, lambda folder: True) is None and env == {"HOME": env["HOME"]}
    # the package folder read-only, the user-wide cache writable: Numba's own fallback does
    in_tree = lambda folder: not str(folder).startswith(str(numba_cache.PACKAGE))  # noqa: E731
    assert numba_cache.ensure_writable_cache(env, in_tree) is None and numba_cache.ENV not in env
    # neither: a private folder in the temporary directory
    folder = numba_cache.ensure_writable_cache(env, lambda folder: False)
    assert folder == str(tmp_path / f"neurodream-numba-{os.getuid()}") == env[numba_cache.ENV]
    assert Path(folder).is_dir() and Path(folder).stat().st_mode & 0o777 == 0o700
    # a choice made outside wins
    env = {numba_cache.ENV: "/somewhere"}
    assert numba_cache.ensure_writable_cache(env, lambda folder: False) is None
    assert env == {numba_cache.ENV: "/somewhere"}


def test_the_package_imports_where_numba_has_no_writable_cache(tmp_path):
    # a copy of the package whose __pycache__ folders cannot be made (a file stands there: read-only
    # even for root) and a user-wide cache under a file: Numba's "no locator available" without the fallback
    copy = tmp_path / "site" / "neurodream"
    shutil.copytree(ROOT / "neurodream", copy, ignore=shutil.ignore_patterns("__pycache__"))
    for folder in (copy, copy / "chip"):
        (folder / "__pycache__").write_text("not a folder")
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    (tmp_path / "tmp").mkdir()
    env = {k: v for k, v in os.environ.items() if k != numba_cache.ENV}
    env.update(PYTHONPATH=str(copy.parent), XDG_CACHE_HOME=str(blocker / "cache"), TMPDIR=str(tmp_path / "tmp"),
               PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run([sys.executable, "-c", "import os, neurodream, neurodream.chip; "
                           "print(neurodream.__file__, os.environ['NUMBA_CACHE_DIR'])"],
                          env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    module, cache = done.stdout.split()
    assert module == str(copy / "__init__.py") and cache == str(tmp_path / "tmp" / f"neurodream-numba-{os.getuid()}")
