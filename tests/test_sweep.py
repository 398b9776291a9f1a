"""The sweep machinery: one cached file per run, resume without recomputing, Dask gives the same."""

import argparse
import json

import pandas as pd
import pytest

from neurodream import lifeline
from neurodream import sweep as sw
from neurodream.__main__ import parse_seeds
from neurodream.run_digest import sealed_text
from neurodream.training import TrainConfig, calibration_record, run_path

TINY = dict(games=2, awake_steps=5, dream_steps=3, learn_after_game=0)


def _configs():
    return sw.grid(conditions=["baseline", "dreaming"], seeds=[0], **TINY)


def test_sweep_writes_one_file_per_run_and_skips_finished_runs(tmp_path, monkeypatch):
    paths = sw.sweep(_configs(), tmp_path, n_jobs=1, progress=False)
    assert [p.exists() for p in paths] == [True, True]
    table = sw.load_results(tmp_path)
    assert sorted(table.condition.unique()) == ["baseline", "dreaming"] and len(table) == 4
    # per-game columns survive (a config field of the same name must not overwrite them)
    assert table.groupby("condition").dream_steps.max().to_dict() == {"baseline": 0, "dreaming": 3}
    payload = json.loads(paths[0].read_text())
    assert payload["config"]["games"] == 2 and payload["version"]

    def fail(*a, **k):
        raise AssertionError("a finished run was recomputed")

    monkeypatch.setattr(sw, "train", fail)
    assert sw.sweep(_configs(), tmp_path, n_jobs=1, progress=False) == paths
    # another config (more games) is a different run with its own file
    other = TrainConfig(condition="baseline", seed=0, **{**TINY, "games": 3})
    assert run_path(other, tmp_path) not in paths


