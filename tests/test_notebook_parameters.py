"""Notebook parameters: values of the wrong type or range refused before any work, unknown names
refused before papermill runs, and one variant folder per parameter set."""

import base64
import itertools
import re
from pathlib import Path

import pytest

from neurodream import outputs

NOTEBOOK = '''# %% [markdown]
# # 98 · a notebook

# %% tags=["parameters"]
quick = 0
seeds = 10
games = 2000
jobs = 2
fidelity = "paper"
action_activity = 150.0
waits_ms = [10.0, 20.0, 50.0]
poisson = False

# %%
x = 1
'''
OTHER = '''# %% tags=["parameters"]
quick = 0
replays = 5
'''


@pytest.fixture
def notebook(tmp_path):
    path = tmp_path / "notebooks" / "98_test.py"
    path.parent.mkdir()
    path.write_text(NOTEBOOK)
    return path


@pytest.fixture
def other(notebook):
    path = notebook.parent / "97_other.py"
    path.write_text(OTHER)
    return path


def _where(notebook, tmp_path, **params):
    values = {**outputs.parameters_cell(notebook), **params}
    return outputs.notebook_outputs(str(notebook), values, root=tmp_path, report=False)


@pytest.mark.parametrize("params, fragment", [
    ({"seeds": 0}, "seeds = 0: seeds must be a positive whole number"),
    ({"seeds": -1}, "seeds = -1: seeds must be a positive whole number"),
    ({"seeds": 2.5}, "seeds = 2.5 (float) must be a whole number, as its committed value 10"),
    ({"seeds": "5"}, "seeds = '5' (str) must be a whole number"),
    ({"seeds": True}, "seeds = True (bool) must be a whole number"),
    ({"games": 0}, "games = 0: games must be a positive whole number"),
    ({"jobs": 0}, "jobs = 0: jobs must be a whole number of parallel runs, not 0"),
    ({"quick": 2}, "quick = 2: quick must be 0 or 1"),
    ({"fidelity": 1}, "fidelity = 1 (int) must be text"),
    ({"action_activity": "high"}, "action_activity = 'high' (str) must be a finite number"),
    ({"action_activity": float("inf")}, "action_activity = inf (float) must be a finite number"),
    ({"action_activity": -5.0}, "action_activity = -5.0: action_activity must be a positive"),
    ({"waits_ms": 10.0}, "waits_ms = 10.0 (float) must be a list of finite numbers"),
    ({"waits_ms": [10.0, -20.0]}, "waits_ms = [10.0, -20.0]: waits_ms must be a list of positive"),
    ({"waits_ms": []}, "waits_ms = []: waits_ms must be a list of positive"),
    ({"poisson": 1}, "poisson = 1 (int) must be True or False"),
])
def test_a_bad_value_is_refused_before_any_work(notebook, tmp_path, params, fragment):
    with pytest.raises(ValueError, match=re.escape(f"parameter {fragment}")):
        _where(notebook, tmp_path, **params)
    assert not (tmp_path / "figures").exists()  # nothing written


@pytest.mark.parametrize("params", [
    {"jobs": -1}, {"jobs": 1}, {"action_activity": 1000}, {"waits_ms": [10, 20]}, {"quick": True},
    {"quick": 1}, {"seeds": 5, "games": 3}, {"poisson": True},
])
def test_good_values_of_every_type_pass(notebook, tmp_path, params):
    _where(notebook, tmp_path, **params)


def test_every_committed_parameters_cell_passes_its_own_check():
    for source in sorted(outputs.NOTEBOOKS.glob("[0-9][0-9]_*.py")):
        defaults = outputs.parameters_cell(source)
        outputs.check_parameter_values(defaults, defaults)
        assert outputs.check_parameters_main([str(source), "-p", "quick", "1"]) == 0


def _check(capsys, *argv) -> tuple[int, str]:
    code = outputs.main(["check-parameters", *map(str, argv)])
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == (1 if code else 0), err
    return code, err


def test_an_unknown_parameter_is_refused_naming_it_and_the_allowed_ones(notebook, capsys):
    code, err = _check(capsys, notebook, "-p", "quick", "0", "-p", "seed", "5")
    assert code == 2
    assert "unknown parameter 'seed'" in err
    assert "allowed: action_activity, fidelity, games, jobs, poisson, quick, seeds, waits_ms" in err
    assert _check(capsys, notebook, "-p", "quick", "0", "-p", "seeds", "5")[0] == 0


def test_a_parameter_is_known_when_one_of_the_notebooks_run_has_it(notebook, other, capsys):
    # make figures passes PARAMS to every notebook: those without the parameter ignore it
    assert _check(capsys, notebook, other, "-p", "seeds", "5", "-p", "replays", "3")[0] == 0
    code, err = _check(capsys, other, "-p", "seeds", "5")
    assert code == 2 and "unknown parameter 'seeds'" in err and "allowed: quick, replays" in err
    code, err = _check(capsys, notebook, other, "-p", "replays", "0")
    assert code == 2 and "97_other: parameter replays = 0: replays must be a positive whole number" in err


