"""A real Dask LocalCluster (scheduler and worker processes over loopback) gives exactly the serial results."""

from __future__ import annotations

from pathlib import Path

import pytest

import accelkit

from .conftest import SMALL, comparable

pytest.importorskip("distributed")


def test_dask_local_cluster_equals_serial(tmp_path: Path) -> None:
    serial = accelkit.explore(SMALL, executor="serial", db=tmp_path / "serial.db")
    dask = accelkit.explore(SMALL, dask_local=2, db=tmp_path / "dask.db", chunk_size=3)
    assert dask.run["executor"].startswith("dask at LocalCluster (2 worker")
    assert comparable(dask) == comparable(serial)
    # the points were spread over the cluster's worker processes, none of them this one
    import os

    workers = {r["worker"].rsplit(":", 1)[1] for r in dask.rows()}
    assert str(os.getpid()) not in workers and len(workers) == 2


def test_dask_against_a_running_scheduler(tmp_path: Path) -> None:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        res = accelkit.explore(SMALL, dask=cluster.scheduler_address, db=tmp_path / "d.db", budget=4)
        assert res.run["evaluated"] == 4 and res.summary()["failed"] == 0
        assert cluster.scheduler_address in res.run["executor"]
