"""The same sweep on a Dask distributed cluster gives the same figures as on the local pool:
a run is a function of its seed, not of where it ran. The test starts a local Dask cluster on
loopback and stops it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from test_cli import hasim

distributed = pytest.importorskip("distributed")

SWEEP = [
    "sweep", "postgres-patroni-async", "primary-crash", "--runs", "6",
    "--param", "failover.ttl=20s,30s", "--json", "--no-store",
]  # fmt: skip


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def test_a_sweep_on_dask_matches_the_local_pool(scheduler: str) -> None:
    local = hasim(*SWEEP, "--workers", "2")
    assert local.returncode == 0, local.stderr
    remote = hasim(*SWEEP, "--executor", "dask", "--scheduler", scheduler)
    assert remote.returncode == 0, remote.stderr
    assert json.loads(remote.stdout) == json.loads(local.stdout)


def test_validate_on_dask_gives_the_same_verdict(scheduler: str) -> None:
    args = [
        "validate", "postgres-patroni-async", "--scenario", "primary-crash", "--rto", "60s",
        "--fraction", "0.5", "--confidence", "0.9", "--runs", "5", "--json", "--no-store",
    ]  # fmt: skip
    local = hasim(*args, "--workers", "1")
    remote = hasim(*args, "--executor", "dask", "--scheduler", scheduler)
    assert local.returncode == remote.returncode == 0, remote.stderr
    assert json.loads(remote.stdout) == json.loads(local.stdout)


def test_a_scheduler_without_dask_or_dask_without_one_is_exit_2() -> None:
    base = ["sweep", "postgres-patroni-async", "primary-crash", "--runs", "2"]
    assert hasim(*base, "--executor", "dask").returncode == 2
    assert hasim(*base, "--scheduler", "tcp://127.0.0.1:8786").returncode == 2
