"""The database nodes: their log, how fast they write, replay, stop, start and rejoin."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sim.spec.base import Name, Spec
from sim.units import ByteRate, Duration, Size


class Database(Spec):
    """Database processes on the `db` hosts, and the timings of their life cycle."""

    initial_primary: Name = Field(description="the db host that is primary when the run starts")
    size: Size = Field(description="data size; a re-clone copies all of it")
    wal_fsync: Duration = Field(description="local WAL flush at commit")
    apply_rate: ByteRate = Field(description="WAL replay throughput of a standby or of recovery")
    promote: Duration = Field(description="from promote request to read-write, after replay")
    stop: Duration = Field(
        description="fast shutdown: the node keeps acknowledging writes until it has stopped"
    )
    start: Duration = Field(description="process start, not counting crash recovery replay")
    checkpoint_timeout: Duration = Field(description="time between checkpoints")
    max_wal_size: Size = Field(description="WAL between checkpoints; bounds crash recovery")
    rejoin: Literal["rewind", "reclone"] = Field(
        description="how a node whose log diverged rejoins: rewind to the fork (discarding its "
        "own timeline) or re-clone from the primary"
    )
    rewind: Duration = Field(description="fixed cost of a rewind (scan, copy changed blocks)")
    clone_rate: ByteRate = Field(description="throughput of a re-clone (base backup)")
    reconnect: Duration = Field(
        description="a standby's wait before it retries a lost replication connection"
    )
    growth: ByteRate = Field(
        default=0.0,
        description="how fast the data grows (e.g. 2GB/d): a full backup, a restore's "
        "download and the storage bill grow with it",
    )
    churn: ByteRate = Field(
        default=0.0,
        description="distinct data changed per unit of time (e.g. 20GB/d): what an "
        "incremental backup or a snapshot copies",
    )
    wal_sender_timeout: Duration = Field(
        description="a primary drops a standby that has gone silent (host dead, link cut) "
        "after this long; until then it still waits for its acknowledgements"
    )
