"""sim.charts: each figure built from small hand-made inputs, asserted on its traces."""

from __future__ import annotations

import json
import math

import pytest

from sim import charts
from sim.checkers import BREAKDOWN_KEYS
from sim.history import Event, FaultEvent, History, Op, RoleChange

INF = math.inf


def op(i: int, site: str, t: float, outcome: str, f: str = "write") -> Op:
    return Op(i, f"c-{site}", site, f, i, 0, t - 0.01, t, outcome, "n1", 1, i, "")


def small_history() -> History:
    """Two nodes; n1 crashes at 10 s (the fault never ends), n2 takes over at 14 s."""
    return History(
        meta={"topology": "topo", "scenario": "crash", "seed": 7, "t_end": 30.0},
        ops=[
            op(0, "a", 1.5, "ok"),
            op(1, "a", 1.7, "ok"),
            op(2, "b", 1.2, "ok"),
            op(3, "a", 11.2, "fail"),
            op(4, "b", 12.5, "info"),
            op(5, "a", 16.1, "ok"),
            op(6, "a", 2.0, "ok", f="read"),
        ],
        roles=[
            RoleChange(0.0, "n1", "primary", 1, 0),
            RoleChange(0.0, "n2", "replica", 1, 0),
            RoleChange(10.0, "n1", "down", 1, 100),
            RoleChange(14.0, "n2", "primary", 2, 100),
            RoleChange(20.0, "n1", "rejoining", 1, 100),
        ],
        faults=[FaultEvent(10.0, 0, "crash-host", "start", ("n1",))],
        events=[
            Event(12.0, "failure_detected", "n1", ""),
            Event(13.0, "leader_elected", "n2", ""),
            Event(14.0, "promotion_done", "n2", "lineage 2"),
            Event(15.0, "route_changed", "proxy1", "n2"),
            Event(15.5, "route_changed", "proxy2", "n2"),
            Event(15.6, "streaming", "n1", "n2"),
        ],
    )


def names(fig) -> list[str]:
    return [t.name for t in fig.data]


def test_percentile_keeps_inf() -> None:
    assert charts.percentile([1.0, 2.0, 3.0], 50) == 2.0
    assert charts.percentile([1.0, 2.0, INF], 50) == 2.0
    assert charts.percentile([1.0, 2.0, INF], 90) == INF
    assert charts.percentile([INF, INF], 50) == INF
    assert charts.percentile([4.0, 1.0, INF, 2.0], 0) == 1.0
    assert math.isnan(charts.percentile([], 50))


def test_summary_rows() -> None:
    runs = [
        {"rto_s": 10.0, "lost_writes": 0, "rpo_s": 0.0, "failovers": 1},
        {"rto_s": 20.0, "lost_writes": 4, "rpo_s": 1.5, "failovers": 1},
        {"rto_s": INF, "lost_writes": 2, "rpo_s": 0.5, "failovers": 2},
    ]
    (row,) = charts.summary_rows({"topo": runs})
    assert row["topology"] == "topo"
    assert row["runs"] == 3
    assert row["rto_s_p50"] == 20.0
    assert row["rto_s_p99"] == INF
    assert row["rto_s_max"] == INF
    assert row["lost_writes_mean"] == 2.0
    assert row["rpo_s_p99"] == pytest.approx(1.48)
    assert row["failovers_mean"] == pytest.approx(4 / 3)
    assert row["censored_fraction"] == pytest.approx(1 / 3)


def test_rto_ecdf_marks_censored_runs_at_the_right_edge() -> None:
    fig = charts.rto_ecdf({"a": [3.0, 1.0, INF, 2.0], "b": [5.0, 4.0]})
    assert names(fig) == ["a", "a: 1 of 4 not recovered (+inf)", "b"]
    line_a = fig.data[0]
    assert list(line_a.x) == [1.0, 1.0, 2.0, 3.0]
    # Censored runs stay in the denominator: the curve tops out at 3 of 4.
    assert list(line_a.y) == [0.0, 0.25, 0.5, 0.75]
    censored = fig.data[1]
    assert censored.marker.symbol == charts.CENSORED_SYMBOL
    assert censored.x[0] > 5.0
    assert censored.y[0] == 1.0
    assert fig.data[2].y[-1] == 1.0
    assert len(fig.layout.shapes) == 1  # the +inf edge
    assert "Infinity" not in fig.to_json() and "null" not in json.dumps(fig.to_dict()["data"])


def test_rto_ecdf_all_censored_and_none_censored() -> None:
    fig = charts.rto_ecdf({"stuck": [INF, INF]})
    assert names(fig) == ["stuck: 2 of 2 not recovered (+inf)"]
    fig = charts.rto_ecdf({"fine": [0.0, 1.0]})
    assert names(fig) == ["fine"]
    assert len(fig.layout.shapes) == 0


def test_lost_writes_box_one_box_per_topology() -> None:
    fig = charts.lost_writes_box({"a": [0, 0, 3], "b": [1, 2]})
    assert names(fig) == ["a", "b"]
    assert [t.type for t in fig.data] == ["box", "box"]
    assert list(fig.data[0].y) == [0, 0, 3]
    assert fig.data[0].boxpoints == "all"


