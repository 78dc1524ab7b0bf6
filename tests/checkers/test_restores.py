"""Logical corruption, restores and backup jobs on hand-written histories: which writes an
object's loss took, which a restore brought back or left out by choice, and where a restore's
time went."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from sim.checkers import check_all, holds, restore_metrics
from sim.checkers.incident import fault_start, incidents
from sim.checkers.lineage import LineageTree
from sim.history import Event, FaultEvent, ObjectLoss, Recovery, on_object

if TYPE_CHECKING:
    from conftest import HistoryBuilder

SHARE = 0.5


def on_lineage_0(t: float) -> tuple[int, int]:
    return 0, int(1000 * t)


def writes(hb: HistoryBuilder, times: range, lost_object: float | None = None) -> list[int]:
    """One write a second on lineage 0; from `lost_object` on, writes to the object fail."""
    keys = []
    for t in times:
        key = hb._next_key
        hb._next_key += 1
        missing = lost_object is not None and t >= lost_object and on_object(key, SHARE)
        if missing:
            hb.write(t, outcome="fail", key=key)
        else:
            hb.write(t, at=on_lineage_0(t), key=key)
        keys.append(key)
    return keys


def object_keys(keys: list[int], times: range, lo: float, hi: float) -> set[int]:
    return {k for k, t in zip(keys, times, strict=True) if lo <= t < hi and on_object(k, SHARE)}


def test_the_object_hash_spreads_keys_evenly() -> None:
    assert not on_object(0, 0.99)
    share = sum(on_object(k, 0.1) for k in range(1_000_001, 1_010_001)) / 10_000
    assert share == pytest.approx(0.1, abs=0.01)


def test_an_object_lost_for_good_loses_every_write_it_held(hb: HistoryBuilder) -> None:
    times = range(60)
    hb.lineage(0).primary(0, (0.0, 0), (60.0, 60000)).final(0, 60000)
    hb.fault(20.0, "corrupt")
    keys = writes(hb, times, lost_object=20.0)
    hb.history.object_losses.append(ObjectLoss(20.0, 0, 20000, SHARE))
    m = check_all(hb.build())
    gone = object_keys(keys, times, 0, 20)
    assert m["lost_writes"] == len(gone) > 0
    assert m["divergent_writes"] == 0 and m["discarded_writes"] == 0
    # Nothing of the object is left: the loss reaches back to the start of the record.
    last_ack = max(t for k, t in zip(keys, times, strict=True) if k in gone) + 0.25
    assert m["rpo_s"] == pytest.approx(last_ack)
    assert m["rto_s"] == float("inf")


def test_an_object_copied_back_loses_only_its_writes_past_the_target(
    hb: HistoryBuilder,
) -> None:
    times = range(60)
    hb.lineage(0).primary(0, (0.0, 0), (60.0, 60000)).final(0, 60000)
    hb.fault(20.0, "corrupt")
    keys = writes(hb, range(40), lost_object=20.0) + writes(hb, range(40, 60))
    hb.history.object_losses.append(ObjectLoss(20.0, 0, 20000, SHARE))
    # At 40 s the object as it was at 15 s (LSN 15000) is copied into the live database.
    hb.history.recoveries.append(Recovery(40.0, "db1", 0, 15000, 15000, 20000, 0, 40000, SHARE))
    hb.event(30.0, "restore_started").event(40.0, "object_restored")
    m = check_all(hb.build())
    gone = object_keys(keys, times, 16, 20)
    assert m["lost_writes"] == len(gone) > 0
    assert m["discarded_writes"] == len(gone)
    last_ack = max(t for k, t in zip(keys, times, strict=True) if k in gone) + 0.25
    assert m["rpo_s"] == pytest.approx(last_ack - 15.0)
    # Writes to the object fail from 20 s until the copy, then succeed again.
    assert m["rto_s"] == pytest.approx(40.25 - 20.0, abs=1.0)
    assert m["restores"] == 1


def test_an_old_backup_loses_more_than_the_runbook_chose(hb: HistoryBuilder) -> None:
    """The target was 15 s, but the newest backup held the object only as of 5 s: its writes
    from 5 to 15 s are lost for want of backups, those from 15 s on by choice."""
    times = range(60)
    hb.lineage(0).primary(0, (0.0, 0), (60.0, 60000)).final(0, 60000)
    hb.fault(20.0, "corrupt")
    keys = writes(hb, range(40), lost_object=20.0) + writes(hb, range(40, 60))
    hb.history.object_losses.append(ObjectLoss(20.0, 0, 20000, SHARE))
    hb.history.recoveries.append(Recovery(40.0, "db1", 0, 5000, 15000, 40000, 0, 40000, SHARE))
    m = check_all(hb.build())
    assert m["lost_writes"] == len(object_keys(keys, times, 6, 20))
    assert m["discarded_writes"] == len(object_keys(keys, times, 16, 20)) > 0
    gone = object_keys(keys, times, 6, 20)
    last_ack = max(t for k, t in zip(keys, times, strict=True) if k in gone) + 0.25
    assert m["rpo_s"] == pytest.approx(last_ack - 5.0)


def test_a_whole_database_restore_discards_every_later_write(hb: HistoryBuilder) -> None:
    """Point-in-time recovery to 10 s: lineage 1 forks at LSN 10000 at 30 s; every write
    acknowledged on lineage 0 after 10 s is lost, and discarded by choice, since the archive
    held up to 30000."""
    hb.lineage(0).lineage(1, parent=0, fork_lsn=10000, t=30.0, node="db1")
    hb.primary(0, (0.0, 0), (30.0, 30000)).primary(1, (30.0, 10000), (60.0, 40000))
    hb.final(1, 40000)
    hb.fault(20.0, "corrupt")
    before = writes(hb, range(30))
    hb.stream("write", range(31, 60), lambda t: (1, 10000 + int(1000 * (t - 30))))
    hb.history.recoveries.append(Recovery(30.0, "db1", 0, 10000, 10000, 30000, 1, 10000, 1.0))
    m = check_all(hb.build())
    assert m["lost_writes"] == len(before[11:]) == 19
    assert m["discarded_writes"] == 19
    assert m["rpo_s"] == pytest.approx(29.25 - 10.0)


def test_a_restore_that_could_reach_no_further_discards_nothing(hb: HistoryBuilder) -> None:
    """After the loss of every node the restore reached what the archive held: the writes
    past it are lost, none by choice."""
    hb.lineage(0).lineage(1, parent=0, fork_lsn=25000, t=50.0, node="db2")
    hb.primary(0, (0.0, 0), (30.0, 30000)).primary(1, (50.0, 25000), (60.0, 35000))
    hb.final(1, 35000)
    hb.fault(30.0)
    writes(hb, range(30))
    hb.history.recoveries.append(Recovery(50.0, "db2", 0, 25000, 25000, 25000, 1, 25000, 1.0))
    m = check_all(hb.build())
    assert m["lost_writes"] == 4 and m["discarded_writes"] == 0
    assert m["rpo_s"] == pytest.approx(29.25 - 25.0)


def test_holds_follows_the_lineage_chain(hb: HistoryBuilder) -> None:
    hb.lineage(0).lineage(1, parent=0, fork_lsn=100).lineage(2, parent=1, fork_lsn=200)
    tree = LineageTree(hb.build())
    assert holds(tree, (2, 500), 0, 100) and not holds(tree, (2, 500), 0, 101)
    assert holds(tree, (2, 500), 1, 200) and holds(tree, (2, 500), 2, 500)
    assert not holds(tree, (1, 150), 2, 300) and not holds(tree, (1, 150), 1, 151)


def test_a_restore_breaks_down_into_download_and_replay(hb: HistoryBuilder) -> None:
    hb.fault(10.0)
    for t, name in [
        (5.0, "restore_started"),  # before the fault: not this incident's
        (30.0, "restore_started"),
        (31.0, "restore_host_ready"),
        (35.0, "restore_fetched"),  # a backup that turned out unusable
        (38.0, "restore_fetched"),
        (42.0, "restore_replayed"),
        (45.0, "restore_done"),
    ]:
        hb.event(t, name)
    m = restore_metrics(hb.build())
    assert (m["restores"], m["restore_s"]) == (1, 15.0)
    assert (m["restore_fetch_s"], m["restore_replay_s"]) == (7.0, 4.0)


def test_backup_failures_count_unless_a_check_caught_them(hb: HistoryBuilder) -> None:
    events = [
        Event(-50.0, "backup_failed", "db1", "full#1@s1"),
        Event(-10.0, "backup_done", "db1", "full#2"),
        Event(20.0, "backup_failed", "db1", "full#3@s1,s2"),
        Event(80.0, "backup_failure_noticed", "", "full#3@s1,s2"),
    ]
    hb.history.events.extend(events)
    m = restore_metrics(hb.build())
    assert (m["backup_failures"], m["unnoticed_backup_failures"]) == (2, 1)
    assert m["restores"] == 0 and m["restore_s"] == 0.0


def test_a_fault_that_only_sets_the_stage_is_no_incident(hb: HistoryBuilder) -> None:
    hb.history.faults += [
        FaultEvent(5.0, 0, "crash-host s3", "start", ("s3",)),
        FaultEvent(30.0, 1, "crash-host all", "start", ("db1",)),
    ]
    history = hb.build()
    assert (fault_start(history), incidents(history)) == (5.0, 2)
    history.meta["stage_faults"] = [0]
    assert (fault_start(history), incidents(history)) == (30.0, 1)
