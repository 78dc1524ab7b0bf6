"""Faults as data: selectors, partition patterns and gray failures, on a real cluster."""

from __future__ import annotations

import math

import pytest

import sim
from sim.cluster.build import build
from sim.faults import drop_map, parse_drop_map, partition_pairs, resolve
from sim.network import Impairment
from sim.rng import Streams
from sim.spec.fault import Isolate, Partition


@pytest.fixture
def cluster():  # type: ignore[no-untyped-def]
    topology = sim.load_topology("postgres-patroni-async").spec
    c, _, _ = build(topology, sim.load_scenario("primary-crash").spec, 1)
    return c


def _partition(**kw: object) -> Partition:
    return Partition.model_validate({"kind": "partition", "at": "1s", "duration": "1s", **kw})


def test_node_selectors(cluster) -> None:  # type: ignore[no-untyped-def]
    rng = Streams(3)("test")
    assert resolve(cluster, "primary", rng) == ["pg1"]
    assert resolve(cluster, "primaries", rng) == ["pg1"]
    assert resolve(cluster, "replica", rng)[0] in ("pg2", "pg3")
    assert resolve(cluster, "all", rng) == ["pg1", "pg2", "pg3"]
    assert len(resolve(cluster, "one", rng)) == 1
    assert len(resolve(cluster, "minority", rng)) == 1
    assert len(resolve(cluster, "majority", rng)) == 2
    assert resolve(cluster, "dcs", rng) == ["etcd1", "etcd2", "etcd3"]
    assert resolve(cluster, "dcs-leader", rng) == ["etcd1"]
    zone_a = ["pg1", "etcd1", "haproxy1", "app1"]
    assert resolve(cluster, "zone-of:primary", rng) == zone_a
    assert resolve(cluster, "zone:eu-central-1a", rng) == zone_a
    assert len(resolve(cluster, "region-of:primary", rng)) == 12


def test_symmetric_and_one_way_partitions(cluster) -> None:  # type: ignore[no-untyped-def]
    rng = Streams(3)("test")
    both = partition_pairs(cluster, _partition(groups=[["pg1"], ["pg2", "pg3"]]), rng)
    assert sorted(both) == [
        ("pg1", "pg2"), ("pg1", "pg3"), ("pg2", "pg1"), ("pg3", "pg1")
    ]  # fmt: skip
    one_way = partition_pairs(
        cluster, _partition(groups=[["pg1"], ["pg2", "pg3"]], one_way=True), rng
    )
    assert sorted(one_way) == [("pg1", "pg2"), ("pg1", "pg3")]
    cluster.net.cut(one_way)
    assert not cluster.net.reachable("pg1", "pg2") and cluster.net.reachable("pg2", "pg1")
    assert not cluster.net.connected("pg2", "pg1")  # TCP needs both ways


def test_isolate_keeps_the_named_hosts_together(cluster) -> None:  # type: ignore[no-untyped-def]
    isolate = Isolate.model_validate(
        {"kind": "isolate", "at": "1s", "duration": "1s", "target": "primary", "with": ["app1"]}
    )
    pairs = set(partition_pairs(cluster, isolate, Streams(3)("test")))
    assert ("pg1", "app1") not in pairs and ("app1", "pg1") not in pairs
    assert ("pg1", "etcd1") in pairs and ("app2", "app1") in pairs
    assert len(pairs) == 2 * 2 * 10  # each of 2 inside hosts with each of 10 outside, both ways


def test_majorities_ring_on_five_nodes() -> None:
    topology = sim.load_topology("postgres-patroni-async").spec
    zone = topology.regions[0].zones[0]
    extra = [
        h.model_copy(update={"name": f"pg{i}"}) for i, h in ((4, zone.hosts[0]), (5, zone.hosts[0]))
    ]
    zones = [
        zone.model_copy(update={"hosts": [*zone.hosts, *extra]}),
        *topology.regions[0].zones[1:],
    ]
    region = topology.regions[0].model_copy(update={"zones": zones})
    five = topology.model_copy(update={"regions": [region]})
    c, _, _ = build(five, sim.load_scenario("primary-crash").spec, 1)
    pairs = partition_pairs(c, _partition(pattern="majorities-ring"), Streams(5)("test"))
    nodes = ["pg1", "pg2", "pg3", "pg4", "pg5"]
    heard = {n: {s for s in nodes if (s, n) not in pairs} for n in nodes}
    assert all(len(h) == 3 and n in h for n, h in heard.items())  # each hears a majority
    assert len({frozenset(h) for h in heard.values()}) == 5  # no two the same one


def test_gray_failures_add_latency_loss_and_caps(cluster) -> None:  # type: ignore[no-untyped-def]
    net = cluster.net
    base_latency, base_bandwidth = net.stream_link("pg1", "pg2")
    net.impair(7, Impairment((("pg1", "pg2"),), latency_s=0.2))
    latency, bandwidth = net.stream_link("pg1", "pg2")
    assert latency == pytest.approx(base_latency + 0.2) and bandwidth == base_bandwidth
    rng = Streams(1)("test")
    assert net.penalty((("pg1", "pg2"), ("pg2", "pg1")), rng) == pytest.approx(0.2)
    net.impair(8, Impairment((("pg1", "pg2"), ("pg2", "pg1")), loss=0.01, cap_bps=1e6))
    _, capped = net.stream_link("pg1", "pg2")
    rtt = base_latency + 0.2 + net.median("pg2", "pg1")
    assert capped == pytest.approx(min(1e6, 1460 / rtt * math.sqrt(1.5 / 0.01)))
    draws = [net.penalty((("pg2", "pg1"),), rng) for _ in range(20000)]
    # One lost segment in a hundred costs a 200 ms retransmission (doubling if lost again).
    assert 0.001 < sum(draws) / len(draws) < 0.003
    net.restore(7)
    net.restore(8)
    assert net.stream_link("pg1", "pg2") == (base_latency, base_bandwidth) and not net.impaired


def test_jitter_spreads_each_packets_added_latency_either_way(cluster) -> None:  # type: ignore[no-untyped-def]
    net = cluster.net
    net.impair(3, Impairment((("pg1", "pg2"),), latency_s=0.03, jitter_s=0.03))
    rng = Streams(2)("test")
    draws = [net.penalty((("pg1", "pg2"),), rng) for _ in range(20000)]
    assert min(draws) >= 0.0 and max(draws) <= 0.06
    assert sum(draws) / len(draws) == pytest.approx(0.03, abs=0.001)
    assert sum(1 for d in draws if d > 0.05) / len(draws) == pytest.approx(1 / 6, abs=0.02)


def test_a_cut_reads_back_from_its_drop_map(cluster) -> None:  # type: ignore[no-untyped-def]
    pairs = partition_pairs(
        cluster, _partition(groups=[["pg1"], ["pg2", "pg3"]], one_way=True), Streams(1)("t")
    )
    text = drop_map(pairs, cluster.order)
    assert text == "pg2<-pg1 pg3<-pg1"
    assert parse_drop_map(text) == set(pairs)
