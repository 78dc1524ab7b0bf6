"""A crashed database process on the leader is restarted in place, key held, for
`primary_start_timeout` before anyone fails over; with 0 another node takes over at once
("worst case ... just loop_wait", Patroni's docs)."""

from __future__ import annotations

import pytest
from conftest import changed, metrics

import sim

pytestmark = pytest.mark.slow


def _client_side(topology: sim.Topology) -> float:
    proxy = topology.routing
    assert proxy.kind == "proxy"
    return proxy.inter * proxy.rise + proxy.check_timeout + topology.workload.statement_timeout


def test_the_leader_restarts_its_database_in_place() -> None:
    topology = sim.load_topology("postgres-patroni-async").spec
    runs = metrics(topology, sim.load_scenario("primary-db-crash").spec, range(40))
    fo, db = topology.failover, topology.database
    # The next loop notices and restarts it (start + crash recovery); the loop after promotes
    # it on a new timeline.
    bound = 2 * fo.loop_wait + db.start + db.max_wal_size / db.apply_rate + db.promote
    assert all(m["failovers"] == 0 for m in runs)
    assert all(m["lost_writes"] == 0 for m in runs)
    assert all(0 < m["rto_s"] <= bound + _client_side(topology) for m in runs)


def test_without_a_start_timeout_a_replica_takes_over_at_once() -> None:
    base = sim.load_topology("postgres-patroni-async").spec
    topology = changed(base, failover__primary_start_timeout=0.0)
    runs = metrics(topology, sim.load_scenario("primary-db-crash").spec, range(40))
    fo, db = topology.failover, topology.database
    bound = fo.loop_wait + fo.member_check_timeout + db.promote + 1.0
    assert all(m["failovers"] == 1 for m in runs)
    assert all(0 < m["rto_s"] <= bound + _client_side(topology) for m in runs)
    restarted = metrics(base, sim.load_scenario("primary-db-crash").spec, range(40))
    median = sorted(m["rto_s"] for m in runs)[20]
    assert median < sorted(m["rto_s"] for m in restarted)[20]
