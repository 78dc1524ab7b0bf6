"""The results store: runs keyed by input digests, seed and engine digest; a sweep cut short
resumes without redoing or losing the runs it finished."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import sim
import sim.sweep
from sim.results import ResultsStore, engine_digest
from sim.sweep import run_seeds

TOPOLOGY = sim.load_topology("postgres-patroni-async").spec
SCENARIO = sim.load_scenario("primary-crash").spec


@pytest.fixture
def store(tmp_path: Path) -> ResultsStore:
    with ResultsStore(tmp_path / "results.duckdb") as s:
        yield s


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The seeds actually simulated (in this process: workers=1)."""
    ran: list[int] = []
    real = sim.sweep._chunk

    def chunk(topology, scenario, seeds):  # type: ignore[no-untyped-def]
        ran.extend(seeds)
        return real(topology, scenario, seeds)

    monkeypatch.setattr(sim.sweep, "_chunk", chunk)
    return ran


def test_metrics_come_back_as_stored_infinity_included(store: ResultsStore) -> None:
    metrics = {"rto_s": math.inf, "rto_s_by_site": {"a": math.inf}, "split_brain": [[1.0, 2.0]]}
    store.put(TOPOLOGY, SCENARIO, [(3, metrics, 1234)])
    assert store.get(TOPOLOGY, SCENARIO, [3, 4]) == {3: (metrics, 1234)}
    # Another scenario, or another engine, is another key.
    other = sim.load_scenario("primary-isolated").spec
    assert store.get(TOPOLOGY, other, [3]) == {}


def test_a_second_sweep_reuses_every_stored_run(store: ResultsStore, counted: list[int]) -> None:
    first = run_seeds(TOPOLOGY, SCENARIO, range(3), workers=1, store=store)
    assert counted == [0, 1, 2]
    again = run_seeds(TOPOLOGY, SCENARIO, range(4), workers=1, store=store)
    assert counted == [0, 1, 2, 3]
    assert [r.metrics for r in again[:3]] == [r.metrics for r in first]
    assert store.count() == 4


def test_a_sweep_killed_halfway_resumes_where_it_stopped(
    store: ResultsStore, counted: list[int]
) -> None:
    def interrupt(done: int, total: int) -> None:
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_seeds(TOPOLOGY, SCENARIO, range(4), workers=1, progress=interrupt, store=store)
    assert store.count() == 2
    resumed = run_seeds(TOPOLOGY, SCENARIO, range(4), workers=1, store=store)
    assert counted == [0, 1, 2, 3]
    fresh = run_seeds(TOPOLOGY, SCENARIO, range(4), workers=1)
    assert [r.metrics for r in resumed] == [r.metrics for r in fresh]


def test_a_changed_engine_does_not_reuse_old_runs(
    store: ResultsStore, counted: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_seeds(TOPOLOGY, SCENARIO, range(2), workers=1, store=store)
    monkeypatch.setattr("sim.results.engine_digest", lambda: "another engine")
    run_seeds(TOPOLOGY, SCENARIO, range(2), workers=1, store=store)
    assert counted == [0, 1, 0, 1]


def test_the_engine_digest_is_stable() -> None:
    assert engine_digest() == engine_digest()
    assert len(engine_digest()) == 64
