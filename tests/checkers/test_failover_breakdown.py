"""Failover counts and the breakdown of RTO into stages from named events."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.checkers import (
    BREAKDOWN_KEYS,
    breakdown,
    check_all,
    failover_time_s,
    failovers,
    false_failovers,
)

if TYPE_CHECKING:
    from conftest import HistoryBuilder

INF = float("inf")


def stages(result: dict[str, float]) -> list[float]:
    return [result[k] for k in BREAKDOWN_KEYS]


def test_failovers_count_promotions_from_the_fault_on(hb: HistoryBuilder) -> None:
    hb.lineage(0, node="db1").lineage(1, 0, 100, 5.0, "db2").lineage(2, 1, 200, 10.0, "db3")
    hb.lineage(3, 2, 300, 20.0, "db1")
    assert failovers(hb.history) == 3  # no fault: every promotion
    hb.fault(10.0)
    assert failovers(hb.build()) == 2


def test_a_primary_restarted_on_a_new_timeline_is_no_failover(hb: HistoryBuilder) -> None:
    hb.lineage(1, node="db1").lineage(2, 1, 100, 5.0, "db1").lineage(3, 2, 200, 9.0, "db2")
    hb.fault(1.0)
    assert failovers(hb.build()) == 1


def test_failover_time_runs_to_the_first_promotion_elsewhere(hb: HistoryBuilder) -> None:
    """A restart on a new timeline at 5 is no failover; db2's promotion at 9 is: 8 s after
    the fault. Without a fault or without a promotion there is no failover time."""
    hb.lineage(1, node="db1").lineage(2, 1, 100, 5.0, "db1").lineage(3, 2, 200, 9.0, "db2")
    assert failover_time_s(hb.history) is None
    hb.fault(1.0)
    assert failover_time_s(hb.build()) == 8.0
    hb.history.lineages = hb.history.lineages[:2]
    assert failover_time_s(hb.build()) is None


def false_failover_decisions(hb: HistoryBuilder) -> None:
    hb.decision(5.0, old_up=True, reaching=3, deciders=3)  # a majority, before the fault
    hb.decision(12.0, old_up=True, reaching=2, deciders=3)  # a majority: false
    hb.decision(13.0, old_up=True, reaching=1, deciders=3)  # a minority: the primary is cut off
    hb.decision(14.0, old_up=False, reaching=3, deciders=3)  # the primary was down
    hb.decision(15.0, old_up=True, reaching=2, deciders=4)  # half is no majority
    hb.decision(16.0, old_up=True, reaching=3, deciders=5, node="db3", old="db2")


def test_false_failovers_replace_a_primary_a_majority_still_reached(hb: HistoryBuilder) -> None:
    false_failover_decisions(hb)
    assert false_failovers(hb.build()) == 3  # no fault: every decision
    hb.fault(10.0, "partition", ("db1",))
    history = hb.build()
    assert false_failovers(history) == 2
    assert check_all(history)["false_failovers"] == 2


def test_stages_after_recovery_are_clamped_to_it(crash: HistoryBuilder) -> None:
    crash.history.events = [e for e in crash.history.events if e.name != "route_changed"]
    crash.event(11.5, "leader_elected", "db3")  # before detection: not this failover's
    crash.event(15.0, "route_changed", "proxy-a")
    crash.event(18.0, "route_changed", "proxy-b")  # after writes were good again at 17.25
    result = check_all(crash.build())
    assert result["rto_s"] == 7.25
    assert stages(result) == [2.0, 1.0, 0.5, 0.5, 3.25, 0.0]


def test_missing_detection_starts_the_next_stage_at_the_fault(crash: HistoryBuilder) -> None:
    crash.history.events = [e for e in crash.history.events if e.name != "failure_detected"]
    result = check_all(crash.build())
    assert stages(result) == [0.0, 3.0, 0.5, 0.5, 1.5, 1.75]


def test_a_router_that_never_changed_does_not_count(crash: HistoryBuilder) -> None:
    crash.meta(site_routers={"a": ["proxy-a", "proxy-gone"]})
    crash.history.events = [e for e in crash.history.events if e.node != "proxy-b"]
    result = check_all(crash.build())
    assert stages(result) == [2.0, 1.0, 0.5, 0.5, 1.0, 2.25]


def test_ties_between_sites_take_the_first_by_name(hb: HistoryBuilder) -> None:
    hb.meta(site_routers={"a": ["proxy-a"], "b": ["proxy-b"]})
    hb.lineage(0).primary(0, (0.0, 0), (10.0, 10000)).final(0, 10000)
    hb.fault(10.0, "crash", ("db1",))
    for site in ("b", "a"):
        hb.stream("write", range(10), lambda t: (0, int(1000 * t)), site=site)
        hb.stream("write", range(10, 60), None, duration=0.5, outcome="fail", site=site)
    hb.event(12.0, "failure_detected").event(13.0, "leader_elected")
    hb.event(13.5, "fence_done").event(14.0, "promotion_done")
    hb.event(15.0, "route_changed", "proxy-a").event(17.0, "route_changed", "proxy-b")
    result = check_all(hb.build())
    assert result["rto_s_by_site"] == {"a": INF, "b": INF}
    assert stages(result) == [2.0, 1.0, 0.5, 0.5, 1.0, INF]


def test_breakdown_is_zero_without_a_fault_or_an_outage(crash: HistoryBuilder) -> None:
    history = crash.build()
    assert breakdown(history, 0.0, "a") == dict.fromkeys(BREAKDOWN_KEYS, 0.0)
    history.faults = []
    assert breakdown(history, 7.25, "a") == dict.fromkeys(BREAKDOWN_KEYS, 0.0)
