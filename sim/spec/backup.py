"""Backups: where they go, when they run, how the log is archived, and how a restore is done.

A policy is a list of schedules (full, incremental or differential base backups, storage
snapshots, continuous log archiving), the stores they write to, whether failed jobs are
noticed, an optional delayed replica, and the restore runbook. Durations and sizes are parsed
here, once; the model reads seconds and bytes.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.spec.base import DurationDist, Name, Spec
from sim.units import ByteRate, Duration, Size


class BackupStore(Spec):
    """A place backups go: a `backup` host (a repository server, or an object store's regional
    endpoint in a zone of its own), which a region loss takes with it if it lies there."""

    host: Name = Field(description="the backup host")
    upload: ByteRate = Field(description="throughput the log archiver pushes at")
    fetch: ByteRate = Field(
        description="throughput a restore reads at (parallel streams, not one link's)"
    )


class _Job(Spec):
    """What every periodic backup job has."""

    name: Name
    every: Duration = Field(description="cadence: a job starts this often")
    at: Duration = Field(
        default=0.0,
        description="offset of the jobs in the cadence (a weekly full runs at 0, the daily "
        "incrementals at every 1 d; a job due when a fuller one runs is skipped)",
    )
    to: list[Name] = Field(
        min_length=1, description="the stores it writes to, each on its own (one may fail)"
    )
    retention: Duration = Field(description="how long a backup is kept")
    on: str = Field(
        default="primary",
        description="where the job runs: primary (whichever node is primary then), replica "
        "(a standby), or a db host name (a cron job on one machine, whatever its role)",
    )
    failure: float = Field(
        ge=0.0,
        le=1.0,
        description="probability that a job leaves a backup that cannot be restored",
    )

    @model_validator(mode="after")
    def _cadence(self) -> _Job:
        if self.every <= 0:
            raise ValueError("`every` must be above 0")
        if self.at >= self.every:
            raise ValueError("`at` must lie inside the cadence: below `every`")
        return self


class FullBackup(_Job):
    """A full base backup: every data file, consistent once the log written during the copy
    is replayed."""

    kind: Literal["full"]
    rate: ByteRate = Field(description="database bytes read, compressed and sent per second")
    compression: float = Field(gt=0.0, le=1.0, description="stored bytes / database bytes")


class IncrementalBackup(_Job):
    """The pages changed since the last backup (incremental) or since the last full one
    (differential); restoring it needs the full backup (and, for an incremental, every
    backup in between)."""

    kind: Literal["incremental", "differential"]
    rate: ByteRate = Field(description="changed bytes read, compressed and sent per second")
    compression: float = Field(gt=0.0, le=1.0, description="stored bytes / changed bytes")


class SnapshotBackup(_Job):
    """A storage snapshot of the data volume: crash-consistent at the instant it is taken;
    the store keeps the blocks changed since the previous one."""

    kind: Literal["snapshot"]
    rate: ByteRate = Field(description="changed blocks copied to the snapshot store per second")
    volume: Duration = Field(
        description="creating and attaching a volume from a snapshot (what a restore waits "
        "for instead of a download)"
    )


class LogArchive(Spec):
    """Continuous archiving of the primary's log: a segment is pushed once it is full, or when
    `archive_timeout` forces a switch; the new primary of a failover archives its own
    timeline from where it began."""

    kind: Literal["archive"]
    name: Name
    to: list[Name] = Field(min_length=1, description="the stores it pushes to, each on its own")
    segment: Size = Field(description="log segment size: a segment is archived once full")
    archive_timeout: Duration | None = Field(
        description="force a segment switch after this long with log written since the "
        "last one; null: never (a quiet primary may hold hours of log unarchived)"
    )
    compression: float = Field(gt=0.0, le=1.0, description="stored bytes / log bytes")
    retention: Duration = Field(description="how long archived log is kept")

    @model_validator(mode="after")
    def _sizes(self) -> LogArchive:
        if self.segment <= 0:
            raise ValueError("`segment` must be above 0")
        return self


Schedule = Annotated[
    FullBackup | IncrementalBackup | SnapshotBackup | LogArchive, Field(discriminator="kind")
]
JobSchedule = FullBackup | IncrementalBackup | SnapshotBackup


class DelayedReplica(Spec):
    """A standby that applies the log only once it is `delay` old: a logical error noticed
    within the delay can be stopped before it reaches it. Never a failover candidate."""

    node: Name = Field(description="the db host running it")
    delay: Duration = Field(description="recovery_min_apply_delay-style apply delay")


class Restore(Spec):
    """The restore runbook. A human (the failover family's alert delay and response time)
    or an automation notices the loss of every node; logical corruption always takes a
    human, who picks the recovery point."""

    by: Literal["manual", "automatic"] = Field(
        description="who restores after the loss of every node: the on-call human, or an "
        "automation that starts at the alert"
    )
    decide: DurationDist = Field(
        description="a human's time to understand the incident and choose the recovery "
        "point and method, after the response"
    )
    provision: Duration = Field(
        description="launching a replacement instance for a lost host (boot included)"
    )
    hosts: list[Name] = Field(
        min_length=1,
        description="where a whole restore may build the new primary, in order: a db host "
        "(replaced in its zone if it was lost) or a spare host; the first whose zone still "
        "has a host up",
    )
    corruption: Literal["whole", "object"] = Field(
        description="after logical corruption: whole restores the database to just before it "
        "(every later write discarded); object restores a side instance and copies the "
        "damaged object back (only that object's later writes lost)"
    )
    target_margin: Duration = Field(
        description="the recovery target lies this long before the corruption (the time the "
        "first errors show, rounded down)"
    )
    copy_rate: ByteRate = Field(
        description="copying an object back from a side instance (dump and load)"
    )


class Backups(Spec):
    """A backup policy: stores, schedules, failure checks, a delayed replica, and restores."""

    stores: list[BackupStore] = Field(min_length=1)
    schedules: list[Schedule] = Field(default_factory=list)
    check: Duration | None = Field(
        description="a failed job is noticed this long after it ends (its exit status is "
        "monitored, or a restore test runs) and re-run at once; null: nobody looks, and a "
        "restore finds out"
    )
    delayed_replica: DelayedReplica | None = None
    restore: Restore

    @model_validator(mode="after")
    def _something(self) -> Backups:
        if not self.schedules and self.delayed_replica is None:
            raise ValueError("a policy needs `schedules` or a `delayed_replica`: add one")
        names = [s.name for s in self.schedules]
        if len(set(names)) != len(names):
            raise ValueError("schedule names must be unique")
        if sum(isinstance(s, LogArchive) for s in self.schedules) > 1:
            raise ValueError("one archive schedule at most (it may push to several stores)")
        return self
