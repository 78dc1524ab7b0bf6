"""The network: a networkx graph of sites, link classes by distance, and what faults do to it.

The graph holds regions, zones and hosts (host — zone — region, region — region). The link
between two hosts is the class of their lowest common site: the same zone, the same region
(cross-zone) or two regions (the cross-region default or the pair's own entry). Faults are
data, as in Maelstrom: a cut is a set of (source, destination) pairs whose packets are dropped,
each counted once per fault that drops it, so that overlapping faults heal independently; a
gray failure adds latency, loss or a throughput cap to a set of pairs, each fault on its own.

Loss is seen through TCP, as databases see it: a lost segment is sent again after the
retransmission timeout (200 ms, doubling), and a stream's throughput falls as
MSS / RTT × sqrt(3 / (2 p)) (Mathis et al.).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise

import networkx as nx

from sim.rng import Z99, Stream
from sim.spec.network import LinkClass
from sim.spec.topology import Topology


@dataclass(frozen=True, slots=True)
class Link:
    """What one host-to-host link offers: latency (log-normal) and stream throughput."""

    median_s: float
    sigma: float
    bandwidth_bps: float

    @classmethod
    def of(cls, spec: LinkClass) -> Link:
        sigma = math.log(spec.latency.p99 / spec.latency.median) / Z99
        return cls(spec.latency.median, sigma, spec.bandwidth)


LOOPBACK = Link(0.00005, 0.0, 1e10)
RTO_MIN_S = 0.2
MSS_B = 1460.0


@dataclass(frozen=True, slots=True)
class Impairment:
    """One gray failure's effect on its pairs."""

    pairs: tuple[tuple[str, str], ...]
    latency_s: float = 0.0
    jitter_s: float = 0.0
    loss: float = 0.0
    cap_bps: float = float("inf")


