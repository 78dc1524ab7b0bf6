"""The detection-timeout trade-off of Raft, on etcd-raft-3: print a table.

For each election timeout T (heartbeat T/10, as etcd advises), two sets of seeded runs:

- `primary-crash`: the leader's host dies; the write RTO falls with T.
- a lossy, jittery network (packet loss and latency spikes on every flow of every database
  node, nothing crashes): each heartbeat's delay is drawn from the loss and jitter, and a
  follower that hears none for its randomised timeout stands for election. `false_failovers`
  counts the elections that deposed a leader that was up and reachable; they rise as T
  shrinks towards the delays the network produces.

    .venv/bin/python scripts/election_timeout_tradeoff.py [--runs 40] [--workers 2]
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np

import sim
from sim.spec import Scenario, Topology
from sim.yamlio import parse_yaml, validate

TIMEOUTS_S = [0.1, 0.2, 0.5, 1.0, 2.0]

LOSSY = """
name: lossy-network
description: >
  Packet loss and latency spikes on every flow of every database node for ten minutes;
  nothing crashes, so every election is a false failover.
duration: 11m
settle: 1m
faults:
  - {kind: loss, at: 30s, duration: 10m, target: all, probability: 0.05}
  - {kind: slow, at: 30s, duration: 10m, target: all, latency: 30ms, jitter: 30ms}
"""


def lossy_network() -> Scenario:
    data, lines = parse_yaml(LOSSY, "lossy-network.yaml")
    return validate(Scenario, data, lines)


def with_election_timeout(base: Topology, timeout: float, statement_timeout: float) -> Topology:
    failover = base.failover.model_copy(
        update={"election_timeout": timeout, "heartbeat": timeout / 10.0}
    )
    workload = base.workload.model_copy(update={"statement_timeout": statement_timeout})
    return base.model_copy(update={"failover": failover, "workload": workload})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=40, help="seeds per cell")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: cores)")
    parser.add_argument(
        "--statement-timeout",
        type=float,
        default=1.0,
        help="seconds a client waits on a request (the preset's 5 s would floor every RTO)",
    )
    args = parser.parse_args()
    base = sim.load_topology("etcd-raft-3").spec
    crash = sim.load_scenario("primary-crash").spec
    lossy = lossy_network()
    seeds = range(args.runs)
    print(
        f"etcd-raft-3, {args.runs} seeds per row; heartbeat = T/10; clients time out after "
        f"{args.statement_timeout:g} s"
    )
    print("  crash: the leader's host dies; new leader = detection + election + promotion")
    print("  lossy: 5 % packet loss and 30 ± 30 ms on every flow of every node, 10 min")
    print(
        f"{'T':>7} {'heartbeat':>9} | {'new leader p50':>14} {'RTO p50':>8} {'RTO p99':>8} | "
        f"{'false failovers/run':>19} {'runs with one':>13}"
    )
    for timeout in TIMEOUTS_S:
        topology = with_election_timeout(base, timeout, args.statement_timeout)
        crashes = [r.metrics for r in sim.run_seeds(topology, crash, seeds, workers=args.workers)]
        grays = [r.metrics for r in sim.run_seeds(topology, lossy, seeds, workers=args.workers)]
        rto = np.array([m["rto_s"] for m in crashes])
        leader = np.median([m["detection_s"] + m["election_s"] + m["promotion_s"] for m in crashes])
        false = [m["false_failovers"] for m in grays]
        with_one = sum(1 for f in false if f) / len(false)
        print(
            f"{timeout * 1000:>5.0f}ms {timeout * 100:>7.0f}ms | {leader:>13.2f}s "
            f"{np.median(rto):>7.2f}s {np.percentile(rto, 99):>7.2f}s | "
            f"{statistics.fmean(false):>19.2f} {with_one:>13.0%}"
        )


if __name__ == "__main__":
    main()
