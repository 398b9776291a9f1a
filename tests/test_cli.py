"""The command line: help for every option, typed --set values, one-line errors with exit status 2."""

import re
import argparse

import pytest

from neurodream import sweep as sw
from neurodream import training
from neurodream.__main__ import main


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    from neurodream.__main__ import build_parser

    parser = build_parser()
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices


@pytest.mark.parametrize("command", ["train", "sweep"])
def test_every_option_has_help_and_shows_its_default(command):
    sub = _subparsers()[command]
    options = [a for a in sub._actions if a.dest != "help"]
    assert options and all(a.help and a.help != argparse.SUPPRESS for a in options)
    assert sub.format_help().count("(default:") == len(options)


@pytest.mark.parametrize("command", ["train", "sweep"])
def test_set_help_lists_the_other_fields_with_type_and_default(command):
    text = " ".join(_subparsers()[command].format_help().split())
    for field in ("awake_steps (int, default 100)", "poisson_input (bool, default False)",
                  "policy_lr (float, default 0.004)", "calibration (dict, default None)"):
        assert field in text
    assert not re.search(r"(?<![\w])seed \(int", text)  # fields with their own option are not offered to --set


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if a game or a sweep starts."""
    def refuse(*args, **kwargs):
        raise AssertionError("work started despite bad input")

    monkeypatch.setattr(training, "train", refuse)
    monkeypatch.setattr(sw, "sweep", refuse)


@pytest.mark.parametrize("argv, fragment", [
    (["train", "--games", "abc"], "--games"), (["train", "--games", "0"], "games = 0"),
    (["train", "--seed", "-1"], "seed = -1"), (["train", "--wait-ms", "inf"], "wait_ms = inf"),
    (["train", "--fidelity", "exact"], "--fidelity"), (["train", "--set", "poisson_input=maybe"], "poisson_input is a bool"),
    (["train", "--set", "awake_steps=0"], "awake_steps = 0"), (["train", "--set", "seed=3"], "use --seed"),
    (["train", "--set", "dream_steps=1", "dream_steps=2"], "dream_steps twice"),
    (["train", "--set", "action_activity=1000"], "needs fidelity 'corrected'"),
    (["sweep", "--seeds", "3-1"], "'3-1'"), (["sweep", "--jobs", "0"], "--jobs"),
    (["sweep", "--set", "pulse=3"], "FIELD one of"), (["sweep", "--wait-ms", "10", "-5"], "wait_ms = -5"),
    (["sweep", "--games", "2.5"], "--games"),
    (["rerun", "--all"], "--all goes with --first-games"),
    (["rerun", "--all", "--first-games", "2", "--replace"], "compares in memory"),
    (["rerun", "--all", "--first-games", "0"], "games = 0"),
    (["rerun", "--from-check", "missing.csv"], "not a readable first-games report"),
    (["rerun", "--all", "--from-check", "missing.csv", "--first-games", "2"], "not both"),
])
def test_a_bad_value_gives_one_line_and_exit_status_2(argv, fragment, capsys, tmp_path, no_work):
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert fragment in err


def test_train_checks_out_before_the_first_game(tmp_path, capsys, no_work):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--games", "2", "--out", str(blocker)])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and len(err.strip().splitlines()) == 1
    assert f"--out {blocker}" in err and "not a writable folder" in err


def test_sweep_dry_run_lists_missing_runs_and_computes_nothing(tmp_path, capsys, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a game was played")

    monkeypatch.setattr(training, "train", refuse)
    monkeypatch.setattr(sw, "train", refuse)
    main(["sweep", "--conditions", "baseline", "--seeds", "0-2", "--games", "2", "--dry-run", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "3 of 3 runs missing" in out and "baseline_paper_wait10_seed2_" in out and "mean return" not in out


class _Stop(Exception):
    pass


def test_train_says_when_a_run_is_too_short_to_learn(tmp_path, capsys, monkeypatch):
    def stop(*args, **kwargs):
        raise _Stop

    monkeypatch.setattr(training, "train", stop)
    with pytest.raises(_Stop):
        main(["train", "--games", "51", "--out", str(tmp_path)])  # games 0-50: learning starts at game 51
    assert "no policy learning" in capsys.readouterr().err
    with pytest.raises(_Stop):
        main(["train", "--games", "52", "--out", str(tmp_path)])
    assert "no policy learning" not in capsys.readouterr().err


def test_train_never_overwrites_a_file_at_the_run_s_name(tmp_path, capsys, monkeypatch):
    import json

    from neurodream.training import TrainConfig, load_run, run_path

    argv = ["train", "--games", "2", "--set", "awake_steps=5", "learn_after_game=0", "--out", str(tmp_path)]
    main(argv)
    path = run_path(TrainConfig(games=2, awake_steps=5, learn_after_game=0), tmp_path)
    finished = path.read_text()

    def refuse(*args, **kwargs):
        raise AssertionError("a finished run was computed again")

    monkeypatch.setattr(training, "train", refuse)
    main(argv)  # exit status 0, nothing computed
    assert f"{path} is this run's finished result already" in capsys.readouterr().out
    assert path.read_text() == finished
    monkeypatch.undo()
    payload = json.loads(finished)
    payload["table"]["return"][0] += 1.0  # edited by hand: not this run's result as written
    path.write_text(json.dumps(payload))
    edited = path.read_text()
    main(argv)
    err = capsys.readouterr().err
    assert f"{path.name} fails its digest" in err and f"kept as {path.name}.superseded" in err
    assert (tmp_path / f"{path.name}.superseded").read_text() == edited  # nothing lost
    assert load_run(path)["return"].tolist() == json.loads(finished)["table"]["return"]  # recomputed (seeded)