def test_values_are_read_as_papermill_reads_them_and_checked(notebook, tmp_path, capsys):
    assert outputs.papermill_parameters(["-p", "seeds", "5", "-p", "fidelity", "corrected", "-p", "x", "2.5",
                                         "-p", "flag", "True", "-p", "none", "None", "-r", "raw", "5"]) == {
        "seeds": 5, "fidelity": "corrected", "x": 2.5, "flag": True, "none": None, "raw": "5"}
    yaml_file = tmp_path / "params.yaml"
    yaml_file.write_text("games: 3\nwaits_ms: [10, 20]\n")
    b64 = base64.b64encode(b"seeds: 4").decode()
    assert outputs.papermill_parameters(["-y", "{seeds: 7, fidelity: corrected}", "--parameters_file", str(yaml_file),
                                         "-b", b64, "--parameters", "seeds", "6"]) == {
        "seeds": 6, "fidelity": "corrected", "games": 3, "waits_ms": [10, 20]}  # papermill's order: -p wins
    for argv, fragment in [(["-p", "seeds", "2.5"], "seeds = 2.5 (float) must be a whole number"),
                           (["-p", "seeds", "-1"], "seeds = -1: seeds must be a positive whole number"),
                           (["-r", "seeds", "5"], "seeds = '5' (str) must be a whole number"),
                           (["-y", "{waits_ms: 10}"], "waits_ms = 10 (int) must be a list"),
                           (["-y", "{seeds: [1"], "is not YAML"),
                           (["-p", "seeds"], "-p expects NAME VALUE"),
                           (["--log-output"], "'--log-output' is not a parameter option")]:
        code, err = _check(capsys, notebook, *argv)
        assert code == 2 and fragment in err, (argv, err)


def test_make_figures_checks_the_parameters_before_the_first_notebook_runs():
    makefile = (outputs.ROOT / "Makefile").read_text()
    recipe = makefile.split("\nfigures:", 1)[1].split("\n\n", 1)[0]
    check = recipe.index("$(PY) -m neurodream.outputs check-parameters $(NOTEBOOKS) -p quick $(QUICK) $(PARAMS)")
    assert check < recipe.index("for nb in $(NOTEBOOKS)") < recipe.index("papermill")
    assert recipe.splitlines()[1].lstrip("\t@").startswith("$(PY) -m neurodream.outputs check-parameters")


def test_distinct_parameter_sets_get_distinct_variant_names():
    sets = [{"seeds": 1}, {"seeds": -1}, {"seeds": 1.5}, {"seeds": "1"}, {"seeds": "-1"}, {"seeds": [1, 1]},
            {"seeds": "1-1"}, {"seeds": [1]}, {"seeds": 0.1234567}, {"seeds": 0.123457},
            {"agent_pulse": "a/b"}, {"agent_pulse": "a b"}, {"agent_pulse": "a-b"}, {"agent_pulse": ["a", "b"]},
            {"agent_pulse": ""}, {"agent_pulse": "empty"}, {"agent_pulse": None}, {"agent_pulse": "None"},
            {"agent_pulse": True}, {"agent_pulse": "True"}, {"waits_ms": [10.0, 20.0]}, {"waits_ms": "10,20"},
            {"a": "1_b-2"}, {"a": 1, "b": 2}, {"a": "1", "b": 2}, {"host_mac_J": 1e-9}, {"host_mac_J": 1e-09 * 1.5}]
    names = [outputs.variant_name(s) for s in sets]
    assert len(set(names)) == len(names), [n for n, k in itertools.groupby(sorted(names)) if len(list(k)) > 1]
    assert all(Path(n).name == n and "/" not in n and " " not in n for n in names)
    # equal values name one folder: papermill's 1000 is the committed 1000.0
    assert outputs.variant_name({"action_activity": 1000}) == outputs.variant_name({"action_activity": 1000.0})
    assert outputs.variant_name({"seeds": -1}) == outputs.variant_name({"seeds": -1.0})


def test_simple_variant_names_stay_as_they_were():
    assert outputs.variant_name({"seeds": 5}) == "seeds-5"
    assert outputs.variant_name({"fidelity": "corrected", "seeds": 6}) == "fidelity-corrected_seeds-6"
    assert outputs.variant_name({"waits_ms": [10.0, 20.0]}) == "waits_ms-10-20"
    assert outputs.variant_name({"action_activity": 1000.0, "design": "paper"}) == "action_activity-1000_design-paper"
    assert outputs.variant_name({"jitter_ms": 0.5}) == "jitter_ms-0.5"
    # a lossy one keeps its readable part, and a hash follows
    assert re.fullmatch(r"seeds-1_[0-9a-f]{10}", outputs.variant_name({"seeds": -1}))


@pytest.mark.parametrize("name, value, ok", [
    ("fi_tau_bias", [1, 150], True), ("fi_tau_bias", [0, 0], True), ("fi_tau_bias", [7, 255], True),
    ("fi_tau_bias", [8, 0], False), ("fi_tau_bias", [1, 256], False), ("fi_tau_bias", [1, -1], False),
    ("fi_tau_bias", [1, 150, 2], False), ("fi_tau_bias", [1.0, 150], False),
    ("agent_pulse_bias", [5, 60], True), ("agent_pulse_bias", [5], False),
    ("dream_steps_values", [0, 25], True), ("dream_steps_values", [-1, 50], False),
    ("dream_steps_values", [], False), ("dreams_per_game_values", [0], False),
    ("dreams_per_game_values", [1, 2], True), ("fi_mismatch_cv", 1.5, False), ("fi_dc_coarse", 8, False),
])
def test_the_teaching_knobs_of_notebooks_01_and_08_take_only_what_the_chip_and_the_schedule_allow(
        name, value, ok):
    # a bias code is one [coarse, fine] pair (coarse 0-7, fine 0-255), tested as a whole
    source = next(outputs.NOTEBOOKS.glob("01_*.py" if not name.startswith("dream") else "08_*.py"))
    defaults = outputs.parameters_cell(source)
    params = {**defaults, name: value}
    if ok:
        outputs.check_parameter_values(params, defaults)
    else:
        with pytest.raises(ValueError, match=re.escape(f"parameter {name} = {value!r}")):
            outputs.check_parameter_values(params, defaults)
