"""Backup jobs, the catalog of what they left in each store, log archiving, and the best
recovery point a restore can reach from a host.

A job is one simpy process: it starts on its cadence where its schedule says (the primary, a
replica, or a fixed host, whatever that host has become), takes the time its bytes need, and
leaves one copy per store: restorable, or (with the schedule's failure probability) not, which
only a configured check notices. The run starts at a random point of the schedules' cycle,
with the copies the retention keeps from before it (the log before the run is taken at the
workload's mean rate), so the time since the last full backup varies from seed to seed.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.cluster.archive import LogArchiver, SegmentClock
from sim.cost import log_rate
from sim.history import Event, Position
from sim.spec.backup import (
    Backups,
    BackupStore,
    FullBackup,
    JobSchedule,
    LogArchive,
    SnapshotBackup,
)
from sim.wal import INF, PrimaryLog

if TYPE_CHECKING:
    from sim.cluster.core import Cluster
    from sim.cluster.node import DbNode

# A fuller kind due at the same instant replaces a lesser one (a weekly full on the day of a
# daily incremental).
RANK = {"full": 0, "differential": 1, "incremental": 2}


@dataclass(slots=True)
class BackupCopy:
    """What one job left in one store: restore from `start_lsn` on `lineage`, replaying at
    least to `consistent_lsn`; `base` is what it restores on top of."""

    job: str
    schedule: str
    kind: str
    store: str
    t_start: float
    t_end: float
    lineage: int
    start_lsn: float
    consistent_lsn: float
    stored_bytes: float
    ok: bool
    base: BackupCopy | None
    known_bad: bool = False

    def chain(self) -> list[BackupCopy]:
        """The copies a restore of this one fetches, the full one first."""
        out: list[BackupCopy] = []
        cur: BackupCopy | None = self
        while cur is not None:
            out.append(cur)
            cur = cur.base
        return out[::-1]


@dataclass(frozen=True, slots=True)
class Plan:
    """A restore's source and recovery point: fetch `chain`, replay to (`lineage`, `point`);
    `covered` is how far the backups and archive held that history."""

    chain: tuple[BackupCopy, ...]
    lineage: int
    point: float
    covered: float
    fetch_s: float
    replay_s: float


class BackupService:
    """The backup policy at work in one run."""

    def __init__(self, cluster: Cluster, spec: Backups) -> None:
        self.c = cluster
        self.spec = spec
        self.rng = cluster.rng("backups")
        self.stores: dict[str, BackupStore] = {s.host: s for s in spec.stores}
        self.jobs: list[JobSchedule] = [s for s in spec.schedules if not isinstance(s, LogArchive)]
        self.archive = next((s for s in spec.schedules if isinstance(s, LogArchive)), None)
        self.copies: list[BackupCopy] = []
        self.archivers: dict[tuple[int, str], tuple[str, LogArchiver]] = {}
        self.pre_rate = log_rate(cluster.topo.workload)
        cycle = max((s.every for s in self.jobs), default=0.0)
        # Where the run starts in the schedules' cycle: the cycle began `-origin` ago.
        self.origin = -cluster.rng("backup-phase").uniform(0.0, cycle)
        self.root = 0
        self._counts: dict[str, int] = {}

    # --- sizes and positions -------------------------------------------------------------

    def size_at(self, t: float) -> float:
        """The database's size at `t` (bytes), grown at its rate from the run's start."""
        db = self.c.topo.database
        return max(db.size + db.growth * t, 0.0)

    def _changed(self, t0: float, t1: float) -> float:
        """Distinct data changed from `t0` to `t1` (at most the whole database)."""
        return min(self.size_at(t1), self.c.topo.database.churn * max(t1 - t0, 0.0))

    def lsn_at(self, lineage: int, t: float) -> float:
        """Where `lineage` stood at `t` (before the run, the root at the mean log rate)."""
        for _, log in self.c.logs:
            if log.lineage == lineage and (t >= 0.0 or lineage != self.root):
                return log.value(t)
        return self.pre_rate * t

    # --- start ---------------------------------------------------------------------------

    def start(self) -> None:
        """The copies from before the run, the job processes, and archiving."""
        c = self.c
        primary = c.nodes[c.topo.database.initial_primary]
        self.root = primary.lineage
        due = sorted(
            (t, RANK.get(s.kind, 3), i)
            for i, s in enumerate(self.jobs)
            for t in self._times(s, -(s.retention + s.every), 0.0)
        )
        for t, _, i in due:
            sched = self.jobs[i]
            if not self._replaced(sched, t):
                self._pre_run_job(sched, t)
        if self.copies:
            t0 = min(cp.t_start for cp in self.copies)
            row = Position(t0, primary.name, self.root, round(self.pre_rate * t0), "primary")
            c.history.positions.append(row)
        for sched in self.jobs:
            c.env.process(self._cadence(sched))
        for node, log in c.logs:
            self.log_started(node, log)
        c.on_change(self._track)

    def _times(self, sched: JobSchedule, t_from: float, t_to: float) -> list[float]:
        """Job start times of `sched` in [`t_from`, `t_to`)."""
        k = -(-(t_from - self.origin - sched.at) // sched.every)
        out = []
        t = self.origin + sched.at + k * sched.every
        while t < t_to:
            out.append(t)
            t += sched.every
        return out

    def _replaced(self, sched: JobSchedule, t: float) -> bool:
        """Whether a fuller schedule's job is due at `t`, standing in for this one."""
        rank = RANK.get(sched.kind, 3)
        for other in self.jobs:
            if RANK.get(other.kind, 3) < rank and other.kind != "snapshot":
                phase = (t - self.origin - other.at) % other.every
                if min(phase, other.every - phase) < 1e-6:
                    return True
        return False

    def _job_id(self, sched: JobSchedule) -> str:
        """A new job's name, `schedule#n`, for the history."""
        n = self._counts.get(sched.name, 0) + 1
        self._counts[sched.name] = n
        return f"{sched.name}#{n}"

    def _work(self, kind: str, base: BackupCopy | None, t: float) -> float:
        """Database bytes a job reads: all of them for a full backup or a first snapshot,
        what changed since its base otherwise."""
        if kind == "full" or base is None:
            return self.size_at(t)
        return self._changed(base.t_start, t)

    def _kind(self, sched: JobSchedule, store: str, t: float) -> tuple[str, BackupCopy | None]:
        """The kind a job at `t` really takes, and its base: an incremental with nothing to
        build on runs as a full backup."""
        base = self._base(sched, store, t)
        if base is None and not isinstance(sched, SnapshotBackup):
            return "full", None
        return sched.kind, base

    def _base(self, sched: JobSchedule, store: str, t: float) -> BackupCopy | None:
        """What a job of `sched` at `t` builds on in `store`: the last copy (incremental),
        the last full one (differential), the last snapshot (what a snapshot stores)."""
        if isinstance(sched, FullBackup):
            return None
        for cp in reversed(self.copies):
            if cp.store != store or cp.t_end > t:
                continue
            if isinstance(sched, SnapshotBackup):
                if cp.kind == "snapshot":
                    return cp
            elif cp.kind != "snapshot" and (sched.kind == "incremental" or cp.kind == "full"):
                return cp
        return None

    def _stored(self, sched: JobSchedule, work: float) -> float:
        """Bytes a store keeps of a job that read `work` (snapshots are not compressed)."""
        return work * (sched.compression if not isinstance(sched, SnapshotBackup) else 1.0)

    def _pre_run_job(self, sched: JobSchedule, t: float) -> None:
        """A job of the past, from positions at the mean log rate; one still running at the
        start goes on in the run."""
        kind, base = self._kind(sched, sched.to[0], t)
        duration = self._work(kind, base, t) / sched.rate
        if t + duration > 0.0:
            self.c.env.process(self._job(sched, t))
            return
        job = self._job_id(sched)
        failed = []
        for store in sched.to:
            ok = self.rng.random() >= sched.failure or self.spec.check is not None
            self._add(sched, job, store, t, t + duration, self.root, ok)
            if not ok:
                failed.append(store)
        self._record(job, t + duration, failed, self.c.topo.database.initial_primary)

    def _add(
        self, sched: JobSchedule, job: str, store: str, t0: float, t1: float, lineage: int, ok: bool
    ) -> BackupCopy:
        kind, base = self._kind(sched, store, t0)
        work = self._work(kind, base, t0)
        start = self.lsn_at(lineage, t0)
        end = start if isinstance(sched, SnapshotBackup) else self.lsn_at(lineage, t1)
        chained = base if kind in ("incremental", "differential") else None
        copy = BackupCopy(
            job, sched.name, kind, store, t0, t1, lineage, start, end,
            self._stored(sched, work), ok, chained,
        )  # fmt: skip
        self.copies.append(copy)
        return copy

    def _record(self, job: str, t: float, failed: list[str], node: str) -> str:
        """The job's end in the history (at `t`, which may lie before the run); returns the
        event's detail."""
        name = "backup_failed" if failed else "backup_done"
        detail = f"{job}@{','.join(failed)}" if failed else job
        self.c.history.events.append(Event(t, name, node, detail))
        return detail

    # --- jobs in the run -----------------------------------------------------------------

    def _cadence(self, sched: JobSchedule) -> Generator[Any, Any, None]:
        env = self.c.env
        t = self._times(sched, 0.0, sched.every)[0]
        while True:
            yield env.timeout(max(t - env.now, 0.0))
            if not self._replaced(sched, t):
                env.process(self._job(sched, t))
            t += sched.every

    def _runs_on(self, sched: JobSchedule) -> DbNode | None:
        """The node a job runs on now, whatever its role (None: nowhere to run)."""
        c = self.c
        nodes = [c.nodes[n] for n in sorted(c.nodes, key=c.order)]
        if sched.on == "primary":
            return next((n for n in nodes if n.writable and n.host_up), None)
        if sched.on == "replica":
            return next(
                (
                    n
                    for n in nodes
                    if n.role == "replica"
                    and n.serving
                    and n.host_up
                    and n.name not in c.delayed
                    and n.name not in c.dr_nodes
                ),
                None,
            )
        node = c.nodes.get(sched.on)
        return node if node is not None and node.host_up and node.serving else None

    def _job(self, sched: JobSchedule, t0: float) -> Generator[Any, Any, None]:
        """One job (started at `t0`, before the run for one already running at its start)."""
        c = self.c
        job = self._job_id(sched)
        if t0 < 0.0:
            node = c.nodes[c.topo.database.initial_primary]
            lineage = self.root
        else:
            found = self._runs_on(sched)
            if found is None:
                c.event("backup_skipped", "", f"{job}: no {sched.on} to run on")
                return
            node, lineage = found, found.lineage
            c.event("backup_started", node.name, job)
        kind, base = self._kind(sched, sched.to[0], t0)
        t_end = t0 + self._work(kind, base, t0) / sched.rate
        yield c.env.timeout(max(t_end - c.env.now, 0.0))
        # The copy is consistent only if the node kept its history for the whole job.
        intact = node.host_up and node.serving and node.lineage == lineage
        failed = []
        for store in sched.to:
            reached = c.net.up[store] and c.net.connected(node.name, store)
            ok = intact and reached and self.rng.random() >= sched.failure
            if intact and reached:
                self._add(sched, job, store, t0, c.env.now, lineage, ok)
            if not ok:
                failed.append(store)
        detail = self._record(job, c.env.now, failed, node.name)
        if failed and self.spec.check is not None:
            c.env.process(self._notice(sched, job, detail))

    def _notice(self, sched: JobSchedule, job: str, detail: str) -> Generator[Any, Any, None]:
        """The check catches a failed job and the job is run again at once."""
        assert self.spec.check is not None
        yield self.c.env.timeout(self.spec.check)
        for cp in self.copies:
            if cp.job == job and not cp.ok:
                cp.known_bad = True
        self.c.event("backup_failure_noticed", "", detail)
        self.c.env.process(self._job(sched, self.c.env.now))

    # --- log archiving -------------------------------------------------------------------

    def log_started(self, node: str, log: PrimaryLog) -> None:
        """A primary began a log (a lineage): archive it to every store from now on."""
        spec = self.archive
        if spec is None:
            return
        t = self.c.env.now
        clock = SegmentClock(log, t, spec.segment, spec.archive_timeout)
        self.c.event("archive_started", node, f"lineage {log.lineage} from {round(log.value(t))}")
        for name in spec.to:
            store = self.stores[name]
            push_s = spec.segment * spec.compression / store.upload
            drain = store.upload / spec.compression
            up = self._can_push(node, log, name)
            self.archivers[(log.lineage, name)] = (node, LogArchiver(clock, t, push_s, drain, up))

    def _can_push(self, node: str, log: PrimaryLog, store: str) -> bool:
        db = self.c.nodes[node]
        net = self.c.net
        return (
            db.log is log
            and db.serving
            and net.up[node]
            and net.up[store]
            and net.connected(node, store)
        )

    def _track(self) -> None:
        now = self.c.env.now
        for (_, store), (node, archiver) in self.archivers.items():
            archiver.set_up(now, self._can_push(node, archiver.clock.log, store))

    def coverage(self, lineage: int, stores: list[str], t: float) -> tuple[float, float] | None:
        """(start, end) of what the reachable `stores` hold of `lineage`'s log at `t`: from
        its fork (from before the run for the root) to the furthest archived position."""
        ends = [
            self.archivers[(lineage, s)][1].archived(t)
            for s in stores
            if (lineage, s) in self.archivers
        ]
        if not ends:
            return None
        start = -INF if lineage == self.root else self.c.lineages.fork_lsn(lineage)
        return start, max(ends)

    # --- restores ------------------------------------------------------------------------

    def reachable(self, host: str) -> list[str]:
        """The stores `host` reaches now, in file order."""
        net = self.c.net
        return [s for s in self.stores if net.up[s] and net.connected(host, s)]

    def _usable(self, copy: BackupCopy, stores: list[str], t: float) -> bool:
        retention = {s.name: s.retention for s in self.jobs}
        return all(
            cp.store in stores and not cp.known_bad and cp.t_end <= t
            and t - cp.t_end <= retention[cp.schedule]
            for cp in copy.chain()
        )  # fmt: skip

    def plan(self, host: str, target: tuple[int, float] | None) -> Plan | None:
        """The best restore `host` can do now: the highest recovery point on the history of
        `target` (the newest lineage, as far as anything holds it, when None), then the
        quickest; None when no copy it reaches lies on that history."""
        c = self.c
        t = c.env.now
        stores = self.reachable(host)
        if target is None:
            target = (c.logs[-1][1].lineage, INF)
        lt, xt = target
        path_all = c.lineages.chain(lt)[::-1]
        best: tuple[tuple[int, float, float], Plan] | None = None
        for copy in self.copies:
            if not self._usable(copy, stores, t) or copy.lineage not in path_all:
                continue
            limit = c.lineages.shared_limit(copy.lineage, lt)
            if limit is None or copy.consistent_lsn > min(limit, xt):
                continue
            path = path_all[path_all.index(copy.lineage) :]
            lineage, reach = copy.lineage, copy.start_lsn
            for i, lin in enumerate(path):
                end = c.lineages.fork_lsn(path[i + 1]) if i + 1 < len(path) else INF
                cov = self.coverage(lin, stores, t)
                if cov is None or cov[0] > reach:
                    break
                if cov[1] >= end:
                    lineage, reach = path[i + 1], end
                    continue
                lineage, reach = lin, max(reach, cov[1])
                break
            if reach < copy.consistent_lsn:
                lineage, reach = copy.lineage, copy.consistent_lsn
            point = min(reach, xt) if lineage == lt else reach
            chain = copy.chain()
            fetch_s = sum(self._fetch_s(cp) for cp in chain)
            replay_s = max(point - copy.start_lsn, 0.0) / c.topo.database.apply_rate
            plan = Plan(tuple(chain), lineage, point, reach, fetch_s, replay_s)
            key = (path_all.index(lineage), point, -(fetch_s + replay_s))
            if best is None or key > best[0]:
                best = (key, plan)
        return best[1] if best is not None else None

    def _fetch_s(self, copy: BackupCopy) -> float:
        sched = next(s for s in self.jobs if s.name == copy.schedule)
        if isinstance(sched, SnapshotBackup):
            return sched.volume
        return copy.stored_bytes / self.stores[copy.store].fetch

    def reject(self, plan: Plan) -> BackupCopy | None:
        """The first copy of `plan` that cannot be restored (a silent failure found now),
        marked so that no restore tries it again; None when all of it restores."""
        for cp in plan.chain:
            if not cp.ok:
                cp.known_bad = True
                return cp
        return None