def test_role_segments_and_fault_intervals() -> None:
    h = small_history()
    assert charts.role_segments(h) == [
        ("n1", "primary", 0.0, 10.0),
        ("n1", "down", 10.0, 20.0),
        ("n1", "rejoining", 20.0, 30.0),
        ("n2", "replica", 0.0, 14.0),
        ("n2", "primary", 14.0, 30.0),
    ]
    # The fault has no end row: it lasts until t_end.
    assert charts.fault_intervals(h) == [(0, "crash-host", 10.0, 30.0)]
    h.faults.append(FaultEvent(25.0, 0, "crash-host", "end", ("n1",)))
    assert charts.fault_intervals(h) == [(0, "crash-host", 10.0, 25.0)]


def test_write_rates_bins_writes_by_site_and_outcome() -> None:
    rates = charts.write_rates(small_history())
    assert list(rates) == ["a", "b"]
    assert len(rates["a"]["ok"]) == 31
    assert rates["a"]["ok"][1] == 2
    assert rates["a"]["ok"][16] == 1
    assert rates["a"]["fail"][11] == 1
    assert rates["b"]["info"][12] == 1
    assert sum(rates["a"]["ok"]) == 3  # the read is not counted


def test_timeline_traces() -> None:
    fig = charts.timeline(small_history())
    bars = [t for t in fig.data if t.type == "bar" and t.orientation == "h"]
    assert [t.name for t in bars] == ["primary", "replica", "rejoining", "down"]
    primary = bars[0]
    assert list(primary.y) == ["n1", "n2"]
    assert list(primary.base) == [0.0, 14.0]
    assert list(primary.x) == [10.0, 16.0]
    events = [t for t in fig.data if t.type == "scatter"]
    drawn = {e.name for e in small_history().events}
    assert [t.name for t in events] == [n for n in charts.TIMELINE_EVENTS if n in drawn]
    assert len(events) == 4
    assert list(events[-1].x) == [15.0, 15.5]  # both routers
    outcomes = [t for t in fig.data if t.type == "bar" and t.orientation != "h"]
    assert [t.name for t in outcomes] == ["ok", "fail", "info"] * 2  # sites a and b
    # Stacked by explicit bases: fail sits on ok, info on ok + fail.
    assert outcomes[1].base[1] == 2 and outcomes[2].base[11] == 1
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert [(r.x0, r.x1) for r in rects] == [(10.0, 30.0)]
    assert len(lines) == 5  # one per named event; "streaming" is not drawn
    assert "topo" in fig.layout.title.text and "seed 7" in fig.layout.title.text


def test_timeline_of_an_empty_history() -> None:
    fig = charts.timeline(History(meta={"t_end": 5.0}))
    assert len(fig.data) == 0


def test_breakdown_bar_stacks_the_stages() -> None:
    metrics = dict.fromkeys(BREAKDOWN_KEYS, 1.0) | {"rto_s": 6.0}
    fig = charts.breakdown_bar(metrics)
    assert names(fig) == list(BREAKDOWN_KEYS)
    assert [t.x[0] for t in fig.data] == [1.0] * 6
    assert fig.layout.barmode == "stack"
    assert "6.00" in fig.layout.title.text


def test_breakdown_bar_of_a_censored_run() -> None:
    metrics = dict.fromkeys(BREAKDOWN_KEYS, 2.0) | {"rto_s": INF, "client_s": INF}
    fig = charts.breakdown_bar(metrics)
    assert fig.data[-1].name == "client_s (+inf)"
    assert fig.data[-1].x[0] == 0.0
    assert "+inf" in fig.layout.title.text
    assert "Infinity" not in fig.to_json()


def test_summary_rows_carry_restores_and_the_bill() -> None:
    runs = [
        {"rto_s": 10.0, "rpo_s": 2.0, "restores": 1, "restore_s": 600.0, "cost_month_usd": 570.0},
        {"rto_s": 30.0, "rpo_s": 4.0, "restores": 0, "restore_s": 0.0, "cost_month_usd": 570.0},
    ]
    (row,) = charts.summary_rows({"pitr": runs})
    assert row["rpo_s_p50"] == 3.0 and row["restores_mean"] == 0.5
    # The median restore is over the runs that restored.
    assert row["restore_s_p50"] == 600.0
    assert row["cost_month_usd"] == 570.0 and math.isnan(row["backup_month_usd"])


def test_cost_tradeoff_draws_each_topology_and_names_the_unpriced() -> None:
    rows = [
        {"topology": "a", "rto_s_p50": 60.0, "rpo_s_p50": 0.0, "cost_month_usd": 500.0},
        {"topology": "b", "rto_s_p50": INF, "rpo_s_p50": 30.0, "cost_month_usd": 900.0},
        {"topology": "c", "rto_s_p50": 5.0, "rpo_s_p50": 1.0, "cost_month_usd": math.nan},
    ]
    fig = charts.cost_tradeoff(rows)
    rto, rpo = fig.data
    assert list(rto.x) == [500.0, 900.0] and list(rto.text) == ["a", "b"]
    # +inf at the top edge, above every finite point; a zero RPO drawn just above 0.
    assert rto.y[1] == 3 * 60.0 and rpo.y[0] == 0.001
    assert "no prices: c" in fig.layout.title.text
