"""Write and read RTO per site: when a site's ops are good again, and stay good."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from sim.checkers import check_all, dark_sites, rto_by_site, site_rto_s

if TYPE_CHECKING:
    from conftest import HistoryBuilder

INF = float("inf")


def on_0(t: float) -> tuple[int, int]:
    return 0, int(1000 * t)


def on_1(t: float) -> tuple[int, int]:
    return 1, 10000 + int(1000 * (t - 14))


def test_writes_that_never_recover_are_censored(hb: HistoryBuilder) -> None:
    hb.meta(site_routers={"a": ["proxy-a"]})
    hb.lineage(0).primary(0, (0.0, 0), (10.0, 10000)).final(0, 10000)
    hb.fault(10.0, "crash", ("db1",))
    hb.stream("write", range(10), on_0)
    hb.stream("write", range(10, 60), None, duration=0.5, outcome="fail")
    hb.event(12.0, "failure_detected", "mon1").event(13.0, "leader_elected", "db2")
    result = check_all(hb.build())
    assert result["rto_s"] == INF
    assert result["rto_s_by_site"] == {"a": INF}
    assert result["failovers"] == 0
    # Stages the events show still count; the rest of the (endless) outage is the client's.
    assert [
        result[k]
        for k in ("detection_s", "election_s", "fencing_s", "promotion_s", "routing_s", "client_s")
    ] == [2.0, 1.0, 0.0, 0.0, 0.0, INF]


@pytest.mark.parametrize(("t_observe_end", "rto"), [(22.0, INF), (22.25, 7.25), (60.0, 7.25)])
def test_stable_window_must_end_before_the_horizon(
    crash: HistoryBuilder, t_observe_end: float, rto: float
) -> None:
    # The first good write is acked at 17.25; its 5 s window ends at 22.25.
    crash.meta(t_observe_end=t_observe_end)
    assert check_all(crash.build())["rto_s"] == rto


def test_slow_writes_count_as_down(hb: HistoryBuilder) -> None:
    hb.lineage(0).primary(0, (0.0, 0), (60.0, 60000)).final(0, 60000)
    hb.fault(10.0, "latency", ("db1",))
    hb.stream("write", range(10), on_0)
    hb.stream("write", range(10, 20), on_0, duration=1.5)
    # Exactly slow_s is not slow.
    hb.stream("write", range(20, 60), on_0, duration=1.0)
    result = check_all(hb.build())
    assert result["rto_s"] == 11.0
    assert result["lost_writes"] == 0
    assert result["client_s"] == 11.0  # no failover events: all of it is the client's


def test_a_bad_write_straddling_the_fault_starts_the_count_at_the_fault(hb: HistoryBuilder) -> None:
    hb.lineage(0).primary(0, (0.0, 0), (60.0, 60000)).final(0, 60000)
    hb.fault(10.0, "latency", ("db1",))
    hb.stream("write", range(60), on_0)
    hb.write(9.5, duration=1.0, outcome="fail")
    # Acked before the fault and followed by a clean window: not a recovery from it.
    hb.write(9.6, duration=0.2, at=(0, 9600))
    assert check_all(hb.build())["rto_s"] == 0.25


def test_a_fault_that_did_not_touch_writes_has_zero_rto(hb: HistoryBuilder) -> None:
    hb.meta(site_routers={"a": ["proxy-a"]})
    hb.lineage(0).primary(0, (0.0, 0), (60.0, 60000)).final(0, 60000)
    hb.fault(10.0, "crash", ("db2",))  # a replica
    hb.stream("write", range(60), on_0)
    hb.event(12.0, "failure_detected", "mon1")
    result = check_all(hb.build())
    assert (result["rto_s"], result["detection_s"], result["client_s"]) == (0.0, 0.0, 0.0)


def test_worst_site_decides_rto_and_breakdown(hb: HistoryBuilder) -> None:
    hb.meta(site_routers={"a": ["proxy-a"], "b": ["dns"], "c": ["proxy-c"]})
    hb.lineage(0).lineage(1, 0, 10000, 14.0, "db2").final(1, 56000)
    hb.primary(0, (0.0, 0), (10.0, 10000)).primary(1, (14.0, 10000), (60.0, 56000))
    hb.fault(10.0, "zone_loss", ("db1",))
    hb.stream("write", range(10), on_0, site="a")
    hb.stream("write", range(10, 17), None, duration=0.5, outcome="fail", site="a")
    hb.stream("write", range(17, 60), on_1, site="a")
    # Site b waits out a DNS TTL: good again from 22.5.
    hb.stream("write", [t + 0.5 for t in range(10)], on_0, site="b")
    hb.stream(
        "write", [t + 0.5 for t in range(10, 22)], None, duration=0.5, outcome="fail", site="b"
    )
    hb.stream("write", [t + 0.5 for t in range(22, 59)], on_1, site="b")
    # Site c only reads.
    hb.stream("read", range(10), on_0, site="c")
    hb.stream("read", range(10, 14), None, duration=0.5, outcome="fail", site="c")
    hb.stream("read", range(14, 60), on_1, site="c")
    hb.event(12.0, "failure_detected", "mon1").event(13.0, "leader_elected", "db2")
    hb.event(14.0, "promotion_done", "db2")  # no fence_done: fencing takes no time
    hb.event(15.0, "route_changed", "proxy-a").event(20.0, "route_changed", "dns")
    result = check_all(hb.build())
    assert result["rto_s_by_site"] == {"a": 7.25, "b": 12.75}
    assert result["rto_s"] == 12.75
    assert result["read_rto_s_by_site"] == {"c": 4.25}
    assert result["read_rto_s"] == 4.25
    stages = [
        result[k]
        for k in ("detection_s", "election_s", "fencing_s", "promotion_s", "routing_s", "client_s")
    ]
    assert stages == [2.0, 1.0, 0.0, 1.0, 6.0, 2.75]
    assert sum(stages) == 12.75


def test_reads_of_data_later_discarded_are_down(hb: HistoryBuilder) -> None:
    """Reads of the partitioned old primary succeed from 10 to 16, but what they saw is
    discarded; reads of the new primary from 17 on are the first that count."""
    hb.lineage(0).lineage(1, 0, 10000, 14.0, "db2").final(1, 56000)
    hb.primary(0, (0.0, 0), (17.0, 17000)).primary(1, (14.0, 10000), (60.0, 56000))
    hb.fault(10.0, "partition", ("db1",))
    hb.stream("read", range(10), on_0)
    hb.stream("read", range(10, 17), lambda t: (0, int(1000 * t) + 500))
    # Good in itself (before the fork), but the discarded reads after it keep the site down.
    hb.read(10.5, at=(0, 9800))
    hb.stream("read", range(17, 60), on_1)
    result = check_all(hb.build())
    assert result["read_rto_s_by_site"] == {"a": 7.25}
    assert result["read_rto_s"] == 7.25
    assert result["lost_writes"] == 0
    # Writes are a separate count: no site wrote, so nothing showed writes were up.
    assert (result["rto_s"], result["rto_s_by_site"]) == (INF, {})


def test_no_reads_at_all_leave_read_rto_censored(crash: HistoryBuilder) -> None:
    crash.history.ops = [o for o in crash.history.ops if o.f == "write"]
    history = crash.build()
    assert rto_by_site(history, "read") == {}
    assert check_all(history)["read_rto_s"] == INF


def test_site_rto_on_bare_attempts() -> None:
    # (t_invoke, t_complete, good, t_failed): a bad op at 10, a good one at 11, then nothing
    # invoked in its window; a good op at 20 with a good op invoked at 24 in its window.
    attempts = [
        (10.0, 10.5, False, 10.5),
        (10.7, 11.0, True, 11.0),
        (20.0, 20.5, True, 20.5),
        (24.0, 24.25, True, 24.25),
    ]
    assert site_rto_s(attempts, 10.0, 5.0, 60.0) == 10.5
    assert site_rto_s(attempts, 10.0, 5.0, 25.0) == INF
    assert site_rto_s(attempts[1:], 10.0, 5.0, 60.0) == 0.0
    # A failure that ended before the fault is not part of the incident.
    assert site_rto_s([(5.0, 5.5, False, 5.5), *attempts[1:]], 10.0, 5.0, 60.0) == 0.0


def test_site_rto_counts_from_the_fault_when_the_first_bad_op_began_before_it() -> None:
    # Failed op invoked at 9.5; a good op acked at 9.8, before the fault, is no recovery.
    attempts = [(9.5, 10.5, False, 10.5), (9.6, 9.8, True, 9.8)]
    attempts += [(t, t + 0.25, True, t + 0.25) for t in (10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0)]
    assert site_rto_s(attempts, 10.0, 5.0, 60.0) == 0.25


def test_regions_take_their_worst_site_and_dark_sites_witness_nothing(hb: HistoryBuilder) -> None:
    """Sites a and b are zones of region r1, c of region r2. The fault powers off c's only
    client host: its failed writes say nothing about the database, so neither c nor r2 has an
    RTO; region r1 takes the worse of a and b."""
    hb.lineage(0).lineage(1, 0, 10000, 14.0, "db2").final(1, 60000)
    hb.primary(0, (0.0, 0), (10.0, 10000)).primary(1, (14.0, 10000), (60.0, 60000))
    hb.fault(10.0, "crash", ("db1", "app-c"))
    hb.event(10.0, "host_down", "db1").event(10.0, "host_down", "app-c")
    hb.meta(
        site_regions={"a": "r1", "b": "r1", "c": "r2"},
        site_clients={"a": ["app-a"], "b": ["app-b"], "c": ["app-c"]},
    )
    for site, back in (("a", 15), ("b", 18), ("c", 60)):
        hb.stream("write", [t + 0.5 for t in range(10)], on_0, site=site)
        failed = [t + 0.5 for t in range(10, back)]
        hb.stream("write", failed, None, duration=0.5, outcome="fail", site=site)
        hb.stream("write", [t + 0.5 for t in range(back, 59)], on_1, site=site)
    history = hb.build()
    assert dark_sites(history) == {"c"}
    result = check_all(history)
    assert result["rto_s_by_site"] == {"a": 5.75, "b": 8.75}
    assert result["rto_s_by_region"] == {"r1": 8.75}
    assert result["rto_s"] == 8.75


def test_every_site_dark_leaves_the_rto_censored(hb: HistoryBuilder) -> None:
    """A single-region cluster that loses its region, application servers included: nothing
    shows the service up, so the RTO is inf, not 0."""
    hb.lineage(0).final(0, 10000)
    hb.primary(0, (0.0, 0), (10.0, 10000))
    hb.fault(10.0, "crash", ("db1", "app-a"))
    hb.event(10.0, "host_down", "db1").event(10.0, "host_down", "app-a")
    hb.meta(site_regions={"a": "r1"}, site_clients={"a": ["app-a"]})
    hb.stream("write", [t + 0.5 for t in range(10)], on_0)
    result = check_all(hb.build())
    assert (result["rto_s"], result["rto_s_by_site"], result["rto_s_by_region"]) == (INF, {}, {})
