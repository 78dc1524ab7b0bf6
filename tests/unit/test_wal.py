"""The log-position arithmetic: fluid queues against a brute-force simulation, lineages."""

from __future__ import annotations

import math
import random

import pytest

from sim.cluster.lineage import LineageBook
from sim.history import History
from sim.wal import FluidQueue, PrimaryLog, RateSchedule, StandbyLog, WalStream


def _log(bursts: list[tuple[float, float, float]], base: float = 4e6) -> PrimaryLog:
    log = PrimaryLog(RateSchedule.with_bursts(base, bursts), 1, 0.0, 0.0)
    log.set_growing(0.0, True)
    return log


def test_rate_schedule_adds_overlapping_bursts() -> None:
    s = RateSchedule.with_bursts(10.0, [(5.0, 10.0, 100.0), (10.0, 10.0, 50.0)])
    assert s.times == [0.0, 5.0, 10.0, 15.0, 20.0]
    assert s.rates == [10.0, 110.0, 160.0, 60.0, 10.0]
    assert s.cumulative(12.0) == pytest.approx(10 * 5 + 110 * 5 + 160 * 2)
    assert s.capped(100.0).rates == [10.0, 100.0, 60.0, 10.0]


def test_primary_log_stands_still_while_stopped_and_reads_its_past() -> None:
    log = _log([])
    log.set_growing(10.0, False)
    log.set_growing(20.0, True)
    assert log.value(5.0) == pytest.approx(20e6)
    assert log.value(15.0) == pytest.approx(40e6)
    assert log.value(25.0) == pytest.approx(60e6)
    assert [t for t, _ in log.samples(30.0)] == [0.0, 10.0, 20.0, 30.0]


def test_fluid_queue_matches_a_brute_force_simulation() -> None:
    rng = random.Random(7)
    bursts = [(rng.uniform(0, 500), rng.uniform(5, 60), rng.uniform(50e6, 300e6)) for _ in range(8)]
    log = _log(bursts)
    log.set_growing(300.0, False)
    log.set_growing(320.0, True)
    bandwidth = 125e6
    queue = FluidQueue(log, bandwidth, 0.0, 0.0)
    dt, sent, t = 0.001, 0.0, 0.0
    checks = sorted(rng.uniform(0, 600) for _ in range(100))
    worst = 0.0
    for check in checks:
        while t < check:
            sent = min(log.value(t + dt), sent + bandwidth * dt)
            t += dt
        worst = max(worst, abs(queue.value(check) - sent))
    # The discretised queue is off by at most one step's worth of bytes.
    assert worst <= 300e6 * dt
    assert max(queue.value(c) for c in checks) > 1e9  # bursts did build a backlog


def test_time_of_a_position_inverts_the_queue() -> None:
    log = _log([(10.0, 20.0, 400e6)])
    queue = FluidQueue(log, 125e6, 0.0, 0.0)
    x = queue.value(25.0)
    assert queue.time_of(x, 0.0) == pytest.approx(25.0)
    ahead = log.value(25.0)
    assert queue.time_of(ahead, 25.0) == pytest.approx(25.0 + (ahead - x) / 125e6)


def test_standby_keeps_what_it_received_and_replays_it() -> None:
    log = _log([(0.0, 10.0, 200e6)])
    standby = StandbyLog(1, 0.0, 0.0, 100e6)
    stream = WalStream(log, 0.0, 0.0, 1e9, 0.001, 0.001)
    standby.attach(stream, 1, 0.0)
    received = standby.received(10.0)
    assert received == pytest.approx(log.value(10.0 - 0.001), rel=1e-6)
    # Replay runs at 100 MB/s, behind the 204 MB/s arriving.
    assert standby.applied(10.0) == pytest.approx(100e6 * (10.0 - 0.001), rel=1e-3)
    standby.detach(10.0, received)
    assert standby.applied(40.0) == pytest.approx(received)


def test_lineages_share_history_up_to_their_fork() -> None:
    book = LineageBook(History())
    one = book.root(0.0, "db1")
    two = book.fork(one, 5000.0, 10.0, "db2")
    three = book.fork(two, 8000.0, 20.0, "db3")
    assert book.can_follow(one, 4000.0, two)
    assert not book.can_follow(one, 6000.0, two)  # wrote past the fork: must rewind
    assert book.can_follow(two, 7000.0, three)
    assert book.common_position(one, three) == 5000.0
    side = book.fork(one, 3000.0, 30.0, "db1")
    assert book.common_position(side, three) == 3000.0
    assert book.shared_limit(three, one) is None


def test_a_log_reads_the_same_position_whichever_way_it_is_asked() -> None:
    rng = random.Random(3)
    log = _log([(rng.uniform(0, 900), 30.0, rng.uniform(50e6, 300e6)) for _ in range(20)])
    for t in (100.0, 250.0, 400.0):
        log.set_growing(t, False)
        log.set_growing(t + 7.3, True)
    for t in (rng.uniform(0, 1000) for _ in range(5000)):
        assert log.piece(t)[0] == log.value(t)


class _Disagreeing:
    """A curve whose point reads lie one float step below its piece reads: the state in which
    a queue once stepped by zero seconds for ever."""

    def __init__(self) -> None:
        self.log = _log([], base=4e6)

    def value(self, t: float) -> float:
        v = self.log.value(t) + 1.5e10
        return math.nextafter(v, 0.0)

    def piece(self, t: float) -> tuple[float, float, float]:
        return self.log.value(t) + 1.5e10, 4e6, math.inf


def test_a_backlog_below_the_clock_resolution_counts_as_drained() -> None:
    curve = _Disagreeing()
    t0 = 463.3198466397502
    start = curve.piece(t0)[0]
    queue = FluidQueue(curve, 1e9, t0, math.nextafter(start, 0.0))  # type: ignore[arg-type]
    assert queue.value(t0 + 0.1) == pytest.approx(curve.value(t0 + 0.1), abs=1e-3)


def test_a_delayed_standby_applies_what_it_received_an_hour_before() -> None:
    log = _log([])
    standby = StandbyLog(1, 0.0, 0.0, 150e6, apply_delay=3600.0)
    standby.attach(WalStream(log, 0.0, 0.0, 125e6, 0.001, 0.001), 1, 0.0)
    assert standby.received(5000.0) == pytest.approx(4e6 * (5000.0 - 0.001))
    assert standby.applied(1000.0) == 0.0
    assert standby.applied(5000.0) == pytest.approx(4e6 * (5000.0 - 3600.0 - 0.001))
    # Stopped by hand: replay holds, reception goes on.
    standby.pause_replay(5000.0)
    assert standby.applied(9000.0) == pytest.approx(4e6 * (5000.0 - 3600.0 - 0.001))
    assert standby.received(9000.0) == pytest.approx(4e6 * (9000.0 - 0.001))


def test_a_delayed_standby_cut_off_still_waits_out_its_delay() -> None:
    """When its stream ends, what it received is applied as it comes of age, not at once."""
    log = _log([])
    standby = StandbyLog(1, 0.0, 0.0, 150e6, apply_delay=600.0)
    standby.attach(WalStream(log, 0.0, 0.0, 125e6, 0.001, 0.001), 1, 0.0)
    kept = standby.received(1000.0)
    standby.detach(1000.0, kept)
    assert standby.applied(1000.0) == pytest.approx(4e6 * (400.0 - 0.001))
    assert standby.applied(1300.0) == pytest.approx(4e6 * (700.0 - 0.001))
    assert standby.applied(5000.0) == pytest.approx(kept)
