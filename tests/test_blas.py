"""One OpenBLAS kernel family for every run: the pin, what a process really runs, and the committed
runs reproducing with it."""

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from neurodream import blas

ROOT = Path(__file__).resolve().parents[1]
# a dreaming run of the main comparison, made where OpenBLAS ran its AVX2 kernels; elsewhere its
# world model's dot products differ in the last bit from game 1 on (data/rerun/, neurodream.blas)
COMMITTED_DREAMING_RUN = ROOT / "data" / "dreaming_paper_wait10_seed3_8766ff09c9.json"


def _fresh_python(code: str) -> str:
    """Run ``code`` in a new Python without OPENBLAS_CORETYPE set (as a user's shell starts it)."""
    env = {k: v for k, v in os.environ.items() if k != blas.ENV}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_pin_leaves_a_choice_made_outside_alone(monkeypatch):
    monkeypatch.setattr(blas, "cpu_supports_pin", lambda: True)
    env = {blas.ENV: "Zen", blas.NUMPY_ENV: "AVX512_SPR"}
    assert blas.pin(env) == "Zen" and env == {blas.ENV: "Zen", blas.NUMPY_ENV: "AVX512_SPR"}
    env = {blas.ENV: " ", blas.NUMPY_ENV: ""}  # empty: no choice
    blas.pin(env)
    assert env == {blas.ENV: blas.PINNED_KERNEL, blas.NUMPY_ENV: blas.NUMPY_DISABLED}


def test_pin_sets_the_kernel_only_where_the_cpu_runs_it(monkeypatch):
    monkeypatch.setattr(blas, "cpu_supports_pin", lambda: True)
    env = {}
    assert blas.pin(env) == blas.PINNED_KERNEL
    assert env == {blas.ENV: blas.PINNED_KERNEL, blas.NUMPY_ENV: blas.NUMPY_DISABLED}
    monkeypatch.setattr(blas, "cpu_supports_pin", lambda: False)
    env = {}
    assert blas.pin(env) is None and env == {}


def test_a_fresh_process_that_imports_neurodream_first_runs_numpys_avx2_loops():
    # on a CPU with AVX-512 NumPy would pick its X86_V4 loops, whose exp/log/tanh differ in the last
    # bit; pinned, every CPU with AVX2 and FMA runs the X86_V3 ones (or, without AVX2, fewer)
    if not blas.cpu_supports_pin():
        pytest.skip("this CPU cannot run the pinned kernels")
    env_free = "import os; os.environ.pop('NPY_DISABLE_CPU_FEATURES', None); "
    out = _fresh_python(env_free + "import neurodream, numpy, os; from neurodream import blas; "
                        "print(blas.numpy_loops(), os.environ['NPY_DISABLE_CPU_FEATURES'], blas.kernel_note())")
    assert out == f"X86_V3 {blas.NUMPY_DISABLED} None"


def test_numpys_dispatch_changes_the_last_bits_of_its_math_functions():
    # why the pin matters: the same tanh on the same machine, AVX2 loops against the baseline ones
    if blas.numpy_loops() != "X86_V3":
        pytest.skip("NumPy runs no AVX2 loops here")
    code = ("import numpy as np, hashlib; x = np.random.default_rng(0).normal(0, 3, 10**6); "
            "print(hashlib.sha256(np.tanh(x).tobytes()).hexdigest())")
    avx2 = _fresh_python(code)
    baseline = _fresh_python(f"import os; os.environ['{blas.NUMPY_ENV}'] = 'X86_V3'; " + code)
    assert avx2 != baseline


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="x86-64 kernels")
def test_the_cpu_flags_decide(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma bmi2\n")
    assert blas.cpu_supports_pin(info)
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx avx2\n")  # no FMA
    assert not blas.cpu_supports_pin(info)
    assert not blas.cpu_supports_pin(tmp_path / "missing")


def test_a_fresh_process_that_imports_neurodream_first_runs_the_pinned_kernels():
    if not blas.cpu_supports_pin():
        pytest.skip("this CPU cannot run the pinned kernels")
    out = _fresh_python("import neurodream, numpy; from neurodream import blas; "
                        "print(blas.active_kernel(), blas.kernel_note())")
    if out.startswith("None"):
        pytest.skip("NumPy's BLAS is not OpenBLAS here")
    assert out == f"{blas.PINNED_KERNEL} None"


def test_a_committed_dreaming_run_reproduces_its_first_games_with_the_pinned_kernels():
    if not blas.cpu_supports_pin():
        pytest.skip("this CPU cannot run the kernels the committed runs were made with")
    out = _fresh_python(
        "import neurodream\n"
        "from neurodream.rerun import check_first_games\n"
        f"t = check_first_games([{str(COMMITTED_DREAMING_RUN)!r}], 3, n_jobs=1, progress=False)\n"
        "print(bool(t.identical.iloc[0]), t.first_differing_game.iloc[0])\n")
    assert out.splitlines()[-1] == "True None"
