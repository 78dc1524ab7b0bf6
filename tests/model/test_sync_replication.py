"""Synchronous replication: no acknowledged write is lost when the sync standby is promoted;
with its only standby gone, strict mode blocks writes (censored RTO) where the relaxed mode
falls back to async once the primary has given up on the silent standby (wal_sender_timeout)
and the agent's next loop has relaxed the sync set."""

from __future__ import annotations

import math

import pytest
from conftest import metrics, scenario_from_text, topology_from_text, topology_text

import sim

pytestmark = pytest.mark.slow

ONLY_STANDBY_DOWN = """
name: only-standby-down
description: the only standby's host dies for good at 2 minutes
duration: 5m
settle: 1m
faults:
  - {kind: crash-host, at: 2m, target: replica}
"""


def _two_nodes(mode: str) -> sim.Topology:
    """The sync preset with pg3 removed: a primary and its only standby."""
    text = topology_text("postgres-patroni-sync")
    text = text.replace("          - {name: pg3, kind: db}\n", "")
    text = text.replace('synchronous_mode: "on"', f'synchronous_mode: "{mode}"')
    return topology_from_text(text)


def test_sync_failover_loses_no_acknowledged_write() -> None:
    topology = sim.load_topology("postgres-patroni-sync").spec
    scenario = sim.load_scenario("primary-crash").spec
    runs = metrics(topology, scenario, range(200))
    assert all(m["failovers"] == 1 for m in runs)
    assert [m["lost_writes"] for m in runs] == [0] * 200
    assert [m["divergent_writes"] for m in runs] == [0] * 200
    assert [m["rpo_s"] for m in runs] == [0.0] * 200


def test_strict_sync_blocks_writes_when_its_only_standby_is_down() -> None:
    runs = metrics(_two_nodes("strict"), scenario_from_text(ONLY_STANDBY_DOWN), range(5))
    assert all(math.isinf(m["rto_s"]) for m in runs)
    assert all(m["lost_writes"] == 0 for m in runs)


def test_relaxed_sync_falls_back_to_async_after_the_walsender_gives_up() -> None:
    topology = _two_nodes("on")
    assert topology.failover.family == "lease"
    runs = metrics(topology, scenario_from_text(ONLY_STANDBY_DOWN), range(20))
    hang = topology.database.wal_sender_timeout
    relax = topology.failover.loop_wait + topology.workload.statement_timeout + 5.0
    rtos = [m["rto_s"] for m in runs]
    assert all(hang - 1.0 <= r <= hang + relax for r in rtos), rtos
    assert all(m["lost_writes"] == 0 for m in runs)
