"""What the application does: probe clients in named sites, and the bulk write rate."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sim.spec.base import ByteRateRange, DurationDist, Name, Spec
from sim.units import Duration, Rate, Size


class Client(Spec):
    """An application host issuing probe operations through its router."""

    host: Name
    writes: Rate = Field(description="probe writes per second (each with a unique id)")
    reads: Rate = Field(description="probe reads per second")
    via: Name | None = Field(
        default=None, description="the proxy this client connects through (proxy routing only)"
    )


class Backoff(Spec):
    """Exponential backoff between retries, with full jitter."""

    base: Duration
    max: Duration


class Bursts(Spec):
    """Bulk loads, batch jobs and index builds: when they come and how much WAL they write."""

    every: Duration = Field(description="mean time between bursts (Poisson arrivals)")
    duration: DurationDist
    wal_rate: ByteRateRange = Field(description="WAL written per second during a burst")


class HotKeys(Spec):
    """Counters that clients in several sites increment at once (read, add one, write back):
    under last-writer-wins, concurrent increments silently overwrite each other."""

    keys: int = Field(ge=1, description="how many hot counters")
    rate: Rate = Field(description="increments per second, per client")


class Workload(Spec):
    """Probe clients (the evidence) and the bulk write rate (the quantity)."""

    clients: list[Client] = Field(min_length=1)
    connect_timeout: Duration = Field(description="client gives up on a new connection")
    statement_timeout: Duration = Field(
        description="client gives up waiting for a statement's answer (outcome unknown)"
    )
    retries: int = Field(ge=0, description="retries of a failed write, reusing its id")
    backoff: Backoff
    transactions: Rate = Field(description="steady transaction rate of the whole application")
    tx_bytes: Size = Field(description="WAL bytes per transaction (for lost_tx_est)")
    bursts: Bursts | None = None
    hot_keys: HotKeys | None = None
    reads_from: Literal["primary", "replica", "any"] = Field(
        default="primary",
        description="where probe reads go: the primary, a replica (stale reads possible), or "
        "any node",
    )
