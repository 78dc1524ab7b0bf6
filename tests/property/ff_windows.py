"""Shared by the fast-forward tests: run a scenario with and without fast-forward and compare
what each incident window recorded."""

from __future__ import annotations

from typing import Any

import pytest

from sim.history import ROW_KINDS, History
from sim.runner import RunResult, run
from sim.spec import Scenario, Topology

# Rows of the whole run (the final read and what it held), compared as a whole, not by window.
WHOLE = ("held", "final_values")


def compared_spans(history: History) -> list[tuple[float, float]]:
    """Each window of a fast-forwarded run, from its start to where its quiet time was
    skipped (or to the next window's start): the spans whose rows must match."""
    starts = [0.0, *history.meta["windows"]]
    out = []
    for i, start in enumerate(starts):
        nxt = starts[i + 1] if i + 1 < len(starts) else float("inf")
        skip = [a for a, _ in history.meta["skipped"] if start <= a < nxt]
        out.append((start, min([*skip, nxt])))
    return out


def _t(kind: str, row: Any) -> float:
    return float(row.t_invoke if kind == "ops" else row[0])


def window_mismatches(fast: History, full: History) -> list[str]:
    """Where the two histories differ inside a window: (span, table, first differing rows)."""
    out = []
    if fast.meta["windows"] != full.meta["windows"]:
        out.append(f"windows opened at {fast.meta['windows']} and {full.meta['windows']}")
        return out
    for a, b in compared_spans(fast):
        for kind in ROW_KINDS:
            if kind in WHOLE:
                continue
            x = [r for r in getattr(fast, kind) if a <= _t(kind, r) < b]
            y = [r for r in getattr(full, kind) if a <= _t(kind, r) < b]
            if x != y:
                first = next(((p, q) for p, q in zip(x, y, strict=False) if p != q), None)
                out.append(f"[{a:.3f}, {b:.3f}) {kind}: {len(x)} vs {len(y)} rows; {first}")
    return out


def both(topology: Topology, scenario: Scenario, seed: int) -> tuple[RunResult, RunResult]:
    return run(topology, scenario, seed), run(topology, scenario, seed, full=True)


def random_failures(duration: str, store: bool) -> str:
    """A scenario text: db hosts and zone links fail at random (and store members, when the
    topology has a store), often enough that an hour holds several incidents."""
    text = f"""
name: ff-random
description: db hosts, zone links and store members fail at random
duration: {duration}
settle: 3m
failures:
  - component: host
    ttf: {{mean: 12m}}
    ttr: {{median: 2m, p99: 10m}}
  - component: link
    ttf: {{mean: 40m}}
    ttr: {{median: 30s, p99: 3m}}
"""
    if store:
        text += """  - component: consensus-member
    ttf: {mean: 1h}
    ttr: {median: 1m, p99: 5m}
"""
    return text


# Metrics a full simulation of the quiet time must not change: the outages (a window must
# hold each recovery and the stable stretch after it), the incidents, and the data loss.
SAME_METRICS = (
    "rto_s",
    "read_rto_s",
    "downtime_s",
    "availability",
    "incidents",
    "lost_writes",
    "divergent_writes",
    "rpo_s",
    "failovers",
    "split_brain_s",
)

# Events fast-forward may spend per simulated day of skipped quiet time (a skip itself costs
# one; stepping through quiet time would cost tens of thousands).
EVENTS_PER_QUIET_DAY = 100


def check_seeds(topology_name: str, seeds: range, store: bool) -> None:
    """The fast-forward property over `seeds`: identical windows, bounded events per quiet
    day, and seeds that do hold elections and partitions (else the property says little)."""
    import sim
    from sim.yamlio import parse_yaml, validate

    topology = sim.load_topology(topology_name).spec
    scenario = validate(Scenario, *parse_yaml(random_failures("1h", store), "ff-random.yaml"))
    elected = parted = 0
    for seed in seeds:
        fast, full = both(topology, scenario, seed)
        replay = f"seed {seed}: hasim run {topology_name} <scenario> --seed {seed}"
        assert not window_mismatches(fast.history, full.history), (
            replay,
            window_mismatches(fast.history, full.history)[:3],
        )
        assert fast.history.meta["skipped"], f"{replay}: never quiet"
        # Windows hold what the checkers need: a skipped stretch changes no metric.
        for key in SAME_METRICS:
            assert fast.metrics[key] == pytest.approx(full.metrics[key], abs=1e-6), (
                replay,
                key,
                fast.metrics[key],
                full.metrics[key],
            )
        elected += any(e.name == "leader_elected" for e in fast.history.events)
        parted += any(f.kind.startswith("partition") for f in fast.history.faults)
    assert elected >= len(seeds) // 2 and parted >= len(seeds) // 2, (elected, parted)


def check_quiet_month(topology_name: str) -> None:
    """A month in which nothing fails costs at most `EVENTS_PER_QUIET_DAY` a day beyond what a
    minute of the same scenario costs (its first quiet stretch, the end and the settle time
    are simulated in full either way)."""
    import sim
    from sim.yamlio import parse_yaml, validate

    topology = sim.load_topology(topology_name).spec

    def scenario(duration: str) -> Scenario:
        text = f"""
name: quiet
description: nothing fails (one failure in a century)
duration: {duration}
settle: 3m
failures:
  - component: host
    ttf: {{mean: 36500d}}
    ttr: {{mean: 1h}}
"""
        return validate(Scenario, *parse_yaml(text, "quiet.yaml"))

    quiet = run(topology, scenario("30d"), 0)
    assert not quiet.history.faults
    spent = quiet.events - run(topology, scenario("1m"), 0).events
    assert spent <= EVENTS_PER_QUIET_DAY * 30, spent
