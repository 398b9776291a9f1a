"""A teaching edit never overwrites a committed output, whatever its route (issue: a parameters cell
saved from JupyterLab, a code edit, other PARAMS, a run in Lab): it writes a variant, and its runs
and studies go beside it, never into the committed data/."""

import json

import pytest

from neurodream import outputs, study_cache, sweep
from neurodream.training import TrainConfig, run_path, save_run, train

SOURCE = '''# %% [markdown]
# # 98 · a teaching notebook

# %% tags=["parameters"]
quick = 0
seeds = 10
jobs = 2

# %%
biases = {"IF_TAU1_N": (1, 100)}
x = 1
'''


@pytest.fixture
def checkout(tmp_path):
    nb = tmp_path / "notebooks" / "98_teach.py"
    nb.parent.mkdir()
    nb.write_text(SOURCE)
    record = tmp_path / "notebooks" / "committed.json"
    outputs.record_notebooks([nb], record)
    return nb, record


def _run(nb, record, tmp_path, under_make=True, **params):
    values = {**outputs.parameters_cell(nb), **params}
    return outputs.notebook_outputs(str(nb), values, root=tmp_path, report=False, record=record,
                                    under_make=under_make)


def test_the_recorded_notebook_run_by_make_writes_the_committed_outputs(checkout, tmp_path):
    nb, record = checkout
    out = _run(nb, record, tmp_path)
    assert out.variant is None and out.readme == tmp_path / "README.md"


def test_a_parameters_cell_saved_from_lab_is_a_variant(checkout, tmp_path):
    # JupyterLab saves the edited cell back into the .py source: the record still says seeds = 10
    nb, record = checkout
    nb.write_text(SOURCE.replace("seeds = 10", "seeds = 2"))
    out = _run(nb, record, tmp_path)
    assert out.variant == "seeds-2" and out.readme is None
    assert out.figures == tmp_path / "figures" / "variants" / "seeds-2"


def test_a_code_edit_is_a_variant(checkout, tmp_path):
    nb, record = checkout
    nb.write_text(SOURCE.replace("(1, 100)", "(1, 150)"))
    out = _run(nb, record, tmp_path)
    assert out.variant.startswith("edited-") and out.readme is None
    assert "code differs" in out.describe()
    # a teacher's note in markdown is not a code edit
    nb.write_text(SOURCE.replace("# # 98 · a teaching notebook", "# # 98 · a teaching notebook\n# Try 150!"))
    assert _run(nb, record, tmp_path).variant is None


def test_other_params_and_a_run_in_lab_are_variants(checkout, tmp_path):
    nb, record = checkout
    assert _run(nb, record, tmp_path, seeds=5).variant == "seeds-5"
    lab = _run(nb, record, tmp_path, under_make=False)
    assert lab.variant == "interactive" and lab.readme is None
    both = _run(nb, record, tmp_path, under_make=False, seeds=5)
    assert both.variant == "seeds-5_interactive"


def test_the_record_is_the_authority_not_the_source(checkout, tmp_path):
    nb, record = checkout
    data = json.loads(record.read_text())
    assert data["98_teach"]["parameters"] == {"quick": 0, "seeds": 10, "jobs": 2}
    nb.unlink()
    nb.write_text(SOURCE)  # the same source again: still committed
    assert _run(nb, record, tmp_path).variant is None
    # a notebook without a record never writes committed outputs
    other = nb.with_name("97_new.py")
    other.write_text(SOURCE)
    assert _run(other, record, tmp_path).variant == "unrecorded"


def test_variant_runs_go_beside_the_variant_and_committed_runs_are_only_read(tmp_path, monkeypatch):
    committed = tmp_path / "data"
    committed.mkdir()
    monkeypatch.setattr(sweep, "data_dir", lambda quick: committed)
    done = TrainConfig(games=2, awake_steps=3)
    save_run(train(done, progress=False), done, committed)
    before = sorted(p.name for p in committed.iterdir())
    variant = tmp_path / "data" / "variants" / "games-3"
    sweep.use_variant_data(variant)
    try:
        new = TrainConfig(games=3, awake_steps=3)
        table = sweep._run_and_load([done, new], quick=False, jobs=1)
        assert sorted(p.name for p in committed.iterdir() if p.is_file()) == before  # nothing written there
        assert run_path(new, variant).exists() and not run_path(new, committed).exists()
        assert sorted(table.games.unique()) == [2, 3]
        assert sweep.run_folder(done, False) == committed and sweep.run_folder(new, False) == variant
    finally:
        sweep.use_variant_data(None)
    assert sweep.run_folder(new, False) == committed


