"""Committed runs recomputed with today's code: reproduced runs are recognised, divergences located."""

import json

import pandas as pd
import pytest

from neurodream import rerun as rr
from neurodream import sweep as sw
from neurodream.run_digest import sealed_text
from neurodream.training import TrainConfig, load_run, run_path

TINY = dict(games=3, awake_steps=5, dream_steps=3, learn_after_game=0)


def _made_by(path, code):
    """Pretend the run file at ``path`` was made by the code with fingerprint ``code``."""
    payload = json.loads(path.read_text())
    payload["code"] = code
    path.write_text(sealed_text(payload))


def test_a_run_of_today_s_code_reproduces_and_replaces_its_file(tmp_path):
    cfg = TrainConfig(condition="dreaming", seed=1, **TINY)
    path = sw.run_one(cfg, tmp_path)
    _made_by(path, "old")
    report = rr.rerun([path], codes=["old"], n_jobs=1, replace=True, report=tmp_path / "r.csv", progress=False)
    assert report.run.tolist() == [path.stem] and report.made_by.tolist() == ["old"]
    assert report.identical.tolist() == [True] and report.replaced.tolist() == [True]
    assert report.first_differing_game.isna().all()
    assert load_run(path).attrs["code"] != "old"  # the new file is in the old one's place
    assert not run_path(cfg, tmp_path / "rerun").exists()
    saved = pd.read_csv(tmp_path / "r.csv")
    assert saved.identical.tolist() == [True] and saved.replaced.tolist() == [True]
    assert rr.summary(report) == "1 of 1 runs reproduced bit for bit"


def test_a_divergence_is_located_and_the_committed_file_kept_without_replace(tmp_path):
    cfg = TrainConfig(condition="baseline", seed=0, **TINY)
    path = sw.run_one(cfg, tmp_path)
    payload = json.loads(path.read_text())
    payload["code"] = "old"
    payload["table"]["return"][2] += 1.0  # the committed run differs from game 2 on
    path.write_text(sealed_text(payload))
    report = rr.rerun([path], codes=["old"], n_jobs=1, progress=False)
    row = report.iloc[0]
    assert not row.identical and row.first_differing_game == 2 and not row.replaced
    assert row.final_return_old == pytest.approx(row.final_return_new + 1.0 / 3)
    assert load_run(path).attrs["code"] == "old"  # not replaced
    assert "0 of 1 runs reproduced" in rr.summary(report) and "from game 2" in rr.summary(report)


def test_weights_alone_make_a_run_differ():
    table = pd.DataFrame({"game": [0, 1], "return": [0.0, 1.0], "wall_s": [1.0, 2.0]})
    old, new = table.copy(), table.assign(wall_s=[5.0, 6.0])  # timing is not compared
    old.attrs, new.attrs = {"policy_J": [[0.0, 1.0]], "model_W": None}, {"policy_J": [[0.0, 1.0]], "model_W": None}
    assert rr.compare(old, new)["identical"]
    new.attrs = {"policy_J": [[0.0, 1.5]], "model_W": None}
    result = rr.compare(old, new)
    assert not result["identical"] and result["first_differing_game"] is None


def test_only_the_files_of_the_codes_asked_for_are_recomputed(tmp_path, monkeypatch):
    path = sw.run_one(TrainConfig(condition="baseline", seed=0, **TINY), tmp_path)

    def fail(*a, **k):
        raise AssertionError("a run not asked for was recomputed")

    monkeypatch.setattr(sw, "train", fail)
    assert rr.rerun([path], codes=["another"], n_jobs=1, progress=False).empty


