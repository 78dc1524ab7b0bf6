"""An observer that won its election but found no replica to promote has used up its epoch,
as a Sentinel's current epoch moves on with every vote it gives: the next attempt asks for a
later epoch and gets the votes again. Asking twice for the same epoch gets no vote at all, and
the cluster would never fail over."""

from __future__ import annotations

from conftest import scenario_from_text

import sim

# Both replicas are down when the primary dies: the first failover finds no candidate. They
# are back (boot 2 min) well before the retry, 2 x failover_timeout after the first attempt.
NOBODY_FIRST = """
name: nobody-first
description: the replicas are down when the primary dies; they come back, the primary does not
duration: 40m
settle: 3m
faults:
  - {kind: crash-host, at: 1m, target: redis2, restart_after: 3m}
  - {kind: crash-host, at: 1m, target: redis3, restart_after: 3m}
  - {kind: crash-host, at: 2m, target: redis1, restart_after: 1h}
"""


def test_a_retry_after_no_candidate_gets_a_later_epoch_and_fails_over() -> None:
    topology = sim.load_topology("redis-sentinel").spec
    spec = topology.failover
    retry = 2 * spec.failover_timeout  # type: ignore[union-attr]
    for seed in range(3):
        result = sim.run(topology, scenario_from_text(NOBODY_FIRST), seed)
        events = result.history.events
        assert "no_candidate" in [e.name for e in events], seed
        unvoted = [
            e for e in events if e.name == "observer_election_failed" and ": 0 votes" in e.detail
        ]
        assert unvoted == [], seed
        elected = [e for e in events if e.name == "leader_elected"]
        assert len(elected) == 1 and elected[0].node in ("redis2", "redis3"), seed
        # The retry comes one failover_timeout pair after the first attempt (the observers
        # stand within a ping and a random second of each other).
        first = next(e.t for e in events if e.name == "failure_detected")
        assert first + retry <= elected[0].t <= first + retry + spec.ping + 2.0, seed  # type: ignore[union-attr]
        m = result.metrics
        # Without the retry the cluster waits for the old primary, back at 40 min.
        assert m["failovers"] == 1 and m["rto_s"] < retry + 120.0, seed
