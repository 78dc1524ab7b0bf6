"""Links between hosts: latency distribution, throughput of one replication stream, loss."""

from __future__ import annotations

from pydantic import Field, model_validator

from sim.spec.base import Spec
from sim.units import ByteRate, Duration


class Latency(Spec):
    """One-way message latency, log-normal from its median and 99th percentile."""

    median: Duration
    p99: Duration

    @model_validator(mode="after")
    def _ordered(self) -> Latency:
        if self.median <= 0 or self.p99 < self.median:
            raise ValueError("need 0 < median <= p99")
        return self


class LinkClass(Spec):
    """What a link between two hosts at this distance offers."""

    latency: Latency
    bandwidth: ByteRate = Field(
        description="throughput one replication stream gets on this link (the smaller of the "
        "network flow limit and the receiver's WAL write throughput)"
    )


class RegionPair(Spec):
    """The link between two named regions, overriding `cross_region`."""

    regions: tuple[str, str]
    link: LinkClass


class Network(Spec):
    """Link classes by distance: same zone, across zones, across regions (with a table)."""

    same_zone: LinkClass = LinkClass(
        latency=Latency(median="0.2ms", p99="0.8ms"), bandwidth="1250MB/s"
    )
    cross_zone: LinkClass = LinkClass(latency=Latency(median="1ms", p99="3ms"), bandwidth="125MB/s")
    cross_region: LinkClass = LinkClass(
        latency=Latency(median="70ms", p99="100ms"), bandwidth="50MB/s"
    )
    region_pairs: tuple[RegionPair, ...] = ()
