"""Anomalies that come from the mechanisms, not from a formula: last-writer-wins drops
concurrent increments of hot counters when a cross-zone partition lets both sides write, and
reads served by a lagging replica miss recent writes, the client's own included."""

from __future__ import annotations

import pytest
from conftest import changed, metrics, scenario_from_text

import sim

pytestmark = pytest.mark.slow

SEEDS = range(4)

# A fault too small to matter: the baseline against which the partition is compared.
NEGLIGIBLE = """
name: negligible
description: one node's packets 1 ms late for one second
duration: 10m
settle: 3m
faults:
  - {kind: slow, at: 2m, duration: 1s, target: one, latency: 1ms}
"""

# The primary's zone can ship its log at 1 MB/s only, below the steady 2 MB/s it writes.
LAGGING = """
name: lagging-replicas
description: every flow of the primary's zone capped at 1 MB/s for 5 minutes
duration: 10m
settle: 3m
faults:
  - {kind: bandwidth, at: 2m, duration: 5m, target: "zone-of:primary", rate: 1MB/s}
"""


@pytest.mark.parametrize("name", ["mysql-multi-primary", "cassandra-rf3-one"])
def test_a_cross_zone_partition_loses_hot_key_updates_to_last_writer_wins(name: str) -> None:
    topology = sim.load_topology(name).spec
    assert topology.workload.hot_keys is not None
    cut = metrics(topology, sim.load_scenario("primary-isolated").spec, SEEDS)
    calm = metrics(topology, scenario_from_text(NEGLIGIBLE), SEEDS)
    lost, baseline = [m["lost_updates"] for m in cut], [m["lost_updates"] for m in calm]
    # Both sides keep incrementing the same counters for three minutes: far more updates
    # are overwritten than on the same seed without the cut, where only the races of
    # replication lag (a write burst outrunning a link) lose some.
    assert all(n > 2 * b + 100 for n, b in zip(lost, baseline, strict=True)), (lost, baseline)
    assert sorted(lost)[len(lost) // 2] > 1000, lost


def test_quorum_reads_and_writes_lose_no_update_under_the_same_partition() -> None:
    topology = sim.load_topology("cassandra-rf3-quorum").spec
    cut = metrics(topology, sim.load_scenario("primary-isolated").spec, SEEDS)
    assert [m["lost_updates"] for m in cut] == [0] * len(SEEDS)


def test_reads_from_a_lagging_replica_are_stale_and_miss_the_clients_own_writes() -> None:
    base = sim.load_topology("mongodb-replicaset-w1").spec
    scenario = scenario_from_text(LAGGING)
    on_replicas = metrics(changed(base, workload__reads_from="replica"), scenario, SEEDS)
    on_primary = metrics(base, scenario, SEEDS)
    assert all(m["stale_reads"] > 0 and m["ryw_violations"] > 0 for m in on_replicas)
    assert all(m["stale_reads"] == 0 and m["ryw_violations"] == 0 for m in on_primary)
    assert all(m["lost_writes"] == 0 for m in on_replicas + on_primary)