def test_a_variant_study_keeps_the_committed_studies(tmp_path, monkeypatch):
    committed = tmp_path / "studies"
    monkeypatch.setattr(study_cache, "study_dir", lambda quick: committed)
    import pandas as pd

    first = study_cache.cached_study("fi", lambda: pd.DataFrame({"x": [1.0]}), inputs={"bias": 100})
    kept = sorted(p.name for p in committed.iterdir())
    study_cache.use_variant_dir(tmp_path / "variant_studies")
    try:
        again = study_cache.cached_study("fi", lambda: pd.DataFrame({"x": [9.0]}), inputs={"bias": 100})
        assert again.x.tolist() == first.x.tolist() == [1.0]  # the committed study is read
        edited = study_cache.cached_study("fi", lambda: pd.DataFrame({"x": [2.0]}), inputs={"bias": 150})
        assert edited.x.tolist() == [2.0]
        assert sorted(p.name for p in committed.iterdir()) == kept  # neither written nor removed
        assert len(list((tmp_path / "variant_studies").iterdir())) == 1
    finally:
        study_cache.use_variant_dir(None)


def test_every_notebook_is_recorded_as_it_is():
    # make figures writes the committed outputs only from recorded notebooks: a notebook changed
    # without `make record-notebooks` would silently write variants instead
    for nb in sorted(outputs.NOTEBOOKS.glob("[0-9][0-9]_*.py")):
        rec = outputs.committed_record(nb.stem)
        assert rec is not None, f"{nb.name} has no record: make record-notebooks"
        assert rec["code"] == outputs.code_digest(nb), f"{nb.name} changed since it was recorded"
        assert rec["parameters"] == outputs.parameters_cell(nb), f"{nb.name}'s parameters changed"


def test_a_notebook_states_the_cost_and_asks_before_long_training(tmp_path, monkeypatch, capsys):
    committed = tmp_path / "data"
    committed.mkdir()
    monkeypatch.setattr(sweep, "data_dir", lambda quick: committed)
    monkeypatch.delenv(sweep.ALLOW_TRAINING, raising=False)
    long = [TrainConfig(seed=s, games=20_000) for s in range(40)]  # hours, whatever the machine
    with pytest.raises(RuntimeError, match="40 runs to train .* ALLOW_TRAINING=1"):
        sweep._run_and_load(long, quick=False, jobs=2)
    assert "estimated" in capsys.readouterr().out and not list(committed.iterdir())  # nothing started
    monkeypatch.setenv(sweep.ALLOW_TRAINING, "1")
    monkeypatch.setattr(sweep, "sweep", lambda *a, **k: [])
    monkeypatch.setattr(sweep, "load_configs", lambda *a, **k: "loaded")
    assert sweep._run_and_load(long, quick=False, jobs=2) == "loaded"
    # short work goes ahead with its estimate printed
    monkeypatch.delenv(sweep.ALLOW_TRAINING)
    assert sweep.confirm_cost([TrainConfig(games=3, awake_steps=3)], committed, 1) < sweep.ASK_ABOVE_S


def test_the_cost_estimate_of_a_small_sweep_is_within_a_factor_1_5(tmp_path):
    import time

    first = TrainConfig(seed=0, games=40, awake_steps=100)
    save_run(train(first, progress=False), first, tmp_path)  # the measured speed the estimate uses
    todo = [TrainConfig(seed=s, games=40, awake_steps=100) for s in (1, 2)]
    estimate = sweep.confirm_cost(todo, tmp_path, 1, speed_dir=tmp_path)
    t0 = time.perf_counter()
    for cfg in todo:
        save_run(train(cfg, progress=False), cfg, tmp_path)
    took = time.perf_counter() - t0
    assert 1 / 1.5 <= estimate / took <= 1.5, (estimate, took)
