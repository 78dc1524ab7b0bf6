"""With several incidents in a run (random failure profiles), the RTO is the worst incident's,
each judged from its own fault by the one-incident rule."""

from __future__ import annotations

import math

import pytest
from conftest import HistoryBuilder, on_old

from sim.checkers import check_all, incident_starts, worst_incident_rto_s
from sim.checkers.rto import Attempt
from sim.history import FaultEvent

STABLE, END = 5.0, 60.0


def _writes(bad: list[tuple[float, float]]) -> list[Attempt]:
    """A write a second from 0 to END, each 100 ms long, bad inside the given spans."""
    return [
        (t, t + 0.1, not any(a <= t < b for a, b in bad), t + 0.1) for t in map(float, range(60))
    ]


def test_each_incident_is_judged_from_its_own_fault() -> None:
    writes = _writes([(10.0, 14.0), (40.0, 43.0)])
    # Faults at 9 and 39: recoveries at 14.1 and 43.1.
    assert worst_incident_rto_s(writes, [9.0, 39.0], STABLE, END) == pytest.approx(5.1)
    assert worst_incident_rto_s(writes, [9.0, 38.0], STABLE, END) == pytest.approx(5.1)
    assert worst_incident_rto_s(writes, [9.0, 35.0], STABLE, END) == pytest.approx(8.1)


def test_an_incident_that_hurt_nobody_counts_zero() -> None:
    writes = _writes([(40.0, 43.0)])
    # The first fault (a replica, say) made no write fail before the second one began.
    assert worst_incident_rto_s(writes, [5.0, 39.0], STABLE, END) == pytest.approx(4.1)


def test_a_request_in_flight_when_the_next_fault_strikes_belongs_to_that_fault() -> None:
    # The write invoked at 39.95 times out at 44.95, after the fault at 40 took its primary:
    # it says nothing of the fault at 5, which hurt nobody (a replica a month earlier, say).
    writes = [*_writes([(40.0, 43.0)]), (39.95, 44.95, False, 44.95)]
    assert worst_incident_rto_s(writes, [5.0, 40.0], STABLE, END) == pytest.approx(3.1)


def test_an_incident_that_never_recovers_is_censored() -> None:
    writes = _writes([(50.0, 60.0)])
    assert math.isinf(worst_incident_rto_s(writes, [5.0, 49.0], STABLE, END))


def test_check_all_takes_the_worst_incident(hb: HistoryBuilder) -> None:
    hb.meta(site_routers={"a": ["proxy-a"]})
    hb.lineage(0).primary(0, (0.0, 0), (60.0, 60000))
    hb.history.faults += [
        FaultEvent(9.0, 0, "crash-host db2", "start", ("db2",)),
        FaultEvent(39.0, 1, "crash-host db1", "start", ("db1",)),
    ]
    hb.stream("write", [t for t in range(60) if not 40 <= t < 43], on_old)
    hb.stream("write", range(40, 43), None, duration=0.5, outcome="fail")
    hb.final(0, 60000)
    history = hb.build()
    assert incident_starts(history) == [9.0, 39.0]
    result = check_all(history)
    assert result["incidents"] == 2
    assert result["rto_s"] == pytest.approx(43.25 - 39.0)


def test_a_write_acknowledged_before_the_next_fault_and_lost_to_it_is_that_faults() -> None:
    # Acked at 38.1 and lost to the failover at 41 (t_failed): the fault at 5 hurt nobody.
    writes = [*_writes([(40.0, 43.0)]), (38.0, 38.1, False, 41.0)]
    assert worst_incident_rto_s(writes, [5.0, 40.0], STABLE, END) == pytest.approx(3.1)


def test_a_write_lost_to_a_later_failover_counts_from_that_failover(hb: HistoryBuilder) -> None:
    """A replica crashes at 5 and hurts nobody; the primary crashes at 30 with its last two
    acknowledged writes (28, 29) not yet replicated, and lineage 1 is promoted at 33 from LSN
    27500. Those writes were acknowledged while the first incident was the latest, but they
    were lost to the second: the worst incident is the second, 30 to 34.25."""
    hb.meta(site_routers={"a": ["proxy-a"]})
    hb.lineage(0).lineage(1, parent=0, fork_lsn=27500, t=33.0, node="db2")
    hb.primary(0, (0.0, 0), (30.0, 30000))
    hb.primary(1, (33.0, 27500), (60.0, 54500), node="db2")
    hb.history.faults += [
        FaultEvent(5.0, 0, "crash-host db2", "start", ("db2",)),
        FaultEvent(30.0, 1, "crash-host db1", "start", ("db1",)),
    ]
    hb.stream("write", range(30), on_old)
    hb.stream("write", range(30, 34), None, duration=0.5, outcome="fail")
    hb.stream("write", range(34, 60), lambda t: (1, 27500 + int(1000 * (t - 33))))
    hb.final(1, 54500)
    result = check_all(hb.build())
    assert result["lost_writes"] == 2
    assert result["rto_s"] == pytest.approx(34.25 - 30.0)
