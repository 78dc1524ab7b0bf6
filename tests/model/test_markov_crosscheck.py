"""The simulator's long-run availability against continuous-time Markov chains (sim/markov.py)
for three topologies a chain can describe: one node, a primary with a standby and automatic
failover (1+1), and a 2-of-3 quorum. Failures and repairs are exponential (the scenario
says so); the failover, election and restart times the chains need are the simulator's own
means over single incidents of the same topology, so the check is that months of random
failures add up the way Markov theory says incidents do: the analytic availability must lie
inside the 95 % interval of the simulated one.

The topologies are catalog presets with one client writing twice a second (the probes are
the evidence of downtime, not its cause) and hosts that boot and start in a second, so that
every delay a chain leaves out is negligible against repairs of minutes."""

from __future__ import annotations

import statistics

import pytest
from conftest import WORKERS, changed, scenario_from_text, topology_from_text, topology_text

import sim
from sim.annual import annual
from sim.markov import Chain, majority_quorum, primary_standby, single_node
from sim.spec import Topology

CRASH_PRIMARY = """
name: crash-primary
description: the primary's host is lost
duration: 5m
settle: 1m
faults:
  - {kind: crash-host, at: 2m, target: primary}
"""
RESTART_ALL = """
name: restart-all
description: every db host is lost for a minute, then boots
duration: 10m
settle: 1m
faults:
  - {kind: crash-host, at: 2m, target: all, restart_after: 1m}
"""


def _lean(topology: Topology) -> Topology:
    client = topology.workload.clients[0].model_copy(update={"writes": 2.0, "reads": 0.0})
    return changed(topology, workload__clients=[client], boot=1.0, database__start=1.0)


def _mean_rto_s(topology: Topology, text: str, minus: float = 0.0) -> float:
    runs = sim.run_seeds(topology, scenario_from_text(text), range(20), workers=WORKERS)
    return statistics.mean(r.metrics["rto_s"] for r in runs) - minus


def _random_failures(mtbf: str, mttr: str, days: int) -> str:
    return f"""
name: random-host-failures
description: every db host fails and is repaired at random, exponentially
duration: {days}d
settle: 1m
failures:
  - component: host
    ttf: {{mean: {mtbf}}}
    ttr: {{mean: {mttr}}}
"""


def _check(topology: Topology, chain: Chain, text: str, seeds: int) -> None:
    scenario = scenario_from_text(text)
    rows = [r.metrics for r in sim.run_seeds(topology, scenario, range(seeds), workers=WORKERS)]
    simulated = annual(rows, scenario.duration).availability
    expected = chain.availability()
    assert simulated.low <= expected <= simulated.high, (expected, simulated)
    # An interval that wide would pass anything: it must tell availabilities apart.
    assert simulated.high - simulated.low < 0.6 * (1.0 - expected)


@pytest.mark.slow
def test_a_single_node() -> None:
    topology = _lean(sim.load_topology("meilisearch-single").spec)
    restart = _mean_rto_s(topology, RESTART_ALL, minus=60.0)
    chain = single_node(20 * 60.0, 2 * 60.0, restart)
    _check(topology, chain, _random_failures("20m", "2m", 2), seeds=6)


@pytest.mark.slow
def test_a_primary_and_a_standby_with_automatic_failover() -> None:
    pg3 = "          - {name: pg3, kind: db}\n"
    text = topology_text("postgres-patroni-async").replace(pg3, "")
    topology = _lean(topology_from_text(text))
    assert topology.hosts_of("db") == ["pg1", "pg2"]
    failover = _mean_rto_s(topology, CRASH_PRIMARY)
    restart = _mean_rto_s(topology, RESTART_ALL, minus=60.0)
    chain = primary_standby(3600.0, 300.0, failover, restart)
    _check(topology, chain, _random_failures("1h", "5m", 2), seeds=8)


@pytest.mark.slow
def test_a_two_of_three_quorum() -> None:
    topology = _lean(sim.load_topology("etcd-raft-3").spec)
    election = _mean_rto_s(topology, CRASH_PRIMARY)
    restart = _mean_rto_s(topology, RESTART_ALL, minus=60.0)
    chain = majority_quorum(3, 3600.0, 300.0, election, restart)
    _check(topology, chain, _random_failures("1h", "5m", 2), seeds=8)
