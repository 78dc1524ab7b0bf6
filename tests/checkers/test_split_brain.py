"""Split brain and dual primaries: nodes on different lineages acking writes at once, and
nodes holding the primary role at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from sim.checkers import (
    audit_ops,
    check_all,
    dual_primary_s,
    lineage_overlaps,
    primary_spans,
    split_brain,
)

if TYPE_CHECKING:
    from conftest import HistoryBuilder


def overlapping(hb: HistoryBuilder) -> None:
    """db1 acks writes on lineage 0 from 0.25 to 16.25, and once more at 16.5 for a slow write
    invoked at 9; db2, promoted on lineage 1 at 14, acks from 14.25 to 19.25. Their
    write-accepting intervals intersect in [14.25, 16.5]."""
    hb.lineage(0).lineage(1, 0, 10000, 14.0, "db2")
    hb.primary(0, (0.0, 0), (17.0, 17000)).primary(1, (14.0, 10000), (60.0, 56000), node="db2")
    hb.fault(10.0, "partition", ("db1",))
    hb.stream("write", range(17), lambda t: (0, int(1000 * t) + 100), node="db1")
    hb.write(9.0, duration=7.5, at=(0, 9050), node="db1")
    hb.stream("write", range(14, 20), lambda t: (1, 10000 + int(1000 * (t - 14)) + 100), node="db2")
    hb.final(1, 56000)


def test_overlapping_write_intervals_give_their_exact_intersection(hb: HistoryBuilder) -> None:
    overlapping(hb)
    history = hb.build()
    assert audit_ops(history).spans == {("db1", 0): (0.25, 16.5), ("db2", 1): (14.25, 19.25)}
    assert split_brain(history) == [[14.25, 16.5]]
    result = check_all(history)
    assert (result["split_brain"], result["split_brain_s"]) == ([[14.25, 16.5]], 2.25)
    assert result["dual_primary_s"] == 0.0  # no role changes recorded


def test_acknowledged_increments_accept_writes_too(hb: HistoryBuilder) -> None:
    # Why: a read-modify-write acked by a node proves that node takes writes on its lineage.
    hb.lineage(0).lineage(1, 0, 100, 2.0, "db2").final(1, 900)
    hb.incr(1.0, key=7, value=1, at=(0, 50), node="db1")
    hb.incr(4.0, key=7, value=2, at=(0, 80), node="db1")
    hb.incr(3.0, key=7, value=1, at=(1, 150), node="db2")
    hb.write(5.0, at=(1, 300), node="db2")
    result = check_all(hb.build())
    assert (result["split_brain"], result["split_brain_s"]) == ([[3.25, 4.25]], 1.0)


@pytest.mark.parametrize(
    ("spans", "expected"),
    [
        # Three lineages chained into one episode, then a second, separate one.
        (
            {
                ("db1", 0): (0.25, 16.25),
                ("db2", 1): (14.25, 19.25),
                ("db3", 2): (15.75, 40.0),
                ("db4", 3): (30.0, 35.0),
            },
            [[14.25, 19.25], [30.0, 35.0]],
        ),
        # Intersections of different pairs that touch at 5 merge into one.
        ({("db1", 0): (1.0, 5.0), ("db2", 1): (3.0, 7.0), ("db3", 2): (5.0, 9.0)}, [[3.0, 7.0]]),
        # A handoff at one instant, and a lone ack inside another lineage's interval: dropped.
        ({("db1", 0): (1.0, 5.0), ("db2", 1): (5.0, 8.0)}, []),
        ({("db1", 0): (3.0, 3.0), ("db2", 1): (1.0, 5.0)}, []),
        # Two nodes on one lineage are not split from each other.
        ({("db1", 0): (1.0, 5.0), ("db2", 0): (2.0, 6.0)}, []),
        ({}, []),
    ],
)
def test_lineage_overlaps(
    spans: dict[tuple[str, int], tuple[float, float]], expected: list[list[float]]
) -> None:
    assert lineage_overlaps(spans) == expected


def test_demoting_then_a_new_primary_diverges_without_split_brain(hb: HistoryBuilder) -> None:
    """db1 is cut off at 10, acks until 12.25 above the fork at 10000 while demoting from
    12.5, and is a replica from 13.5; db2 is promoted at 14 and acks from 14.25."""
    hb.lineage(0).lineage(1, 0, 10000, 14.0, "db2")
    hb.primary(0, (0.0, 0), (13.0, 13000)).primary(1, (14.0, 10000), (60.0, 56000), node="db2")
    hb.fault(10.0, "partition", ("db1",))
    hb.role(0.0, "db1", "primary", 0, 0).role(12.5, "db1", "demoting", 0, 12500)
    hb.role(13.5, "db1", "replica", 0, 13000).role(14.0, "db2", "primary", 1, 10000)
    hb.stream("write", range(13), lambda t: (0, int(1000 * t) + 100), node="db1")
    hb.stream("write", range(14, 60), lambda t: (1, 10000 + int(1000 * (t - 14))), node="db2")
    hb.final(1, 56000)
    result = check_all(hb.build())
    assert (result["split_brain"], result["split_brain_s"]) == ([], 0.0)
    assert result["dual_primary_s"] == 0.0
    # The acks at 10100, 11100 and 12100 lie above the fork: divergent and lost all the same.
    assert (result["divergent_writes"], result["lost_writes"]) == (3, 3)


def dual_primaries(hb: HistoryBuilder) -> None:
    """Primary (or demoting) spans: db1 [0, 18] and again [50, 60 = t_end]; db2 [14, 30]
    through a second promotion at 20; db3 [29, 60]. Two or more at once: 14-18, 29-30 and
    50-60, 15 s in all. No writes at all."""
    hb.role(0.0, "db1", "primary", 0, 0).role(16.0, "db1", "demoting", 0, 16000)
    hb.role(18.0, "db1", "replica", 1, 16000).role(14.0, "db2", "primary", 1, 10000)
    hb.role(20.0, "db2", "primary", 2, 20000).role(30.0, "db2", "stopped", 2, 30000)
    hb.role(0.0, "db3", "replica", 0, 0).role(29.0, "db3", "primary", 3, 30000)
    hb.role(50.0, "db1", "primary", 4, 40000)


def test_dual_primaries_without_writes(hb: HistoryBuilder) -> None:
    dual_primaries(hb)
    history = hb.build()
    assert primary_spans(history) == [
        (0.0, 18.0, "db1"),
        (14.0, 30.0, "db2"),
        (29.0, 60.0, "db3"),
        (50.0, 60.0, "db1"),
    ]
    assert dual_primary_s(history) == 15.0
    result = check_all(history)
    assert (result["dual_primary_s"], result["split_brain_s"], result["split_brain"]) == (
        15.0,
        0.0,
        [],
    )


def test_a_handoff_at_one_instant_is_no_dual_primary(hb: HistoryBuilder) -> None:
    hb.role(0.0, "db1", "primary", 0, 0).role(10.0, "db1", "down", 0, 10000)
    hb.role(10.0, "db2", "primary", 1, 10000)
    assert dual_primary_s(hb.build()) == 0.0


@pytest.mark.parametrize(("multi", "split_s", "dual_s"), [(True, 0.0, 0.0), (False, 2.25, 15.0)])
def test_a_multi_primary_cluster_has_neither(
    hb: HistoryBuilder, multi: bool, split_s: float, dual_s: float
) -> None:
    overlapping(hb)
    dual_primaries(hb)
    hb.meta(multi_primary=multi)
    # Both sides increment one counter; the final state kept one side's.
    hb.incr(20.0, key=7, value=1, node="db1")
    hb.incr(20.5, key=7, value=1, node="db2")
    hb.final_value(7, 1)
    result = check_all(hb.build())
    assert (result["split_brain_s"], result["dual_primary_s"]) == (split_s, dual_s)
    assert bool(result["split_brain"]) is not multi
    assert result["lost_updates"] == 1
