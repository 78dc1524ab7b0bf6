"""Measure a preset's failover time on `primary-crash` over many seeds and hold it to the band
its notes derive from the documented timers.

    python scripts/failover_band.py postgres-patroni-async --seeds 50 [--workers 2]
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np

import sim
from sim.runner import failover_time


def seed_failover_time(topology: str, seed: int) -> float | None:
    """One seed's time from the crash to the first promotion elsewhere (None: none)."""
    spec = sim.load_topology(topology).spec
    return failover_time(spec, sim.load_scenario("primary-crash").spec, seed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topology")
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    notes = sim.load_topology(args.topology).spec.notes
    with ProcessPoolExecutor(args.workers) as pool:
        times = list(
            pool.map(
                seed_failover_time, [args.topology] * args.seeds, range(args.seeds), chunksize=8
            )
        )
    done = np.array([t for t in times if t is not None])
    print(f"{args.topology}: {len(done)}/{len(times)} seeds failed over")
    if len(done):
        p = np.percentile(done, [0, 50, 99, 100])
        print(
            f"failover time: min {p[0]:.2f} s, p50 {p[1]:.2f} s, p99 {p[2]:.2f} s, max {p[3]:.2f} s"
        )
    if notes is None or notes.failover is None:
        print("no failover band in the notes")
        return 0
    band = notes.failover
    outside = [t for t in times if t is None or not band.low <= t <= band.high]
    print(f"band {band.low:g}-{band.high:g} s: {len(outside)} seeds outside")
    return 1 if outside else 0


if __name__ == "__main__":
    sys.exit(main())
