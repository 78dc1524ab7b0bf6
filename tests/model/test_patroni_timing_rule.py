"""Patroni's rule `loop_wait + 2 × retry_timeout <= ttl`: a primary cut off from the store
must demote itself before its key expires. Broken, a standby can be promoted while the old
primary still acknowledges writes, and those writes diverge."""

from __future__ import annotations

import pytest
from conftest import changed, metrics

import sim

pytestmark = pytest.mark.slow


def test_breaking_the_timing_rule_lets_an_isolated_primary_diverge() -> None:
    defaults = sim.load_topology("postgres-patroni-async").spec
    scenario = sim.load_scenario("primary-dcs-partition").spec
    # Without bursts the standbys never lag: whatever diverges is the timers' doing. (With a
    # burst backlog, promoting a lagging async standby loses writes under any timers: that is
    # the asynchronous loss of test_async_loss.)
    steady = changed(defaults, workload__bursts=None)
    # Patroni's minimum ttl: 10 + 2 x 10 > 20 breaks loop_wait + 2 x retry_timeout <= ttl.
    broken = changed(steady, failover__ttl=20.0)
    assert defaults.warnings == []
    assert any("loop_wait + 2 × retry_timeout" in w for w in _revalidated(broken).warnings)

    safe = metrics(steady, scenario, range(200))
    assert all(m["failovers"] == 1 for m in safe), "the partition must cause a failover"
    assert [m["divergent_writes"] for m in safe] == [0] * 200

    unsafe = metrics(broken, scenario, range(200))
    assert sum(m["divergent_writes"] > 0 for m in unsafe) >= 1
    assert all(m["lost_writes"] == m["divergent_writes"] for m in unsafe)


def _revalidated(topology: sim.Topology) -> sim.Topology:
    # model_copy skips validation, and with it the warnings; build the model again.
    return sim.Topology.model_validate(topology.model_dump(mode="json"))
