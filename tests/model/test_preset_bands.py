"""Each preset's failover time on `primary-crash` lies, for 200 seeds, within the band its notes
derive from the vendor's documented timers: the timers in the file and the mechanisms in the
model agree with the arithmetic a reader can check."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import pytest
from conftest import WORKERS

import sim
from sim.runner import failover_time

SEEDS = 200
BANDED = [
    name
    for name in sim.names("topologies")
    if (notes := sim.load_topology(name).spec.notes) is not None and notes.failover is not None
]


def _failover_time(name: str, seed: int) -> float | None:
    return failover_time(
        sim.load_topology(name).spec, sim.load_scenario("primary-crash").spec, seed
    )


@pytest.mark.parametrize("name", BANDED)
def test_failover_time_stays_in_the_documented_band(name: str) -> None:
    band = sim.load_topology(name).spec.notes.failover  # type: ignore[union-attr]
    with ProcessPoolExecutor(WORKERS) as pool:
        times = list(pool.map(_failover_time, [name] * SEEDS, range(SEEDS), chunksize=10))
    outside = {
        seed: t for seed, t in enumerate(times) if t is None or not band.low <= t <= band.high
    }
    assert not outside, (
        f"{name}: {len(outside)} of {SEEDS} seeds outside {band.low:g}-{band.high:g} s "
        f"({band.arithmetic.strip()}): {dict(list(outside.items())[:5])}"
    )
