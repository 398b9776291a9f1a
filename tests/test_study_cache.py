"""The cache of notebook 01's emulator studies: exact round trips, and never a stale result."""

import numpy as np
import pandas as pd

from neurodream import study_cache
from neurodream.chip import Calibration


def _table():
    return pd.DataFrame({"quantity": ["pulse", "leak"], "value": ["5", "1e-05"], "x": [0.1, 1 / 3],
                         "n": [1, 2], "flag": [True, False], "code": [(5, 45), (5, 62)]})


def test_a_table_and_arrays_come_back_as_they_were_computed(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return _table()

    first = study_cache.cached_study("t", compute, inputs={"a": 1}, directory=tmp_path)
    again = study_cache.cached_study("t", compute, inputs={"a": 1}, directory=tmp_path)
    assert len(calls) == 1  # the second call reads the file
    for got in (first, again):
        assert got.equals(_table()) and got.to_csv(index=False) == _table().to_csv(index=False)
        assert got.code.tolist() == [(5, 45), (5, 62)] and got.value.tolist() == ["5", "1e-05"]
    many = pd.DataFrame({"x": np.random.default_rng(0).lognormal(0, 5, 2000)})  # every float exactly
    assert study_cache.cached_study("f", lambda: many, inputs={}, directory=tmp_path).x.equals(many.x)
    arrays = {"agent": np.arange(6).reshape(2, 3), "model": np.zeros((2, 3))}
    got = study_cache.cached_study("c", lambda: arrays, inputs={}, directory=tmp_path)
    assert list(got) == ["agent", "model"] and all(np.array_equal(got[k], arrays[k]) for k in arrays)


def test_other_inputs_are_another_study_and_replace_the_stale_file(tmp_path):
    study_cache.cached_study("t", _table, inputs={"cal": Calibration()}, directory=tmp_path)
    study_cache.cached_study("u", _table, inputs={"cal": Calibration()}, directory=tmp_path)
    other = Calibration().replace(spike_threshold_A=2e-9)
    assert study_cache.study_key({"cal": other}) != study_cache.study_key({"cal": Calibration()})
    study_cache.cached_study("t", _table, inputs={"cal": other}, directory=tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 2 and names[0].startswith("t_") and names[1].startswith("u_")  # one file per study
    # arrays count by value, numbers by value and type
    a = np.arange(4.0)
    assert study_cache.input_digest([a]) == study_cache.input_digest([a.copy()])
    assert study_cache.input_digest([a]) != study_cache.input_digest([a + 1e-12])
    assert study_cache.input_digest({"x": (1, 2)}) == study_cache.input_digest({"x": [1, 2]})


def test_the_key_follows_the_code_not_its_documentation(tmp_path):
    package = tmp_path / "pkg"
    (package / "chip").mkdir(parents=True)
    kernel = package / "chip" / "kernel.py"
    kernel.write_text('"""Module doc."""\n\nX = 1  # a comment\n"""X\'s doc."""\n\n\ndef f():\n    """Doc."""\n    return X\n')
    (package / "plotting.py").write_text("STYLE = 1\n")
    before = study_cache.code_digest(package)
    kernel.write_text('"""Another module doc,\non two lines."""\nX = 1  # another comment\n\n\ndef f():\n    return X\n')
    (package / "plotting.py").write_text("STYLE = 2\n")  # presentation only
    assert study_cache.code_digest(package) == before
    kernel.write_text('"""Module doc."""\nX = 2\n\n\ndef f():\n    return X\n')
    assert study_cache.code_digest(package) != before
    # the real package hashes, and its emulator counts
    assert len(study_cache.code_digest()) == 64
