"""The network: a networkx graph of sites, link classes by distance, and the cuts faults make.

The graph holds regions, zones and hosts (host — zone — region, region — region). The link
between two hosts is the class of their lowest common site: the same zone, the same region
(cross-zone) or two regions (the cross-region default or the pair's own entry). Cuts are data,
as in Maelstrom: a set of (source, destination) pairs whose packets are dropped, each counted
once per fault that drops it, so that overlapping faults heal independently.
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
