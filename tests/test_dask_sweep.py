"""A sweep on a Dask cluster: every run a task in the cluster, written where the client reads, and
refused on a worker whose OpenBLAS runs other kernels than the pinned ones."""

import os

import pytest

from neurodream import blas
from neurodream import sweep as sw
from neurodream.training import TrainConfig, load_run, run_path

distributed = pytest.importorskip("dask.distributed")

TINY = dict(games=2, awake_steps=5, learn_after_game=0)


def test_runs_go_to_the_cluster_and_into_the_client_s_folder(tmp_path, monkeypatch):
    # one worker process with one thread: joblib's dask backend ran such a sweep in the client
    # itself; and the worker works in another directory, where a relative --out went
    client_dir, worker_dir = tmp_path / "client", tmp_path / "worker"
    client_dir.mkdir()
    worker_dir.mkdir()

    def not_here(*args, **kwargs):
        raise AssertionError(f"a run was computed in the client's process ({os.getpid()})")

    monkeypatch.setattr(sw, "train", not_here)  # only in this process: the worker has its own
    monkeypatch.chdir(client_dir)
    configs = [TrainConfig(condition="baseline", seed=s, **TINY) for s in (0, 1)]
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                                  worker_dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        client.run(os.chdir, str(worker_dir))
        (worker_pid,) = client.run(os.getpid).values()
        assert worker_pid != os.getpid()
        paths = sw.sweep(configs, "runs", scheduler=cluster.scheduler_address, progress=False)
    assert not (worker_dir / "runs").exists()  # not where the worker works
    expected = [run_path(c, client_dir / "runs") for c in configs]
    assert all(load_run(p)["game"].tolist() == [0, 1] for p in expected)  # where the client reads
    assert paths == expected


def test_a_worker_running_other_kernels_fails_its_runs_saying_how_to_pin_it(tmp_path, monkeypatch):
    # the worker here is a thread of this process (processes=False), so it sees these patches
    monkeypatch.setattr(blas, "cpu_supports_pin", lambda: True)
    monkeypatch.setattr(blas, "active_kernel", lambda: "SkylakeX")
    cfg = TrainConfig(condition="baseline", seed=0, **TINY)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        with pytest.raises(RuntimeError, match=(
                rf"(?s)1 of 1 runs failed.*{run_path(cfg, '.').name}: not run: Dask worker \S+ runs OpenBLAS's "
                rf"SkylakeX kernels, not Haswell.*start the workers pinned: OPENBLAS_CORETYPE=Haswell dask worker "
                rf"{cluster.scheduler_address}")):
            with pytest.warns(UserWarning, match="run failed"):
                sw.sweep([cfg], tmp_path, scheduler=cluster.scheduler_address, progress=False)
    assert not run_path(cfg, tmp_path).exists()
