"""Checkpoints: a full disk costs no finished run and stops no run; a planted checkpoint runs no code."""

import builtins
import errno
import json
import os
import pickle

import pandas as pd
import pytest

from neurodream import atomic_file, training
from neurodream import sweep as sw
from neurodream.chip.calibration import Calibration
from neurodream.training import TrainConfig, checkpoint_path, load_run, run_path, train

TINY = dict(games=5, awake_steps=5, dream_steps=3, learn_after_game=0)


def _disk_full_for(monkeypatch, suffixes, *, after: int = 0):
    """Make ``training.write_atomically`` fail with ENOSPC for files ending in ``suffixes`` once
    ``after`` such writes have succeeded; returns the list of paths it was asked to write."""
    real, asked = training.write_atomically, []

    def write(path, data):
        if str(path).endswith(suffixes):
            asked.append(path)
            if len(asked) > after:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(path, data)

    monkeypatch.setattr(training, "write_atomically", write)
    return asked


def test_a_finished_run_is_saved_though_no_checkpoint_fits(tmp_path, monkeypatch):
    cfg = TrainConfig(condition="dreaming", **TINY)
    _disk_full_for(monkeypatch, (".ckpt",))  # a checkpoint (600 KB) no longer fits, a result (40 KB) does
    path = sw.run_one(cfg, tmp_path)
    assert load_run(path)["game"].tolist() == list(range(5))
    assert not checkpoint_path(cfg, tmp_path).exists()


def test_a_failed_checkpoint_write_is_one_warning_and_the_run_goes_on(tmp_path, monkeypatch):
    cfg = TrainConfig(condition="baseline", **TINY)
    whole = train(cfg, progress=False)
    ckpt = tmp_path / "run.ckpt"
    asked = _disk_full_for(monkeypatch, (".ckpt",), after=1)  # the checkpoint of game 2 fits, later ones not
    with pytest.warns(RuntimeWarning) as record:
        table = train(cfg, progress=False, checkpoint=ckpt, checkpoint_every=2)
    failed = [str(w.message) for w in record if "not written" in str(w.message)]
    assert len(asked) == 3 and len(failed) == 2  # games 2 and 4, and the final state
    assert all(f"checkpoint {ckpt} not written (No space left on device)" in m and "\n" not in m for m in failed)
    pd.testing.assert_frame_equal(table.drop(columns="wall_s"), whole.drop(columns="wall_s"))
    kept = pickle.loads(ckpt.read_bytes())  # the checkpoint of game 2, as it was
    assert len(kept["rows"]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.ckpt"]  # no partial file


def test_a_failed_result_write_keeps_the_last_checkpoint(tmp_path, monkeypatch):
    cfg = TrainConfig(condition="baseline", **TINY)
    ckpt = checkpoint_path(cfg, tmp_path)
    # the periodic checkpoint of game 2 fits; then the disk is full for everything
    asked = _disk_full_for(monkeypatch, (".ckpt", ".json"), after=1)
    with pytest.warns(RuntimeWarning, match="not written"), pytest.raises(OSError, match="No space left"):
        train(cfg, progress=False, checkpoint=ckpt, checkpoint_every=2, save_in=tmp_path)
    assert [p.suffix for p in asked] == [".ckpt", ".ckpt", ".json", ".ckpt"]  # the result before the final state
    assert len(pickle.loads(ckpt.read_bytes())["rows"]) == 2 and not run_path(cfg, tmp_path).exists()


def test_write_atomically_leaves_no_partial_file(tmp_path, monkeypatch):
    target = atomic_file.write_atomically(tmp_path / "run.ckpt", b"previous")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic_file.os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        atomic_file.write_atomically(target, b"x" * 100_000)
    assert target.read_bytes() == b"previous" and [p.name for p in tmp_path.iterdir()] == ["run.ckpt"]


class _Planted:
    """An object whose pickle calls ``call(*args)`` when read."""

    def __init__(self, call, *args):
        self.call, self.args = call, args

    def __reduce__(self):
        return self.call, self.args


def _plants(marker):
    touch = f"open({str(marker)!r}, 'w').close()"
    return {
        "os.system": _Planted(os.system, f"touch {marker}"),
        "builtins.exec": _Planted(builtins.exec, touch),
        "builtins.eval": _Planted(builtins.eval, touch),
        # a class method is allowed (Calibration.from_dict); any other attribute is not
        "getattr": _Planted(getattr, Calibration, "__init_subclass__"),
    }


@pytest.mark.parametrize("kind", ["os.system", "builtins.exec", "builtins.eval", "getattr"])
def test_a_planted_checkpoint_runs_no_code_and_the_run_starts_afresh(tmp_path, kind):
    marker = tmp_path / "pwned"
    cfg = TrainConfig(condition="baseline", **{**TINY, "games": 3})
    ckpt = checkpoint_path(cfg, tmp_path)
    payload = {"config": cfg.to_dict(), "rows": [], "evil": _plants(marker)[kind]}
    ckpt.write_bytes(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
    with pytest.warns(UserWarning, match=f"checkpoint {ckpt} refused: it names .*which a checkpoint never holds; "
                                         "starting afresh"):
        path = sw.run_one(cfg, tmp_path)
    assert not marker.exists()
    assert load_run(path)["game"].tolist() == [0, 1, 2]


def test_a_checkpoint_holds_only_what_the_allowlist_names(tmp_path):
    from neurodream import safe_pickle

    for condition in ("baseline", "dreaming"):
        ckpt = tmp_path / f"{condition}.ckpt"
        train(TrainConfig(condition=condition, **{**TINY, "games": 2}), progress=False, checkpoint=ckpt)
        state = safe_pickle.loads(ckpt.read_bytes())  # ForbiddenGlobal if it named anything else
        assert len(state["rows"]) == 2 and json.dumps(state["config"])
