"""Run files carry a digest of their content: an edited file, or one of the wrong kind, is refused by
every reader, set aside by the sweep, and files made before digests get theirs once (``seal``)."""

import json

import pytest

from neurodream import rerun as rr
from neurodream import run_digest
from neurodream import sweep as sw
from neurodream.__main__ import main
from neurodream.training import TrainConfig, load_run, run_path

TINY = dict(games=3, awake_steps=5, dream_steps=3, learn_after_game=0)


def _edit(path, change, *, reseal=False):
    """Apply ``change(payload)`` to the run file at ``path``; with ``reseal`` a new digest is written
    (a file of the wrong kind that its digest vouches for)."""
    payload = json.loads(path.read_text())
    change(payload)
    path.write_text(run_digest.sealed_text(payload) if reseal else json.dumps(payload))


def _return_plus_one(p):
    p["table"]["return"][1] += 1.0


def _null_policy(p):
    p["policy_J"] = None


def _other_code(p):
    p["code"] = "0123456789abcdef"


def _other_kernel(p):
    p["blas_kernel"] = "SkylakeX"


def _text_return(p):
    p["table"]["return"][0] = "-1.0"


def _no_digest(p):
    del p["digest"]


EDITS = {"return edited": _return_plus_one, "policy_J null": _null_policy, "code changed": _other_code,
         "blas_kernel changed": _other_kernel, "text in return": _text_return, "digest removed": _no_digest}


def test_a_run_file_carries_the_digest_of_what_a_reader_gets(tmp_path):
    cfg = TrainConfig(condition="baseline", **TINY)
    path = sw.run_one(cfg, tmp_path)
    payload = json.loads(path.read_text())
    assert list(payload)[-1] == "digest" and payload["digest"].startswith("sha256:")
    assert payload["table"]["model_state_error"] == [None] * 3  # NaN as null, before the digest is taken
    body = {k: v for k, v in payload.items() if k != "digest"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()
    import hashlib

    assert payload["digest"] == "sha256:" + hashlib.sha256(canonical).hexdigest()
    assert run_digest.verify(payload, path) == body


@pytest.mark.parametrize("edit", list(EDITS))
def test_an_edited_run_file_is_refused_and_the_sweep_sets_it_aside(tmp_path, edit):
    cfg = TrainConfig(condition="dreaming", **TINY)
    path = sw.run_one(cfg, tmp_path)
    _edit(path, EDITS[edit])
    edited = path.read_text()
    with pytest.raises(ValueError, match=f"{path.name} fails its digest"):
        load_run(path)
    with pytest.warns(UserWarning, match=f"{path.name} fails its digest.*kept as {path.name}.superseded"):
        assert not sw.cached(cfg, tmp_path)
    with pytest.warns(UserWarning, match=f"{path.name} fails its digest"):
        sw.run_one(cfg, tmp_path)
    assert (tmp_path / f"{path.name}.superseded").read_text() == edited  # kept, not lost
    assert load_run(path).attrs["policy_J"]  # recomputed, with its digest


@pytest.mark.parametrize("change, fragment", [
    (_text_return, "table column 'return' holds '-1.0'; allowed: numbers and null"),
    (_null_policy, "policy_J is null"),
    (lambda p: p.pop("model_W"), "model_W is missing"),
    (lambda p: p["table"]["game"].pop(), "table columns differ in length"),
    (lambda p: p["table"].pop("return"), "table has no column return"),
    (lambda p: p.update(policy_J=[["a"]]), "policy_J is not a matrix of numbers"),
])
def test_a_run_file_of_the_wrong_kind_is_refused_though_its_digest_matches(tmp_path, change, fragment):
    cfg = TrainConfig(condition="dreaming", **TINY)
    path = sw.run_one(cfg, tmp_path)
    _edit(path, change, reseal=True)
    with pytest.raises(ValueError, match=f"{path.name} is corrupt or not a neurodream run \\({fragment}"):
        load_run(path)
    with pytest.warns(UserWarning, match=fragment):
        sw.run_one(cfg, tmp_path)
    assert (tmp_path / f"{path.name}.superseded").exists() and load_run(path).attrs["policy_J"]


def test_every_reader_refuses_a_file_that_fails_its_digest(tmp_path, monkeypatch):
    good, bad = (TrainConfig(condition="baseline", seed=s, **TINY) for s in (0, 1))
    sw.sweep([good, bad], tmp_path, n_jobs=1, progress=False)
    bad_path = run_path(bad, tmp_path)
    _edit(bad_path, _return_plus_one)
    with pytest.warns(UserWarning, match=f"{bad_path.name} fails its digest.*left out"):
        table = sw.load_results(tmp_path)
    assert table.run.unique().tolist() == [run_path(good, ".").stem]
    with pytest.raises(ValueError, match=f"{bad_path.name} fails its digest"):
        sw.load_configs([good, bad], tmp_path)

    def fail(*a, **k):
        raise AssertionError("work started before the bad file was named")

    monkeypatch.setattr(sw, "train", fail)
    with pytest.raises(ValueError, match=f"{bad_path.name} fails its digest"):
        rr.rerun([run_path(good, tmp_path), bad_path], n_jobs=1, progress=False)


def test_seal_adds_a_digest_once_and_refuses_an_edited_file(tmp_path, capsys):
    cfg = TrainConfig(condition="dreaming", **TINY)
    path = sw.run_one(cfg, tmp_path)
    as_written = load_run(path)
    old = json.loads(path.read_text())
    del old["digest"]
    old["table"]["model_state_error"][0] = float("nan")  # an older file: bare NaN, no digest
    path.write_text(json.dumps(old))
    (tmp_path / "sub").mkdir()
    nested = tmp_path / "sub" / path.name
    nested.write_text(json.dumps(old))
    (tmp_path / "summary.json").write_text('{"mean": 1}')  # not a run file: --all leaves it alone
    main(["seal", "--all", "--out", str(tmp_path)])
    assert "2 of 2 run files sealed" in capsys.readouterr().out
    assert load_run(path).attrs["policy_J"] == as_written.attrs["policy_J"]
    assert load_run(nested)["return"].tolist() == as_written["return"].tolist()
    assert (tmp_path / "summary.json").read_text() == '{"mean": 1}'
    main(["seal", str(path)])
    assert "0 of 1 run files sealed, 1 had a digest that verifies" in capsys.readouterr().out
    _edit(path, _return_plus_one)
    edited = path.read_text()
    with pytest.raises(SystemExit) as stop:
        main(["seal", str(path), str(tmp_path / "summary.json")])
    err = capsys.readouterr().err
    assert stop.value.code == 1 and path.read_text() == edited
    assert f"refused: run file {path} fails its digest" in err and "summary.json is not a run file" in err
