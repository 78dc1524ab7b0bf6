"""Log archiving from the primary's log: segment switches by size or by archive_timeout, the
jump over steady stretches, and what a store holds through an outage."""

from __future__ import annotations

import pytest

from sim.cluster.archive import LogArchiver, SegmentClock, time_reaching
from sim.wal import PrimaryLog, RateSchedule

MB = 1024**2
SEGMENT = 16 * MB


def log_of(schedule: RateSchedule) -> PrimaryLog:
    log = PrimaryLog(schedule, 1, 0.0, 0.0)
    log.set_growing(0.0, True)
    return log


def brute_last_switch(log: PrimaryLog, t: float, timeout: float | None) -> tuple[float, float]:
    """Switch after switch, one at a time, with no jump: what the clock must agree with."""
    t_s, lsn_s = 0.0, 0.0
    while True:
        full = time_reaching(log, lsn_s + SEGMENT, t_s)
        nxt = full
        if timeout is not None:
            written = time_reaching(log, lsn_s + 1.0, t_s)
            if written != float("inf"):
                ticks = max(1.0, -(-(written - t_s) // timeout))
                nxt = min(full, t_s + ticks * timeout)
        if nxt > t:
            return t_s, lsn_s
        t_s, lsn_s = nxt, log.value(nxt)


def test_a_busy_log_switches_when_a_segment_is_full() -> None:
    log = log_of(RateSchedule.steady(4 * MB))  # a 16 MB segment every 4 s
    clock = SegmentClock(log, 0.0, SEGMENT, 60.0)
    assert clock.last_switch(10.0) == (8.0, 32 * MB)
    assert clock.last_switch(3599.0) == (3596.0, 899 * SEGMENT)


def test_a_quiet_log_switches_on_the_timeout_or_never() -> None:
    log = log_of(RateSchedule.steady(1024.0))  # 1 KB/s: a segment would take 4.5 hours
    timed = SegmentClock(log, 0.0, SEGMENT, 60.0)
    assert timed.last_switch(125.0) == (120.0, 120 * 1024.0)
    never = SegmentClock(log, 0.0, SEGMENT, None)
    assert never.last_switch(3600.0) == (0.0, 0.0)


def test_after_an_idle_spell_the_switch_comes_at_the_next_tick() -> None:
    # Nothing written from 30 s to 200 s: no switch at 60, 120 or 180 s; writing resumes at
    # 200 s and the timer, checked every 60 s, switches at 240 s.
    log = PrimaryLog(RateSchedule.steady(1024.0), 1, 0.0, 0.0)
    log.set_growing(0.0, True)
    log.set_growing(30.0, False)
    log.set_growing(200.0, True)
    clock = SegmentClock(log, 0.0, SEGMENT, 60.0)
    assert clock.last_switch(230.0) == (60.0, 30 * 1024.0)
    assert clock.last_switch(241.0)[0] == 240.0


@pytest.mark.parametrize("timeout", [None, 5.0, 60.0])
def test_the_jump_over_steady_stretches_is_exact(timeout: float | None) -> None:
    bursts = [(100.0, 50.0, 20 * MB), (400.0, 10.0, 200 * MB), (900.0, 300.0, 1 * MB)]
    log = log_of(RateSchedule.with_bursts(3 * MB, bursts))
    clock = SegmentClock(log, 0.0, SEGMENT, timeout)
    # Off the switch grid: a query at a switch instant would compare rounding, not models.
    for t in (7.3, 120.3, 405.5, 1000.3, 1300.3, 999.3, 50.3, 2000.3):
        got = clock.last_switch(t)
        want = brute_last_switch(log, t, timeout)
        assert got[0] == pytest.approx(want[0], abs=1e-6)
        assert got[1] == pytest.approx(want[1], abs=1e-3)


def test_a_store_holds_the_switched_log_one_push_later() -> None:
    log = log_of(RateSchedule.steady(4 * MB))
    archiver = LogArchiver(SegmentClock(log, 0.0, SEGMENT, 60.0), 0.0, 0.5, 100 * MB, True)
    assert archiver.archived(8.4) == 16 * MB  # the 8 s switch is still being pushed
    assert archiver.archived(8.5) == 32 * MB


def test_an_outage_stops_the_archive_and_the_backlog_drains_after() -> None:
    log = log_of(RateSchedule.steady(4 * MB))
    archiver = LogArchiver(SegmentClock(log, 0.0, SEGMENT, 60.0), 0.0, 0.0, 40 * MB, True)
    archiver.set_up(100.0, False)
    archiver.set_up(400.0, True)
    assert archiver.archived(99.0) == 96 * 4 * MB
    assert archiver.archived(300.0) == 100 * 4 * MB  # the last switch before the outage
    # 300 s of backlog (1200 MB) drains at 40 MB/s, from 400 MB archived at 400 s; the
    # switches have moved on to 1600 + 4 x 36 MB by then.
    assert archiver.archived(410.0) == 400 * MB + 10 * 40 * MB
    assert archiver.archived(460.0) == archiver.clock.last_switch(460.0)[1]


def test_a_primary_that_never_comes_back_leaves_its_tail_unarchived() -> None:
    log = log_of(RateSchedule.steady(4 * MB))
    log.set_growing(30.0, False)
    archiver = LogArchiver(SegmentClock(log, 0.0, SEGMENT, 60.0), 0.0, 0.0, 100 * MB, True)
    archiver.set_up(30.0, False)
    assert archiver.archived(10_000.0) == 28 * 4 * MB
    assert log.value(10_000.0) == 30 * 4 * MB
