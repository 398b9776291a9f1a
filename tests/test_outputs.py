"""Where notebooks write: committed outputs only from committed parameters."""

import json
import re

import pytest

from neurodream import outputs

NOTEBOOK = '''# %% [markdown]
# # 99 · a notebook

# %% tags=["parameters"]
quick = 0  # 1: tiny sizes
seeds = 10
jobs = 2
fidelity = "paper"
action_activity = 150.0
agent_pulse = ""
waits_ms = [10.0, 20.0, 50.0]

# %%
COMMITTED_PARAMETERS = [{"fidelity": "corrected", "seeds": 2}]
x = 1
'''


@pytest.fixture
def notebook(tmp_path):
    path = tmp_path / "notebooks" / "99_test.py"
    path.parent.mkdir()
    path.write_text(NOTEBOOK)
    return path


def _where(notebook, tmp_path, **params):
    # as make figures runs it, with the notebook recorded as it is (tests/test_teaching_safety.py
    # covers the other cases)
    record = tmp_path / "committed.json"
    if not record.exists():
        outputs.record_notebooks([notebook], record)
    values = {**outputs.parameters_cell(notebook), **params}
    return outputs.notebook_outputs(str(notebook), values, root=tmp_path, report=False, record=record,
                                    under_make=True)


def test_the_parameters_cell_and_the_committed_sets_are_read_from_the_source(notebook):
    assert outputs.parameters_cell(notebook) == {"quick": 0, "seeds": 10, "jobs": 2, "fidelity": "paper",
                                                 "action_activity": 150.0, "agent_pulse": "",
                                                 "waits_ms": [10.0, 20.0, 50.0]}
    assert outputs.committed_parameter_sets(notebook) == [{"fidelity": "corrected", "seeds": 2}]


def test_only_the_defaults_write_figures_and_the_readme(notebook, tmp_path):
    default = _where(notebook, tmp_path)
    assert default.figures == tmp_path / "figures" and default.readme == tmp_path / "README.md"
    assert default.variant is None
    # how the run is done does not change what it writes; numbers compare by value (papermill's ints)
    assert _where(notebook, tmp_path, jobs=1, action_activity=150).readme == tmp_path / "README.md"


def test_other_parameters_write_a_named_variant_folder_and_never_the_readme(notebook, tmp_path):
    five = _where(notebook, tmp_path, seeds=5)
    assert five.figures == tmp_path / "figures" / "variants" / "seeds-5" and five.figures.is_dir()
    assert five.readme is None and five.variant == "seeds-5"
    assert "figures/, data/ and README.md are not changed" in five.describe()
    many = _where(notebook, tmp_path, fidelity="corrected", action_activity=1000, seeds=6, agent_pulse="5,45",
                  waits_ms=[10.0, 20.0])
    # "5,45" reads back ambiguously ("5-45", [5, 45]): a hash of the exact parameters follows
    assert re.fullmatch(r"seeds-6_fidelity-corrected_action_activity-1000_agent_pulse-5-45_waits_ms-10-20_[0-9a-f]{10}",
                        many.variant)


def test_a_committed_set_writes_figures_but_not_the_readme(notebook, tmp_path):
    corrected = _where(notebook, tmp_path, fidelity="corrected", seeds=2)
    assert corrected.figures == tmp_path / "figures" and corrected.readme is None and corrected.variant is None
    # the same set with one more change is a variant
    assert _where(notebook, tmp_path, fidelity="corrected", seeds=3).variant == "seeds-3_fidelity-corrected"


def test_quick_runs_stay_in_their_own_folder(notebook, tmp_path):
    quick = _where(notebook, tmp_path, quick=1)
    assert quick.figures == tmp_path / "figures" / "quick" and quick.readme is None
    assert _where(notebook, tmp_path, quick=1, seeds=5).figures == tmp_path / "figures" / "quick" / "variants" / "seeds-5"


def test_every_notebook_has_a_parameters_cell_and_valid_committed_sets():
    for source in sorted(outputs.NOTEBOOKS.glob("[0-9][0-9]_*.py")):
        defaults = outputs.parameters_cell(source)
        assert "quick" in defaults, source
        for changes in outputs.committed_parameter_sets(source):
            assert changes and set(changes) <= set(defaults), (source, changes)


def test_the_report_reads_the_parameters_papermill_stored(notebook, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(outputs, "NOTEBOOKS", notebook.parent)
    executed = tmp_path / "99_test.ipynb"
    executed.write_text(json.dumps({"metadata": {"papermill": {"parameters": {"quick": 0, "seeds": 5}}}}))
    outputs.main([str(executed)])
    assert "figures/variants/seeds-5" in capsys.readouterr().out


def test_the_module_examples_hold():
    import doctest

    assert doctest.testmod(outputs).failed == 0


def test_the_code_map_lists_every_module():
    # docs/code_map.md tells a newcomer where a change belongs: it must not fall behind the package
    root = outputs.ROOT
    text = (root / "docs" / "code_map.md").read_text()
    modules = [p.relative_to(root / "neurodream").as_posix() for p in (root / "neurodream").rglob("*.py")
               if p.name != "__init__.py"]
    assert modules and [m for m in modules if f"`{m}`" not in text] == []
