"""Benchmark: simulated cluster-years per wall second, with and without fast-forward, side by
side with a per-write simpy baseline.

Runs the `year-node-failures` scenario (every db host fails once a month on average and is
repaired after about an hour) on a 3-node preset with its own probe clients: a whole year with
fast-forward, a few simulated days without it (every heartbeat and probe of the quiet time;
a year of that would take an hour), and ../shared/baselines/naive_failover.py over a
simulated hour at the preset's transaction rate (every write a simpy event). Rates of the
shorter spans are extrapolated to a year. Target: one cluster-year in under 2 s of wall
time with fast-forward.

    python benchmarks/bench_year.py [--topology NAME] [--runs 3] [--days 1]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from baseline import BASELINE, run_baseline, workload_line

import sim
from sim.annual import YEAR_S
from sim.runner import run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topology", default="postgres-patroni-async")
    parser.add_argument("--scenario", default="year-node-failures")
    parser.add_argument("--runs", type=int, default=3, help="seeds of a year, fast-forwarded")
    parser.add_argument("--days", type=float, default=1.0, help="days simulated in full")
    parser.add_argument("--baseline-hours", type=float, default=0.25)
    parser.add_argument("--baseline", type=Path, default=BASELINE)
    args = parser.parse_args()

    topology = sim.load_topology(args.topology).spec
    scenario = sim.load_scenario(args.scenario).spec
    db = len(topology.hosts_of("db"))
    print(f"hasim {args.topology} ({db} db hosts) x {args.scenario}")
    print(workload_line(topology))
    years = scenario.duration / YEAR_S
    walls, events, incidents, down = [], [], [], []
    for seed in range(1, args.runs + 1):
        t0 = time.perf_counter()
        result = run(topology, scenario, seed)
        walls.append(time.perf_counter() - t0)
        events.append(result.events)
        incidents.append(result.metrics["incidents"])
        down.append(result.metrics["downtime_s"])
    wall = statistics.median(walls)
    print(
        f"  fast-forward: {wall:.2f} s wall per cluster-year (median of {args.runs} seeds; "
        f"{statistics.median(events):,.0f} events, {statistics.median(incidents):.0f} "
        f"incidents, {statistics.median(down):.0f} s down) -> {years / wall:.3f} "
        f"cluster-years per wall second (target: one year in < 2 s)"
    )

    short = scenario.model_copy(update={"duration": args.days * 86400.0})
    t0 = time.perf_counter()
    full = run(topology, short, 1, full=True)
    full_wall = time.perf_counter() - t0
    full_rate = short.duration / YEAR_S / full_wall
    print(
        f"  without fast-forward: {full_wall:.2f} s wall for {args.days:g} simulated days "
        f"({full.events:,} events) -> {full_rate:.5f} cluster-years per wall second "
        f"({1 / full_rate / 3600:.1f} h per cluster-year)"
    )
    print(f"  fast-forward is {years / wall / full_rate:,.0f}x faster")

    if not args.baseline.exists():
        print(f"baseline: {args.baseline} not found; skipped")
        return
    rate = topology.workload.transactions
    base_wall, _ = run_baseline(args.baseline, args.baseline_hours, rate)
    base_rate = args.baseline_hours * 3600 / YEAR_S / base_wall
    print(
        f"baseline {args.baseline.name}: {args.baseline_hours:g} simulated h at {rate:g} "
        f"writes/s, each a simpy event: {base_wall:.2f} s wall -> {base_rate:.6f} "
        f"cluster-years per wall second ({1 / base_rate / 3600:.1f} h per cluster-year)"
    )
    print(f"  hasim with fast-forward is {years / wall / base_rate:,.0f}x faster")


if __name__ == "__main__":
    main()
