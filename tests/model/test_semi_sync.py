"""Semi-synchronous replication (MySQL's rule): a commit waits for a replica's receipt for
at most `timeout`; then the primary falls back to async, and returns to semi-sync once a
replica has caught up."""

from __future__ import annotations

import pytest
from conftest import metrics, scenario_from_text, topology_from_text, topology_text

import sim

pytestmark = pytest.mark.slow

REPLICA_DOWN = """
name: replica-down
description: the only replica's host dies at 2 minutes and comes back 3 minutes later
duration: 10m
settle: 2m
faults:
  - {kind: crash-host, at: 2m, target: replica, restart_after: 3m}
"""


def _semi_sync_pair() -> sim.Topology:
    text = topology_text("postgres-patroni-async")
    text = text.replace("          - {name: pg3, kind: db}\n", "")
    text = text.replace(
        "  mode: async                 # synchronous_commit on, synchronous_standby_names empty",
        "  mode: semi_sync\n  wait_for: 1\n  timeout: 10s",
    )
    return topology_from_text(text)


def test_commits_wait_the_timeout_then_fall_back_to_async() -> None:
    topology = _semi_sync_pair()
    assert topology.replication.mode == "semi_sync"
    scenario = scenario_from_text(REPLICA_DOWN)
    runs = metrics(topology, scenario, range(10))
    timeout = topology.replication.timeout
    bound = timeout + topology.workload.statement_timeout + topology.workload.backoff.max + 1.0
    assert all(timeout - 1.0 <= m["rto_s"] <= bound for m in runs), [m["rto_s"] for m in runs]
    assert all(m["failovers"] == 0 and m["lost_writes"] == 0 for m in runs)


def test_semi_sync_returns_once_the_replica_caught_up() -> None:
    result = sim.run(_semi_sync_pair(), scenario_from_text(REPLICA_DOWN), 3)
    names = [(e.name, round(e.t)) for e in result.history.events if e.name.startswith("semi_sync")]
    assert [n for n, _ in names] == ["semi_sync_off", "semi_sync_on"]
    off, on = names[0][1], names[1][1]
    assert 120 <= off <= 131 and on >= 120 + 180, names
