"""Lost counter updates, stale reads and read-your-writes violations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from sim.checkers import LineageTree, audit_ops, check_all, lost_updates

if TYPE_CHECKING:
    from conftest import HistoryBuilder


def test_two_sides_of_a_partition_increment_one_counter(hb: HistoryBuilder) -> None:
    # Each side counts 1..5 from 0 on its own copy; last-writer-wins keeps one side's 5.
    for i in range(5):
        hb.incr(10.0 + i, key=7, value=i + 1, node="db1")
        hb.incr(10.5 + i, key=7, value=i + 1, node="db2")
    hb.incr(16.0, key=7, value=6, outcome="fail", node="db2")
    hb.final_value(7, 5)
    history = hb.build()
    assert audit_ops(history).incr_acked == {7: 10}
    assert lost_updates(history) == 5
    assert check_all(history)["lost_updates"] == 5


def test_lost_updates_per_counter(hb: HistoryBuilder) -> None:
    for i in range(3):
        hb.incr(1.0 + i, key=1, value=i + 1)  # all kept
        hb.incr(1.0 + i, key=2, value=i + 1)  # final 4: an unacknowledged one applied too
    hb.incr(5.0, key=3, value=1)
    hb.incr(6.0, key=3, value=2)  # no final value: the counter is gone
    hb.incr(7.0, key=4, value=1, outcome="info")  # never acknowledged: nothing to lose
    hb.final_value(1, 3).final_value(2, 4).final_value(4, 0)
    assert lost_updates(hb.build()) == 2


def clocked(hb: HistoryBuilder) -> None:
    """Lineage 0 writes 1000 B/s to 10000 at t = 10, then 2000 B/s to 30000 at 20, then
    nothing; lineage 1 has no clock."""
    hb.lineage(0).lineage(1, 0, 5000, 12.0, "db2").final(0, 30000)
    hb.primary(0, (0.0, 0), (10.0, 10000), (20.0, 30000))


@pytest.mark.parametrize(
    ("t_invoke", "at", "staleness"),
    [
        (5.0, (0, 3000), 2.0),
        (5.0, (0, 3500), 1.5),  # exactly at the bound: not beyond it
        (15.0, (0, 17000), 1.5),  # 10 + 7000 / 2000 = 13.5
        (15.0, (0, 16999), 1.5005),
        (15.0, (0, 10000), 5.0),  # a sample itself
        (2.0, (0, 3000), 0.0),  # invoked before the lineage got there: floored at 0
        # Nothing was written after 20: a copy at 30000 misses nothing, so it is not stale.
        (25.0, (0, 30000), 0.0),
        (30.0, (1, 5000), 0.0),  # no clock
        (30.0, (-1, -1), 0.0),  # no position
    ],
)
def test_staleness_against_the_bound(
    hb: HistoryBuilder, t_invoke: float, at: tuple[int, int], staleness: float
) -> None:
    clocked(hb)
    hb.meta(stale_bound_s=1.5)
    hb.read(t_invoke, at=at)
    hb.read(t_invoke, outcome="fail", at=at)  # failed reads observed nothing
    history = hb.build()
    assert audit_ops(history).stale_reads == int(staleness > 1.5)
    # Without the meta key the bound is 1 s.
    del history.meta["stale_bound_s"]
    assert check_all(history)["stale_reads"] == int(staleness > 1.0)


def test_stale_reads_match_the_lineage_clock_exactly(hb: HistoryBuilder) -> None:
    """Hundreds of reads over two lineages, switching between them, on every stretch of their
    clocks, flat ones and samples included: the count equals the definition by `time_past`
    (the moment the lineage moved past what the read saw)."""
    hb.lineage(0).lineage(1, 0, 10000, 12.0, "db2").final(1, 40000)
    # Times with no short binary form, so that a rounding difference would show.
    hb.primary(0, (0.0, 0), (10.3, 10000), (13.7, 30000), (16.0, 30000), (20.0, 40000))
    hb.primary(1, (12.1, 10000), (40.3, 38000), node="db2")
    hb.meta(stale_bound_s=0.75)
    samples = [0, 10000, 30000, 40000, 38000]
    for i in range(600):
        t = 0.05 * i
        lineage = (i // 3) % 2
        lsn = samples[i % 5] if i % 11 == 0 else max(0, int(1400 * t) - 731 * (i % 7))
        hb.read(t, at=(lineage, lsn))
    # Reads exactly at the bound: a last-bit difference in the time would count.
    bare = LineageTree(hb.history)
    for i in range(200):
        lineage, lsn = i % 2, 10001 + 137 * i
        hb.read(bare.time_past(lineage, lsn) + 0.75, at=(lineage, lsn))
    history = hb.build()
    tree = LineageTree(history)
    expected = sum(
        o.t_invoke - tree.time_past(o.lineage, o.lsn) > 0.75 for o in history.ops if o.lineage >= 0
    )
    assert 50 < expected < 750  # the reads straddle the bound
    assert audit_ops(history, tree).stale_reads == expected


def test_read_your_writes_violations(hb: HistoryBuilder) -> None:
    hb.read(1.0, value=-1)  # the client had written nothing yet
    hb.read(2.0, value=1)
    hb.read(3.0, value=0)
    hb.read(4.0, value=0, at=(0, 100))
    hb.read(5.0, value=0, outcome="fail")  # observed nothing
    hb.incr(6.0, key=3, value=0)  # a counter value, not a read's verdict
    history = hb.build()
    assert audit_ops(history).ryw_violations == 2
    assert check_all(history)["ryw_violations"] == 2
