"""The detection-timeout trade-off of Raft on etcd-raft-3 (the script in `scripts/` prints
the whole table): a short election timeout finds a dead leader sooner, and deposes a live
one when sampled message delays cross it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import metrics

import sim

sys.path.insert(0, str(Path(__file__).parents[2] / "scripts"))
from election_timeout_tradeoff import lossy_network, with_election_timeout

pytestmark = pytest.mark.slow

SEEDS = range(4)


def test_a_shorter_election_timeout_detects_sooner_and_deposes_live_leaders() -> None:
    base = sim.load_topology("etcd-raft-3").spec
    crash = sim.load_scenario("primary-crash").spec
    short, long = with_election_timeout(base, 0.1, 1.0), with_election_timeout(base, 2.0, 1.0)

    def new_leader(m: dict[str, float]) -> float:
        return m["detection_s"] + m["election_s"] + m["promotion_s"]

    fast = [new_leader(m) for m in metrics(short, crash, SEEDS)]
    slow = [new_leader(m) for m in metrics(long, crash, SEEDS)]
    # Detection waits for the randomised timeout, [T, 2T): 0.1-0.2 s against 2-4 s.
    assert max(fast) < 0.3 and min(slow) > 2.0, (fast, slow)
    false_short = [m["false_failovers"] for m in metrics(short, lossy_network(), SEEDS)]
    false_long = [m["false_failovers"] for m in metrics(long, lossy_network(), SEEDS)]
    assert all(n >= 5 for n in false_short), false_short
    assert false_long == [0] * len(SEEDS), false_long
