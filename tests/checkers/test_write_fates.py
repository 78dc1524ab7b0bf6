"""Write fates: lost, divergent, indeterminate and failed-but-present keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.checkers import LineageTree, audit_writes, check_all

if TYPE_CHECKING:
    from conftest import HistoryBuilder


def split_brain(hb: HistoryBuilder) -> tuple[list[int], int]:
    """db1 is partitioned at 10 but its clients keep reaching it and it acks until 16.25 on
    lineage 0, while db2 was promoted at 14 from LSN 10000; clients move to db2 at 17. Key
    `retried` is acked by db1 at 16.75 and again by db2 at 17.75."""
    hb.lineage(0).lineage(1, parent=0, fork_lsn=10000, t=14.0, node="db2")
    hb.primary(0, (0.0, 0), (17.0, 17000))
    hb.primary(1, (14.0, 10000), (60.0, 56000), node="db2")
    hb.fault(10.0, "partition", ("db1",))
    hb.stream("write", range(10), lambda t: (0, int(1000 * t)))
    lost = hb.stream("write", range(10, 17), lambda t: (0, int(1000 * t) + 250))
    retried = hb.write(16.5, at=(0, 16750))
    hb.write(17.5, at=(1, 13600), key=retried, attempt=2)
    hb.stream("write", range(17, 60), lambda t: (1, 10000 + int(1000 * (t - 14)) + 100))
    hb.final(1, 56000)
    return lost, retried


def test_acked_on_a_discarded_lineage_is_lost_divergent_and_down(hb: HistoryBuilder) -> None:
    lost, retried = split_brain(hb)
    history = hb.build()
    audit = audit_writes(history)
    assert sorted(audit.lost) == lost
    assert audit.divergent == frozenset([*lost, retried])  # the retry made it present, still
    result = check_all(history)
    assert (result["lost_writes"], result["divergent_writes"]) == (7, 8)
    # Every client saw success from 10 on, but nothing acked before 17.25 survived.
    assert result["rto_s"] == 7.25
    assert result["failovers"] == 1
    # Lost keys acked up to 16.25; lineage 0 reached the fork point 10000 at t = 10.
    assert result["rpo_s"] == 6.25
    assert result["rpo_bytes"] == 7000
    assert result["loss_window_s"] == 7.0
    assert result["lost_tx_est"] == 70.0


def test_new_primary_passing_an_old_write_lsn_does_not_save_it(hb: HistoryBuilder) -> None:
    """Lineage 1 forked from 0 at 1000; lineage 2 forked from 1 at 4000 while 1 went on to
    6000. A write acked at (1, 5000) is lost although the final LSN (2, 9000) is higher."""
    hb.lineage(0).lineage(1, 0, 1000, 1.0, "db2").lineage(2, 1, 4000, 12.0, "db3")
    hb.primary(0, (0.0, 0), (1.0, 1000))
    hb.primary(1, (1.0, 1000), (11.0, 6000), node="db2")
    hb.primary(2, (12.0, 4000), (22.0, 9000), node="db3")
    hb.fault(7.0, "partition", ("db2",))
    hb.write(5.0, at=(1, 3000))
    old = hb.write(9.0, duration=0.5, at=(1, 5000))
    hb.write(15.0, at=(2, 5500))
    hb.final(2, 9000)
    history = hb.build()
    assert not LineageTree(history).survives(1, 5000)
    assert sorted(audit_writes(history).lost) == [old]
    result = check_all(history)
    assert (result["lost_writes"], result["divergent_writes"]) == (1, 1)
    # Acked at 9.5; lineage 1 reached the fork point 4000 at 1 + 3000 / 500 = 7.
    assert result["rpo_s"] == 2.5
    assert result["rpo_bytes"] == 2000
    assert result["loss_window_s"] == 4.0
    assert result["lost_tx_est"] == 20.0


def test_indeterminate_and_failed_but_present(hb: HistoryBuilder) -> None:
    hb.lineage(0).lineage(1, 0, 5000, 20.0, "db2").final(1, 30000)
    # Timed out, yet committed: unknown to the client, present in the end.
    hb.write(3.0, duration=1.0, outcome="info", key=5, commit=True, at=(0, 3100))
    hb.write(4.5, duration=0.5, outcome="fail", key=5, attempt=2)
    hb.write(6.0, outcome="info", key=6)
    hb.write(7.0, outcome="fail", key=9)
    hb.write(8.0, outcome="fail", key=9, attempt=2)
    hb.write(9.0, outcome="info", key=10)
    hb.write(10.0, at=(0, 4000), key=10, attempt=2)
    hb.write(11.0, outcome="info", key=11, commit=True, at=(0, 6000))  # on a discarded stretch
    hb.write(12.0, outcome="fail", key=12, commit=True, at=(0, 4500))
    hb.read(13.0, key=13, at=(0, 4500))  # reads are not write keys
    audit = audit_writes(hb.build())
    assert audit.indeterminate == frozenset({5, 6, 11})
    assert audit.failed_but_present == frozenset({5, 12})
    assert audit.lost == {}
    assert audit.divergent == frozenset()
    assert audit.counts() == {
        "lost_writes": 0,
        "divergent_writes": 0,
        "indeterminate": 3,
        "failed_but_present": 2,
    }


def test_everything_acked_is_lost_without_a_final_read(hb: HistoryBuilder) -> None:
    hb.lineage(0)
    hb.stream("write", [1.0, 2.0, 3.0], lambda t: (0, int(100 * t)))
    counts = audit_writes(hb.build()).counts()
    assert (counts["lost_writes"], counts["divergent_writes"]) == (3, 3)


def test_a_write_on_a_second_root_survives_only_through_held(hb: HistoryBuilder) -> None:
    """Two primaries, each the root of its own lineage (a multi-primary cluster): the final
    read is db1's (0, 5000), and the final state also holds db2's (7, 3000)."""
    hb.lineage(0).lineage(7, node="db2").final(0, 5000).held(7, 3000, node="db2")
    hb.write(1.0, at=(0, 4000))
    kept = hb.write(2.0, at=(7, 2000), node="db2")
    lost = hb.write(3.0, at=(7, 4000), node="db2")
    history = hb.build()
    assert sorted(audit_writes(history).lost) == [lost]
    result = check_all(history)
    assert (result["lost_writes"], result["rpo_bytes"]) == (1, 1000)
    history.held = []
    assert sorted(audit_writes(history).lost) == [kept, lost]
