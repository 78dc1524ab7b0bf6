"""Many seeds of one (topology, scenario): the metrics of each run, computed in parallel.

Why metrics only: a run's history holds tens of thousands of rows; sending them back from
worker processes would cost more than the runs. Callers that need a history run that seed
again, which is exact because a run is a pure function of its inputs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.runner import run
from sim.spec import Scenario, Topology

if TYPE_CHECKING:
    from sim.results import ResultsStore


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
    store: ResultsStore | None = None,
    executor: Executor | None = None,
) -> list[SeedResult]:
    """Run every seed and return results in seed order. `workers` processes (default: the
    machine's cores) of a local pool, or the given `executor` (a Dask cluster's, see
    `dask_executor`) with `workers` its total slots; seeds go out in chunks, since per-task
    overhead matters on few cores. With a `store`, seeds already stored are read back, and
    each chunk is stored as soon as it finishes, so a sweep cut short resumes where it
    stopped. Results do not depend on the executor: a run is a function of its seed."""
    seeds = list(seeds)
    done: dict[int, SeedResult] = {}
    if store is not None:
        for seed, (metrics, events) in store.get(topology, scenario, seeds).items():
            done[seed] = SeedResult(seed, metrics, events)
    todo = [s for s in seeds if s not in done]

    def finished(chunk: list[SeedResult]) -> None:
        for r in chunk:
            done[r.seed] = r
        if store is not None:
            store.put(topology, scenario, [(r.seed, r.metrics, r.events) for r in chunk])
        if progress:
            progress(len(done), len(seeds))

    if done and progress:
        progress(len(done), len(seeds))
    workers = workers or os.cpu_count() or 1
    if executor is None and (workers <= 1 or len(todo) < 4):
        for seed in todo:
            finished(_chunk(topology, scenario, [seed]))
    elif todo:
        size = max(1, min(16, len(todo) // (workers * 4)))
        chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
        pool = executor or ProcessPoolExecutor(max_workers=workers)
        try:
            futures = [pool.submit(_chunk, topology, scenario, chunk) for chunk in chunks]
            for fut in as_completed(futures):
                finished(fut.result())
        finally:
            if executor is None:
                pool.shutdown(cancel_futures=True)
    return [done[s] for s in seeds]


def dask_executor(address: str) -> tuple[Executor, int, Callable[[], None]]:
    """A Dask cluster's executor at `address`, its worker threads, and how to close it.
    Every worker needs the same hasim installed; the runs' results are the same as on the
    local pool."""
    from distributed import Client

    from sim.errors import InputError

    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise InputError(
            f"cannot reach a Dask scheduler at {address} ({exc})",
            field="--scheduler",
            fix="start one (`dask scheduler`, then `dask worker ADDRESS`) or give its address, "
            "e.g. tcp://10.0.0.5:8786",
        ) from None
    slots = sum(w["nthreads"] for w in client.scheduler_info()["workers"].values()) or 1
    return client.get_executor(pure=False), slots, client.close
