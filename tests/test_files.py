"""Result files: strict JSON, readable by others sharing the folder, no temporary files left behind,
one unreadable file does not stop loading, checkpoints notice a change of code."""

import json
import os
import time

import numpy as np
import pandas as pd
import pytest

from neurodream import sweep as sw
from neurodream.atomic_file import write_atomically
from neurodream.run_digest import seal_file, sealed_text
from neurodream.training import TrainConfig, load_run, run_path, save_run, train

TINY = dict(games=2, awake_steps=5, dream_steps=3, learn_after_game=0)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_one_unreadable_json_in_the_folder_does_not_stop_loading(tmp_path):
    cfg = TrainConfig(condition="baseline", **TINY)
    sw.run_one(cfg, tmp_path)
    (tmp_path / "summary.json").write_text(json.dumps({"mean": -1.3}))  # not a run
    (tmp_path / "zz_cut.json").write_text('{"config": {"games"')  # a copy cut short
    with pytest.warns(UserWarning) as record:
        table = sw.load_results(tmp_path)
    named = [str(w.message) for w in record]
    assert any("summary.json" in m and "left out" in m for m in named)
    assert any("zz_cut.json" in m and "left out" in m for m in named)
    assert table.run.unique().tolist() == [run_path(cfg, ".").stem] and len(table) == 2


def test_result_files_are_readable_by_others_sharing_the_folder(tmp_path):
    path = write_atomically(tmp_path / "a.json", "{}")
    assert path.stat().st_mode & 0o777 == 0o666 & ~_umask()
    old = os.umask(0o002)
    try:
        run = save_run(train(TrainConfig(**TINY), progress=False), TrainConfig(**TINY), tmp_path)
        assert run.stat().st_mode & 0o777 == 0o664
    finally:
        os.umask(old)


def test_temporary_files_of_killed_writers_are_removed(tmp_path):
    hour_ago = time.time() - 3 * 3600
    stale = [tmp_path / "tmpab12cd_3.tmp", tmp_path / ".run.json.k2j4l3.tmp"]  # old- and new-style names
    fresh = tmp_path / ".other.json.x9y8z7.tmp"  # a writer at work right now
    for f in (*stale, fresh):
        f.write_bytes(b"")
    for f in stale:
        os.utime(f, (hour_ago, hour_ago))
    write_atomically(tmp_path / "run.json", "{}")
    assert [f.exists() for f in stale] == [False, False] and fresh.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.json.x9y8z7.tmp", "run.json"]


def test_result_json_is_strict_and_files_with_bare_nan_still_load(tmp_path):
    cfg = TrainConfig(condition="baseline", **TINY)
    table = train(cfg, progress=False)
    assert table.model_state_error.isna().all()  # baseline: no world model
    path = save_run(table, cfg, tmp_path)

    def refuse(name):
        raise ValueError(f"bare {name} in strict JSON")

    json.loads(path.read_text(), parse_constant=refuse)
    back = load_run(path)
    pd.testing.assert_frame_equal(back, table)
    old_style = json.loads(path.read_text())
    del old_style["digest"]
    old_style["table"]["model_state_error"] = [float("nan")] * 2
    path.write_text(json.dumps(old_style))  # as written before (NaN, no digest)
    with pytest.raises(ValueError, match="fails its digest"):
        load_run(path)
    assert seal_file(path)  # sealed once (python -m neurodream seal): NaN written as null
    json.loads(path.read_text(), parse_constant=refuse)
    pd.testing.assert_frame_equal(load_run(path), table)
    assert np.isnan(load_run(path).model_spikes_per_step).all()


def test_a_checkpoint_of_other_code_is_not_resumed(tmp_path, monkeypatch):
    import neurodream

    cfg = TrainConfig(condition="baseline", **TINY)
    ckpt = tmp_path / "run.ckpt"
    train(cfg, progress=False, checkpoint=ckpt)  # leaves a finished checkpoint
    assert ckpt.exists()
    monkeypatch.setattr(neurodream, "code_fingerprint", lambda: "edited since", raising=False)
    with pytest.warns(UserWarning, match="run.ckpt was written by other code"):
        train(cfg, progress=False, checkpoint=ckpt)


def test_a_run_file_records_the_blas_kernels_it_ran(tmp_path):
    from neurodream import blas

    cfg = TrainConfig(condition="baseline", **TINY)
    path = save_run(train(cfg, progress=False), cfg, tmp_path)
    assert load_run(path).attrs["blas_kernel"] == blas.active_kernel()  # e.g. "Haswell"; None without OpenBLAS
    older = json.loads(path.read_text())
    del older["blas_kernel"]  # files made before the kernels were recorded (and sealed since)
    path.write_text(sealed_text(older))
    assert load_run(path).attrs["blas_kernel"] is None
