"""Benchmark: one incident run of a preset, side by side with a per-write simpy baseline.

Runs the primary-crash scenario on the Patroni preset with the preset's own probe clients
(never fewer), and prints wall time per run, simpy events per second and simulated seconds
per wall second; then times ../shared/baselines/naive_failover.py (every write a simpy
event) over the same simulated span at the preset's transaction rate, and prints the ratio.
Target: a 10-minute incident run in under 0.2 s of wall time.

    python benchmarks/bench_incident.py [--runs 20] [--topology ...] [--scenario ...]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from baseline import BASELINE, run_baseline, workload_line

import sim
from sim.runner import simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topology", default="postgres-patroni-async")
    parser.add_argument("--scenario", default="primary-crash")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--baseline", type=Path, default=BASELINE)
    args = parser.parse_args()

    topology = sim.load_topology(args.topology).spec
    scenario = sim.load_scenario(args.scenario).spec
    span = scenario.duration + scenario.settle
    print(f"hasim {args.topology} x {args.scenario}: {span / 60:g} simulated minutes per run")
    print(workload_line(topology))
    sim.run(topology, scenario, 0)  # warm-up: imports, caches
    sim_walls, run_walls, events = [], [], []
    for seed in range(1, args.runs + 1):
        t0 = time.perf_counter()
        _, n_events = simulate(topology, scenario, seed)
        t1 = time.perf_counter()
        sim.run(topology, scenario, seed)
        t2 = time.perf_counter()
        sim_walls.append(t1 - t0)
        run_walls.append(t2 - t1)
        events.append(n_events)
    wall = statistics.median(sim_walls)
    full = statistics.median(run_walls)
    print(
        f"  wall per run (median of {args.runs}): simulation {wall:.3f} s; "
        f"sim.run with the checkers {full:.3f} s"
    )
    print(f"  per 10 simulated minutes: {wall * 600 / span:.3f} s (target < 0.2 s)")
    per_run = statistics.median(events)
    print(f"  events per run {per_run:,.0f}; {per_run / wall:,.0f} events/s")
    print(f"  simulated seconds per wall second: {span / wall:,.0f}")

    if not args.baseline.exists():
        print(f"baseline: {args.baseline} not found; skipped")
        return
    rate = topology.workload.transactions
    base_wall, base_events = run_baseline(args.baseline, span / 3600, rate)
    print(f"baseline {args.baseline.name}: same span, {rate:g} writes/s each a simpy event")
    speed = base_events / base_wall
    print(f"  wall {base_wall:.3f} s, {base_events:,} events ({speed:,.0f} events/s)")
    print(f"  hasim is {base_wall / wall:.1f}x faster over the same simulated span")


if __name__ == "__main__":
    main()
