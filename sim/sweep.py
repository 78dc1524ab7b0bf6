"""Many seeds of one (topology, scenario): the metrics of each run, computed in parallel.

Why metrics only: a run's history holds tens of thousands of rows; sending them back from
worker processes would cost more than the runs. Callers that need a history run that seed
again, which is exact because a run is a pure function of its inputs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from sim.runner import run
from sim.spec import Scenario, Topology


@dataclass(frozen=True)
class SeedResult:
    """The metrics of one seed."""

    seed: int
    metrics: dict[str, Any]
    events: int


def _chunk(topology: Topology, scenario: Scenario, seeds: list[int]) -> list[SeedResult]:
    out = []
    for seed in seeds:
        result = run(topology, scenario, seed)
        out.append(SeedResult(seed, result.metrics, result.events))
    return out


def run_seeds(
    topology: Topology,
    scenario: Scenario,
    seeds: Iterable[int],
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[SeedResult]:
    """Run every seed and return results in seed order. `workers` processes (default: the
    machine's cores); seeds go out in chunks, since per-task overhead matters on few cores."""
    seeds = list(seeds)
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or len(seeds) < 4:
        results = []
        for i, seed in enumerate(seeds):
            results.extend(_chunk(topology, scenario, [seed]))
            if progress:
                progress(i + 1, len(seeds))
        return results
    size = max(1, min(16, len(seeds) // (workers * 4)))
    chunks = [seeds[i : i + size] for i in range(0, len(seeds), size)]
    results = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_chunk, topology, scenario, chunk) for chunk in chunks]
        for fut in futures:
            results.extend(fut.result())
            if progress:
                progress(len(results), len(seeds))
    return sorted(results, key=lambda r: r.seed)