def test_bad_files_are_named_before_any_work(tmp_path):
    junk = tmp_path / "notes.json"
    junk.write_text("{}")
    with pytest.raises(ValueError, match="notes.json"):
        rr.rerun([junk])
    run = sw.run_one(TrainConfig(condition="baseline", seed=0, **TINY), tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    copy = other / run.name
    copy.write_text(run.read_text())
    with pytest.raises(ValueError, match="2 folders"):
        rr.rerun([run, copy])
    renamed = tmp_path / "renamed.json"
    renamed.write_text(run.read_text())
    with pytest.raises(ValueError, match="not named after its config"):
        rr.rerun([renamed])


def test_cli_rerun_refuses_runs_without_a_committed_file(tmp_path, capsys):
    from neurodream.__main__ import main

    with pytest.raises(SystemExit) as stop:
        main(["rerun", "--conditions", "baseline", "--seeds", "0", "--games", "3", "--out", str(tmp_path)])
    assert stop.value.code == 2
    assert "1 of the 1 runs asked for have no file" in capsys.readouterr().err


def test_a_dry_run_estimates_from_the_committed_folder_and_computes_nothing(tmp_path, capsys, monkeypatch):
    path = sw.run_one(TrainConfig(condition="baseline", seed=0, **TINY), tmp_path)

    def fail(*a, **k):
        raise AssertionError("a dry run computed a run")

    monkeypatch.setattr(sw, "train", fail)
    assert rr.rerun([path], dry_run=True, progress=False).empty
    out = capsys.readouterr().out
    assert f"runs already in {tmp_path}" in out and "3 games x" in out and "(3 similar games)" in out
    assert not (tmp_path / "rerun").exists()


def test_final_returns_of_a_report_by_condition_and_seed():
    report = pd.DataFrame({"run": ["baseline_paper_wait10_seed3_0123abcd", "dreaming_corrected_wait50_seed12_ff00"],
                           "final_return_old": [-1.0, 0.5], "final_return_new": [-1.0, 0.25]})
    new = rr.final_returns(report, "new")
    assert new[["condition", "seed", "final_return"]].values.tolist() == [["baseline", 3, -1.0], ["dreaming", 12, 0.25]]
    assert rr.final_returns(report, "old").final_return.tolist() == [-1.0, 0.5]
    with pytest.raises(ValueError, match="'both'"):
        rr.final_returns(report, "both")
    with pytest.raises(ValueError, match="not a run's name"):
        rr.final_returns(report.assign(run=["notes", "x"]), "old")


def test_the_first_games_check_finds_a_changed_game_and_writes_only_its_report(tmp_path):
    cfg = TrainConfig(condition="dreaming", seed=2, **TINY)
    path = sw.run_one(cfg, tmp_path)
    report = rr.check_first_games([path], 2, n_jobs=1, report=tmp_path / "first.csv", progress=False)
    assert report.identical.tolist() == [True] and report.games_compared.tolist() == [2]
    payload = json.loads(path.read_text())
    payload["table"]["model_reward_error"][1] += 1e-17  # a last-bit difference in game 1
    path.write_text(sealed_text(payload))
    report = rr.check_first_games([path], 5, n_jobs=1, progress=False)
    row = report.iloc[0]
    assert not row.identical and row.first_differing_game == 1 and row.games_compared == 3  # the run has 3
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([path.name, "first.csv"])
    with pytest.raises(ValueError, match="games = 0"):
        rr.check_first_games([path], 0)


def test_failed_checks_names_the_runs_that_did_not_reproduce(tmp_path):
    report = tmp_path / "check.csv"
    pd.DataFrame({"run": ["a", "b", "c"], "identical": [True, False, False]}).to_csv(report, index=False)
    assert rr.failed_checks(report) == ["b", "c"]
    (tmp_path / "other.csv").write_text("x,y\n1,2\n")
    with pytest.raises(ValueError, match="not a first-games report"):
        rr.failed_checks(tmp_path / "other.csv")


def test_a_replace_interrupted_after_its_first_move_loses_nothing_and_resumes_its_report(tmp_path, monkeypatch):
    import os

    paths = [sw.run_one(TrainConfig(condition="baseline", seed=s, **TINY), tmp_path) for s in (0, 1)]
    for k, path in enumerate(paths):  # made by old code; the first differs from today's from game 2 on
        payload = json.loads(path.read_text())
        payload["code"] = "old"
        payload["table"]["return"][2] += 1.0 if k == 0 else 0.0
        path.write_text(sealed_text(payload))
    committed = [p.read_text() for p in paths]
    real_replace, moves = os.replace, []

    def killed_after_first_move(src, dst):
        if str(src).endswith(".tmp"):  # an atomic write, not a move
            return real_replace(src, dst)
        if moves:
            raise KeyboardInterrupt
        moves.append(dst)
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", killed_after_first_move)
    with pytest.raises(KeyboardInterrupt):
        rr.rerun(paths, codes=["old"], n_jobs=1, replace=True, report=tmp_path / "r.csv", progress=False)
    monkeypatch.setattr(os, "replace", real_replace)
    on_disk = [p.read_text() for p in tmp_path.rglob("*.json")]
    assert all(text in on_disk for text in committed)  # each committed file in its place or kept aside
    assert pd.read_csv(tmp_path / "r.csv").identical.tolist() == [False, True]  # written before any move
    report = rr.rerun(paths, codes=["old"], n_jobs=1, replace=True, report=tmp_path / "r.csv", progress=False)
    assert report.identical.tolist() == [False, True] and report.first_differing_game.tolist()[0] == 2
    assert report.replaced.tolist() == [True, True]
    assert pd.read_csv(tmp_path / "r.csv").identical.tolist() == [False, True]
    assert all(load_run(p).attrs["code"] != "old" for p in paths)  # the new files in place
    assert not (tmp_path / "rerun" / rr.REPLACED).exists()  # the committed ones removed once all were in place