def test_corrupt_result_is_reported_and_recomputed(tmp_path):
    cfg = _configs()[0]
    path = sw.run_one(cfg, tmp_path)
    good = path.read_text()
    path.write_text(good[: len(good) // 2])  # e.g. a copy cut short
    with pytest.warns(UserWarning, match="corrupt"):
        sw.run_one(cfg, tmp_path)
    again, before = json.loads(path.read_text()), json.loads(good)
    for payload in (again, before):
        del payload["table"]["wall_s"], payload["digest"]  # the digest covers the wall times
    assert again == before  # recomputed, identical (seeded)


def test_a_run_made_under_another_calibration_is_recomputed(tmp_path):
    from neurodream.chip.calibration import DREAMING_AGENT_PULSE
    from neurodream.training import agent_pulse_calibration

    cfg = _configs()[1]
    path = sw.run_one(cfg, tmp_path)
    assert sw.cached(cfg, tmp_path)
    payload = json.loads(path.read_text())
    payload["calibration"] = agent_pulse_calibration(DREAMING_AGENT_PULSE).to_dict()  # e.g. an older default
    path.write_text(sealed_text(payload))
    with pytest.warns(UserWarning, match="another calibration"):
        assert not sw.cached(cfg, tmp_path)
    with pytest.warns(UserWarning, match="another calibration"):
        assert sw.load_results(tmp_path).empty


def test_dask_cluster_gives_the_serial_results(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    configs = _configs()
    sw.sweep(configs, tmp_path / "serial", n_jobs=1, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        sw.sweep(configs, tmp_path / "dask", scheduler=cluster.scheduler_address, progress=False)
    a = sw.load_results(tmp_path / "serial").drop(columns="wall_s")
    b = sw.load_results(tmp_path / "dask").drop(columns="wall_s")
    assert a.equals(b)


def test_bad_sweep_input_is_named(tmp_path):
    with pytest.raises(ValueError, match="unknown config fields \\['gmaes'\\]"):
        sw.load_results(tmp_path, gmaes=2)
    with pytest.raises(ValueError, match="same config twice"):
        sw.sweep(_configs() * 2, tmp_path)
    assert parse_seeds("0-3") == [0, 1, 2, 3] and parse_seeds("1,5") == [1, 5]
    with pytest.raises(argparse.ArgumentTypeError, match="'3-1': expected a range"):
        parse_seeds("3-1")


def test_a_failing_run_does_not_stop_the_others(tmp_path, monkeypatch):
    real_train = sw.train

    def flaky(cfg, **kw):
        if cfg.condition == "baseline":
            raise ValueError("boom")
        return real_train(cfg, **kw)

    monkeypatch.setattr(sw, "train", flaky)
    with pytest.raises(RuntimeError, match="(?s)1 of 2 runs failed.*baseline.*boom"):
        with pytest.warns(UserWarning, match="boom"):
            sw.sweep(_configs(), tmp_path, n_jobs=1, progress=False)
    assert run_path(_configs()[1], tmp_path).exists()  # the dreaming run was saved


def test_set_option_reaches_the_config_and_names_bad_fields():
    from neurodream.__main__ import parse_fields
    from neurodream.training import TrainConfig, run_path

    fields = parse_fields(["action_activity=1000", "dream_steps=0"])
    assert fields == {"action_activity": 1000, "dream_steps": 0}
    typed = TrainConfig(condition="dreaming", fidelity="corrected", **fields)
    as_float = TrainConfig(condition="dreaming", fidelity="corrected", action_activity=1000.0, dream_steps=0)
    assert run_path(typed, "d") == run_path(as_float, "d")  # 1000 and 1000.0 name the same run
    with pytest.raises(argparse.ArgumentTypeError, match="'pulse=3'.*FIELD one of awake_steps, dream_steps"):
        parse_fields(["pulse=3"])
    with pytest.raises(argparse.ArgumentTypeError, match="'fidelity=corrected'.*use --fidelity"):
        parse_fields(["fidelity=corrected"])


def _other_runs_in(folder):
    """Runs the CLI below does not ask for: another seed and another setting of the asked seed."""
    others = [TrainConfig(condition="baseline", seed=1, **TINY),
              TrainConfig(condition="baseline", seed=0, **{**TINY, "awake_steps": 3})]
    sw.sweep(others, folder, n_jobs=1, progress=False)
    return others


def test_cli_sweep_summary_counts_exactly_the_runs_asked_for(tmp_path, capsys):
    import re

    from neurodream.__main__ import main
    from neurodream.training import load_run

    _other_runs_in(tmp_path)
    main(["sweep", "--conditions", "baseline", "--seeds", "0", "--games", "2", "--jobs", "1", "--out", str(tmp_path),
          "--set", "awake_steps=5", "dream_steps=3", "learn_after_game=0"])
    asked = load_run(run_path(TrainConfig(condition="baseline", seed=0, **TINY), tmp_path))
    row = re.search(r"^baseline\s+10\.0\s+(\S+)\s+\S+\s+(\d+)\s*$", capsys.readouterr().out, re.M)
    assert row, "no summary row for baseline"
    assert int(row.group(2)) == 1  # one run asked for, one run summarised
    assert float(row.group(1)) == pytest.approx(asked["return"].mean())


def test_a_merged_table_tells_every_run_apart(tmp_path):
    from neurodream import analysis

    others = _other_runs_in(tmp_path)
    sw.sweep([TrainConfig(condition="baseline", seed=0, **TINY)], tmp_path, n_jobs=1, progress=False)
    table = sw.load_results(tmp_path)
    assert table.groupby("run").size().to_dict() == {run_path(c, ".").stem: 2 for c in
                                                     [*others, TrainConfig(condition="baseline", seed=0, **TINY)]}
    assert sorted(table.awake_steps.unique()) == [3, 5]  # the config field that differs is a column
    with pytest.raises(ValueError, match="awake_steps"):  # two settings of seed 0 are never averaged together
        analysis.final_performance(table)
    analysis.final_performance(table[table.awake_steps == 5])  # one setting: fine


@pytest.mark.parametrize("pair, value", [
    ("poisson_input=False", False), ("poisson_input=no", False), ("poisson_input=yes", True),
    ("poisson_input=true", True), ("poisson_input=0", False), ("dream_steps=25", 25), ("wait_ms=20", 20.0),
    ("policy_lr=2e-3", 0.002), ("fidelity=corrected", "corrected"), ("calibration=null", None),
    ("calibration={\"kappa\": 0.7}", {"kappa": 0.7}),
])
def test_set_values_are_converted_by_the_field_type(pair, value):
    from neurodream.__main__ import convert_field

    key, _, text = pair.partition("=")
    got = convert_field(key, text)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("pair, fragment", [
    ("poisson_input=maybe", "poisson_input is a bool"), ("poisson_input=False2", "poisson_input is a bool"),
    ("dream_steps=2.5", "dream_steps is an int"), ("dream_steps=true", "dream_steps is an int"),
    ("policy_lr=fast", "policy_lr is a float"), ("calibration=[1, 2]", "calibration is a JSON object"),
])
def test_set_values_that_do_not_convert_are_refused(pair, fragment):
    from neurodream.__main__ import parse_fields

    with pytest.raises(argparse.ArgumentTypeError, match=fragment):
        parse_fields([pair])


def test_a_failed_final_write_keeps_the_finished_run(tmp_path, monkeypatch):
    from neurodream import training
    from neurodream.pong import Pong
    from neurodream.training import checkpoint_path, load_run, train

    cfg = _configs()[1]
    real_write = training.write_atomically

    def disk_full_for_results(path, data):
        if str(path).endswith(".json"):
            raise OSError(28, "No space left on device (injected)")
        return real_write(path, data)

    monkeypatch.setattr(training, "write_atomically", disk_full_for_results)
    with pytest.raises(OSError, match="injected"):
        sw.run_one(cfg, tmp_path)
    monkeypatch.setattr(training, "write_atomically", real_write)
    assert checkpoint_path(cfg, tmp_path).exists()  # every game played is still on disk

    def no_game(*args):
        raise AssertionError("a finished game was played again")

    whole = train(cfg, progress=False)
    monkeypatch.setattr(Pong, "step", no_game)
    path = sw.run_one(cfg, tmp_path)
    assert not checkpoint_path(cfg, tmp_path).exists()  # removed once the result is written
    saved = load_run(path)
    pd.testing.assert_frame_equal(saved.drop(columns="wall_s"), whole.drop(columns="wall_s"))
    assert saved.attrs["policy_J"] == whole.attrs["policy_J"] and saved.attrs["model_W"] == whole.attrs["model_W"]


def test_an_unwritable_out_folder_is_named_before_the_first_game(tmp_path, monkeypatch):
    from neurodream import training
    from neurodream.pong import Pong

    def no_game(*args):
        raise AssertionError("a game started")

    monkeypatch.setattr(Pong, "start_game", no_game)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(ValueError, match=f"{blocker / 'runs'} is not a writable folder"):
        sw.sweep(_configs(), blocker / "runs", n_jobs=1, progress=False)
    with pytest.raises(ValueError, match=f"{blocker} is not a writable folder"):
        training.train(_configs()[0], progress=False, checkpoint=blocker / "run.ckpt")


def test_a_result_with_fewer_games_than_its_config_is_not_trusted(tmp_path):
    cfg = _configs()[0]
    path = sw.run_one(cfg, tmp_path)
    payload = json.loads(path.read_text())
    payload["table"] = {k: v[:1] for k, v in payload["table"].items()}  # valid JSON, 1 of 2 games
    path.write_text(sealed_text(payload))
    with pytest.warns(UserWarning, match=f"{path.name} holds 1 of 2 games"):
        assert not sw.cached(cfg, tmp_path)


def test_a_file_of_another_config_under_the_name_is_named_and_kept(tmp_path):
    cfg, other = _configs()[0], TrainConfig(condition="baseline", seed=1, **TINY)
    foreign = json.loads(sw.run_one(other, tmp_path).read_text())
    path = run_path(cfg, tmp_path)
    path.write_text(json.dumps(foreign))  # e.g. copied under the wrong name, or a default changed since
    with pytest.warns(UserWarning, match=f"{path.name} holds another config than asked \\(seed: 1, asked 0\\)"):
        assert not sw.cached(cfg, tmp_path)
    with pytest.warns(UserWarning, match=f"kept as {path.name}.superseded"):
        sw.run_one(cfg, tmp_path)
    assert json.loads(path.read_text())["config"] == cfg.to_dict()
    assert json.loads((tmp_path / f"{path.name}.superseded").read_text()) == foreign  # nothing lost


def _walls():
    """A hand-made per-game speed table: wall time per game of cached runs (s)."""
    rows = [("baseline", 50, 0.2), ("baseline", 50, 0.2), ("baseline", 50, 0.4),
            ("dreaming", 50, 0.5), ("dreaming", 50, 0.7), ("dreaming", 100, 2.0)]
    return pd.DataFrame([{"condition": c, "fidelity": "paper", "wait_ms": 10.0, "host_ms": 8.0, "awake_steps": 100,
                          "dream_steps": d,
                          "dreams_per_game": 1, "wall_s": w} for c, d, w in rows])


def test_cost_estimate_uses_measured_speed_of_similar_runs_first():
    configs = [TrainConfig(condition="baseline", games=100), TrainConfig(condition="dreaming", games=10),
               TrainConfig(condition="dreaming", games=10, dream_steps=25),
               TrainConfig(condition="baseline", games=10, wait_ms=50.0)]
    est = sw.estimate_cost(configs, _walls())
    # means of similar games; else the condition's games scaled by chip ms per step (here 58 / 18)
    assert est.seconds_per_game.tolist() == pytest.approx([0.8 / 3, 0.6, 3.2 / 3, 0.8 / 3 * 58 / 18])
    assert est.seconds.tolist() == pytest.approx([80 / 3, 6.0, 32 / 3, 8 / 3 * 58 / 18])
    scaled = "3 games of the condition, scaled by chip time per step"
    assert est.basis.tolist() == ["3 similar games", "2 similar games", scaled, scaled]
    default = sw.estimate_cost(configs[:1], _walls().iloc[:0])
    assert default.seconds_per_game.tolist() == [sw.DEFAULT_SECONDS_PER_GAME["baseline"]]
    assert default.basis.tolist() == ["default"]


def test_sweep_says_what_is_missing_and_a_dry_run_computes_nothing(tmp_path, capsys, monkeypatch):
    done, missing = _configs()
    sw.sweep([done], tmp_path, n_jobs=1, progress=False)
    capsys.readouterr()

    def fail(*a, **k):
        raise AssertionError("a dry run computed")

    monkeypatch.setattr(sw, "train", fail)
    assert sw.sweep([done, missing], tmp_path, n_jobs=1, progress=False, dry_run=True) == [run_path(missing, tmp_path)]
    out = capsys.readouterr().out
    assert "1 of 2 runs missing" in out and run_path(missing, tmp_path).name in out and "estimate" in out
    assert "dry run" in out and not run_path(missing, tmp_path).exists()


_real_run_or_report = sw._run_or_report


def _dies_on_seed_1(cfg, out_dir):
    """A sweep's job whose worker process is killed (as by the OOM killer) while it runs seed 1."""
    import multiprocessing
    import os
    import signal

    if cfg.seed == 1:
        if not multiprocessing.current_process().name.startswith("LokyProcess"):
            raise AssertionError("seed 1 was to run in a worker process")
        os.kill(os.getpid(), signal.SIGKILL)
    return _real_run_or_report(cfg, out_dir)


def test_a_killed_worker_fails_only_its_own_run_and_the_sweep_goes_on(tmp_path, monkeypatch):
    monkeypatch.setattr(sw, "_run_or_report", _dies_on_seed_1)
    configs = [TrainConfig(condition="baseline", seed=s, **TINY) for s in range(3)]
    with pytest.raises(RuntimeError, match=r"(?s)1 of 3 runs failed.*"
                                           rf"{run_path(configs[1], '.').name}: its worker process died \(exit"):
        with pytest.warns(UserWarning, match="a worker process died"):
            sw.sweep(configs, tmp_path, n_jobs=2, progress=False)
    assert [run_path(c, tmp_path).exists() for c in configs] == [True, False, True]


SWEEP_FOR_LONG = r"""
import sys
from neurodream import sweep as sw
from neurodream.training import TrainConfig

configs = [TrainConfig(condition="baseline", seed=s, games=2000, awake_steps=20) for s in (0, 1)]
sw.sweep(configs, sys.argv[1], n_jobs=2, progress=False)
"""


_alive = lifeline.alive  # whether a process runs (a zombie does not)


def _workers_of(pid: int) -> list[int]:
    """The joblib (loky) worker processes whose parent is ``pid``."""
    import pathlib

    found = []
    for proc in pathlib.Path("/proc").glob("[0-9]*"):
        try:
            ppid = int((proc / "stat").read_text().rsplit(") ", 1)[-1].split()[1])
            if ppid == pid and b"LokyProcess" in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def test_killing_a_sweep_ends_its_workers(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from neurodream.run_lock import lock_path

    locks = [lock_path(run_path(TrainConfig(condition="baseline", seed=s, games=2000, awake_steps=20), tmp_path))
             for s in (0, 1)]
    main = subprocess.Popen([sys.executable, "-c", SWEEP_FOR_LONG, str(tmp_path)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    workers = []
    try:
        deadline = time.time() + 60
        while (len(workers) < 2 or not all(p.exists() for p in locks)) and time.time() < deadline:
            workers = workers if len(workers) == 2 else _workers_of(main.pid)
            time.sleep(0.1)  # until both workers have started their runs (each holds its run's lock)
        assert len(workers) == 2, "the sweep never started its workers"
        main.send_signal(signal.SIGKILL)
        main.wait(timeout=30)
        deadline = time.time() + 15
        while any(map(_alive, workers)) and time.time() < deadline:
            time.sleep(0.2)
        assert not any(map(_alive, workers)), "a worker outlived the sweep that started it"
    finally:
        main.kill()
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