class Network:
    """Latency, throughput and reachability between hosts."""

    def __init__(self, topology: Topology, stream: Stream) -> None:
        self.graph = nx.Graph()
        self.zone_of: dict[str, str] = {}
        self.region_of: dict[str, str] = {}
        for region in topology.regions:
            self.graph.add_node(region.name, level="region")
            for zone in region.zones:
                self.graph.add_node(zone.name, level="zone")
                self.graph.add_edge(zone.name, region.name)
                for host in zone.hosts:
                    self.graph.add_node(host.name, level="host", kind=host.kind)
                    self.graph.add_edge(host.name, zone.name)
                    self.zone_of[host.name] = zone.name
                    self.region_of[host.name] = region.name
        net = topology.network
        cross_region = Link.of(net.cross_region)
        regions = [r.name for r in topology.regions]
        for i, a in enumerate(regions):
            for b in regions[i + 1 :]:
                self.graph.add_edge(a, b, link=cross_region)
        for pair in net.region_pairs:
            if self.graph.has_edge(*pair.regions):
                self.graph.edges[pair.regions]["link"] = Link.of(pair.link)
        self._same_zone = Link.of(net.same_zone)
        self._cross_zone = Link.of(net.cross_zone)
        self._links: dict[tuple[str, str], Link] = {}
        self._stream = stream
        self.up: dict[str, bool] = {h: True for h in self.zone_of}
        self.drops: Counter[tuple[str, str]] = Counter()
        self._paths: dict[tuple[str, ...], Link] = {}

        self._down = 0
        # No host down and no cut: every packet arrives (a fast path for the hot loop).
        self.pristine = True
        self._impairments: dict[int, Impairment] = {}
        self.extra: dict[tuple[str, str], float] = {}
        self.jitter: dict[tuple[str, str], float] = {}
        self.loss: dict[tuple[str, str], float] = {}
        self.cap: dict[tuple[str, str], float] = {}
        # Some gray failure is active: messages must look up their pairs' impairments.
        self.impaired = False

    def power(self, host: str, up: bool) -> None:
        """Record a host's power state."""
        if self.up[host] != up:
            self.up[host] = up
            self._down += -1 if up else 1
            self.pristine = not self._down and not self.drops

    def hosts(self) -> list[str]:
        """Every host, in file order."""
        return list(self.zone_of)

    def link(self, a: str, b: str) -> Link:
        """The link class between two hosts."""
        if (found := self._links.get((a, b))) is None:
            found = self._links[(a, b)] = self._classify(a, b)
        return found

    def _classify(self, a: str, b: str) -> Link:
        if a == b:
            return LOOPBACK
        if self.zone_of[a] == self.zone_of[b]:
            return self._same_zone
        ra, rb = self.region_of[a], self.region_of[b]
        if ra == rb:
            return self._cross_zone
        link: Link = self.graph.edges[ra, rb]["link"]
        return link

    def path(self, hops: tuple[str, ...]) -> Link:
        """The latency of a message relayed along `hops`, as one log-normal whose mean and
        variance match the sum of the hops' (Fenton-Wilkinson), and the path's bottleneck."""
        if (found := self._paths.get(hops)) is None:
            mean = var = 0.0
            bandwidth = float("inf")
            for a, b in pairwise(hops):
                link = self.link(a, b)
                m = link.median_s * math.exp(link.sigma**2 / 2)
                mean += m
                var += m * m * (math.exp(link.sigma**2) - 1)
                bandwidth = min(bandwidth, link.bandwidth_bps)
            sigma2 = math.log(1 + var / (mean * mean))
            found = Link(mean * math.exp(-sigma2 / 2), math.sqrt(sigma2), bandwidth)
            self._paths[hops] = found
        return found

    def impair(self, fault: int, impairment: Impairment) -> None:
        """Apply a gray failure (until `restore` with the same fault number)."""
        self._impairments[fault] = impairment
        self._recompute()

    def restore(self, fault: int) -> None:
        self._impairments.pop(fault, None)
        self._recompute()

    def _recompute(self) -> None:
        extra: dict[tuple[str, str], float] = {}
        jitter: dict[tuple[str, str], float] = {}
        keep: dict[tuple[str, str], float] = {}  # probability that a segment gets through
        cap: dict[tuple[str, str], float] = {}
        for imp in self._impairments.values():
            for pair in imp.pairs:
                if imp.latency_s:
                    extra[pair] = extra.get(pair, 0.0) + imp.latency_s
                if imp.jitter_s:
                    jitter[pair] = jitter.get(pair, 0.0) + imp.jitter_s
                if imp.loss:
                    keep[pair] = keep.get(pair, 1.0) * (1.0 - imp.loss)
                if imp.cap_bps < float("inf"):
                    cap[pair] = min(cap.get(pair, float("inf")), imp.cap_bps)
        self.extra = extra
        self.jitter = jitter
        self.loss = {pair: 1.0 - k for pair, k in keep.items()}
        self.cap = cap
        self.impaired = bool(self._impairments)

    def penalty(self, pairs: tuple[tuple[str, str], ...], stream: Stream) -> float:
        """Extra delay of one message relayed along `pairs`: added latency (varying by up to
        its jitter either way, as tc-netem draws it), plus TCP retransmissions of the
        segments that were lost."""
        delay = 0.0
        for pair in pairs:
            delay += self.extra.get(pair, 0.0)
            if j := self.jitter.get(pair, 0.0):
                delay = max(0.0, delay + j * (2.0 * stream.random() - 1.0))
            p = self.loss.get(pair, 0.0)
            rto = RTO_MIN_S
            while p and stream.random() < p:
                delay += rto
                rto *= 2
        return delay

    def stream_link(self, a: str, b: str) -> tuple[float, float]:
        """(one-way latency, throughput) of a long-lived stream from `a` to `b`, with the gray
        failures in force."""
        link = self.link(a, b)
        latency = link.median_s + self.extra.get((a, b), 0.0)
        bandwidth = min(link.bandwidth_bps, self.cap.get((a, b), float("inf")))
        p = max(self.loss.get((a, b), 0.0), self.loss.get((b, a), 0.0))
        if p:
            rtt = latency + link.median_s + self.extra.get((b, a), 0.0)
            bandwidth = min(bandwidth, MSS_B / rtt * math.sqrt(1.5 / p))
        return latency, bandwidth

    def rtt(self, a: str, b: str, stream: Stream) -> float:
        """A request's round trip from `a` to `b` and back: median latencies, plus what gray
        failures add (drawn from `stream` when there is loss)."""
        link = self.link(a, b)
        rtt = 2 * link.median_s
        if self.impaired:
            rtt += self.penalty(((a, b), (b, a)), stream)
        return rtt

    def median(self, a: str, b: str) -> float:
        """The link's median one-way latency (for steady flows such as a WAL stream)."""
        return self.link(a, b).median_s

    def bandwidth(self, a: str, b: str) -> float:
        """Throughput of one stream from `a` to `b`, bytes per second."""
        return self.link(a, b).bandwidth_bps

    def reachable(self, a: str, b: str) -> bool:
        """Whether a packet from `a` arrives at `b` now: both hosts powered and not cut."""
        up = self.up
        return up[a] and up[b] and (not self.drops or (a, b) not in self.drops)

    def connected(self, a: str, b: str) -> bool:
        """Whether `a` and `b` can hold a conversation (both directions pass)."""
        return self.reachable(a, b) and self.reachable(b, a)

    def cut(self, pairs: list[tuple[str, str]]) -> None:
        """Drop packets for each (source, destination) pair, until `heal` with the same list."""
        self.drops.update(pairs)
        self.pristine = not self._down and not self.drops

    def heal(self, pairs: list[tuple[str, str]]) -> None:
        """Undo one `cut`."""
        self.drops.subtract(pairs)
        self.drops = +self.drops
        self.pristine = not self._down and not self.drops
