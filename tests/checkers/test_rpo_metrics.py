"""RPO: discarded bytes, the time they cover, and the acknowledged span lost."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.checkers import (
    LineageTree,
    Segment,
    audit_writes,
    check_all,
    discarded_segments,
    lineage_tops,
    loss_window_s,
    rpo_s,
)

if TYPE_CHECKING:
    from conftest import HistoryBuilder


def two_failovers(hb: HistoryBuilder) -> None:
    """0 -> 1 at 12000 -> 2 at 20000 (final, 38000); 3 forked from 1 at 14000 and discarded.
    Lineage 0 speeds up from 1000 to 4000 B/s at t = 10, lineage 1 from 1000 to 2000 at 20."""
    hb.lineage(0).lineage(1, 0, 12000, 13.0, "db2").lineage(2, 1, 20000, 21.5, "db3")
    hb.lineage(3, 1, 14000, 15.0, "db4")
    hb.primary(0, (0.0, 0), (10.0, 10000), (12.0, 18000))
    hb.primary(1, (13.0, 12000), (20.0, 19000), (21.0, 21000), node="db2")
    hb.primary(2, (22.0, 20000), (40.0, 38000), node="db3")
    hb.primary(3, (15.0, 14000), (16.0, 14500), node="db4")
    hb.position(16.5, 3, 14600, "flushed", "db4")  # beyond its last primary sample
    hb.role(21.5, "db3", "primary", 2, 20000)
    hb.fault(10.0, "partition", ("db1",))
    hb.final(2, 38000)


def test_discarded_segments_per_lineage(hb: HistoryBuilder) -> None:
    two_failovers(hb)
    history = hb.build()
    tree = LineageTree(history)
    assert lineage_tops(history) == {0: 18000, 1: 21000, 2: 38000, 3: 14600}
    segments = discarded_segments(history, tree)
    assert segments == [
        Segment(0, 12000, 18000),
        Segment(1, 20000, 21000),
        Segment(3, 14000, 14600),
    ]
    # 0: 10.5 -> 12 (at 4000 B/s), 1: 20.5 -> 21 (at 2000 B/s), 3: 15 -> 16 (held at the last).
    assert loss_window_s(segments, tree) == 3.0


def test_rpo_numbers_from_positions(hb: HistoryBuilder) -> None:
    two_failovers(hb)
    key_1 = hb.write(11.25, at=(0, 16000))
    hb.write(11.5, at=(0, 17000), key=key_1, attempt=2)
    key_2 = hb.write(11.8, duration=0.075, at=(0, 17500))
    # The key's last ack is on lineage 3, whose common point with the chain is (1, 14000),
    # reached at 15; its earlier ack on lineage 0 would have given 11.875 - 10.5.
    hb.write(15.9, duration=0.1, at=(3, 14400), key=key_2, attempt=2)
    hb.write(15.5, at=(1, 15000))
    history = hb.build()
    audit = audit_writes(history)
    assert sorted(audit.lost) == [key_1, key_2]
    assert rpo_s(audit, LineageTree(history)) == 1.25  # 11.75 - 10.5
    result = check_all(history)
    assert result["lost_writes"] == 2
    assert result["rpo_s"] == 1.25
    assert result["rpo_bytes"] == 7600
    assert result["lost_tx_est"] == 76.0
    assert result["loss_window_s"] == 3.0


def test_bytes_lost_between_probes_give_rpo_bytes_but_no_rpo_s(hb: HistoryBuilder) -> None:
    hb.lineage(0).lineage(1, 0, 10000, 12.0, "db2")
    hb.primary(0, (0.0, 0), (10.0, 10000), (11.0, 10500))
    hb.primary(1, (12.0, 10000), (30.0, 28000), node="db2")
    hb.fault(11.0, "crash", ("db1",))
    hb.stream("write", range(10), lambda t: (0, int(1000 * t)))
    hb.final(1, 28000)
    result = check_all(hb.build())
    assert result["lost_writes"] == 0
    assert result["rpo_s"] == 0.0
    assert result["rpo_bytes"] == 500
    assert result["loss_window_s"] == 1.0
    assert result["lost_tx_est"] == 5.0
