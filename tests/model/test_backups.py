"""What backups, point-in-time recovery and delayed replicas do against the disasters that
replication cannot fix: a dropped table, the loss of every node, a region taken with its
backups, a backup store down. Each claim of the backups issue is a seeded run here."""

from __future__ import annotations

import math

import pytest
from conftest import changed, metrics, scenario_from_text

import sim
from sim.history import on_object
from sim.runner import run
from sim.spec.backup import FullBackup, IncrementalBackup, LogArchive, SnapshotBackup
from sim.spec.base import Fixed

pytestmark = pytest.mark.slow

MB = 1024**2
GB = 1024**3
SEEDS = range(1, 4)


def topology(name: str) -> sim.Topology:
    return sim.load_topology(name).spec


def scenario(name: str) -> sim.Scenario:
    return sim.load_scenario(name).spec


def with_archive(topo: sim.Topology, **updates: object) -> sim.Topology:
    """`topo` with its archive schedule's fields replaced."""
    assert topo.backups is not None
    schedules = [
        s.model_copy(update=updates) if isinstance(s, LogArchive) else s
        for s in topo.backups.schedules
    ]
    return changed(topo, backups__schedules=schedules)


def events(result: sim.RunResult, name: str) -> list[float]:
    return [e.t for e in result.history.events if e.name == name]


# --- a dropped table -----------------------------------------------------------------------


def test_replication_alone_never_brings_a_dropped_table_back() -> None:
    """Without backups the drop reaches every standby: writes to the table fail to the end,
    and every write the table held is gone."""
    drop = changed(scenario("drop-table"), requires=[])
    result = run(topology("postgres-manual"), drop, 1)
    m = result.metrics
    t_drop = 600.0
    assert math.isinf(m["rto_s"]) and m["restores"] == 0
    object_ops = [o for o in result.history.ops if o.f == "write" and on_object(o.key, 0.1)]
    after = [o for o in object_ops if o.t_invoke > t_drop + 1.0 and o.t_invoke < 14_000]
    assert after and all(o.outcome == "fail" and o.error == "no-such-object" for o in after)
    acked_before = {o.key for o in object_ops if o.outcome == "ok" and o.t_complete < t_drop}
    assert m["lost_writes"] == len(acked_before) > 1000
    assert m["divergent_writes"] == 0


def test_a_dropped_table_fails_its_probes_until_the_restore() -> None:
    """Probes on the table fail from the drop until the copy is back; the RTO is the
    human's detection and decision plus the restore, and the breakdown says so."""
    for seed in SEEDS:
        result = run(topology("postgres-backup-pitr"), scenario("drop-table"), seed)
        m = result.metrics
        (back,) = events(result, "object_restored")
        failed = [
            o.t_invoke for o in result.history.ops if o.f == "write" and o.error == "no-such-object"
        ]
        assert min(failed) >= 600.0 and max(failed) < back
        assert m["rto_s"] == pytest.approx(back - 600.0, abs=3.0)
        (decided,) = events(result, "restore_started")
        assert m["detection_s"] == 60.0
        assert m["election_s"] == pytest.approx(decided - 660.0)
        # The RTO ends at the first good write after which all are good: a write to another
        # table that completed a moment before the copy was back can be that one.
        assert m["promotion_s"] == pytest.approx(back - decided, abs=3.0)
        assert m["restore_s"] == pytest.approx(back - decided)


def test_full_point_in_time_recovery_discards_every_later_write() -> None:
    """The whole database back to a minute before the drop, in place: the runbook stops the
    primary, and every write acknowledged from the target to then is lost, each one
    discarded by choice."""
    whole = changed(topology("postgres-backup-pitr"), backups__restore__corruption="whole")
    for seed in SEEDS:
        result = run(whole, scenario("drop-table"), seed)
        m = result.metrics
        (stopped,) = events(result, "restore_started")
        acked = {
            o.key
            for o in result.history.ops
            if o.f == "write" and o.outcome == "ok" and 541.0 < o.t_complete < stopped
        }
        assert m["lost_writes"] == m["discarded_writes"] >= len(acked) > 1000
        assert m["rpo_s"] == pytest.approx(stopped - 540.0, abs=2.0)


def test_an_object_copied_back_loses_only_that_objects_later_writes() -> None:
    """Restored on a side instance and copied back: the only writes lost are the table's,
    from the recovery target (a minute before the drop) to the drop."""
    for seed in SEEDS:
        result = run(topology("postgres-backup-pitr"), scenario("drop-table"), seed)
        m = result.metrics
        writes = {o.key: o for o in result.history.ops if o.f == "write" and o.outcome == "ok"}
        window = {k for k, o in writes.items() if on_object(k, 0.1) and o.t_complete > 540.5}
        window = {k for k in window if writes[k].t_complete < 600.0}
        assert 0 < m["lost_writes"] <= len(window) + 1
        assert m["discarded_writes"] == m["lost_writes"]
        assert m["rpo_s"] <= 61.0


def test_a_delayed_replica_recovers_only_within_its_delay() -> None:
    """With an hour's apply delay, an engineer at the keyboard 20 minutes after the drop
    stops its replay in time (a quick recovery from it, a minute of the table lost); one who
    comes after 90 minutes finds it has applied the drop, and the nightly backup is all
    that is left (a day of the table lost)."""
    base = topology("postgres-backup-delayed-replica")
    drop = scenario("drop-table")
    quick = run(changed(base, failover__response=Fixed(fixed="20m")), drop, 1)
    slow = run(changed(base, failover__response=Fixed(fixed="90m")), drop, 1)
    assert events(quick, "replay_paused") and not events(quick, "delayed_replica_too_late")
    assert events(slow, "delayed_replica_too_late") and not events(slow, "replay_paused")
    assert quick.metrics["rpo_s"] <= 61.0
    assert slow.metrics["rpo_s"] > 3600.0
    assert quick.metrics["rto_s"] < slow.metrics["rto_s"] - 70 * 60


# --- the loss of every node ----------------------------------------------------------------


def test_pitr_rpo_is_at_most_the_switch_interval_plus_the_archiving_time() -> None:
    """At 2 MB/s a 16 MB segment fills every 8 s; at a trickle the 60 s archive_timeout
    switches it. Either way what the archive had not shipped bounds the RPO."""
    busy = topology("postgres-backup-pitr")
    quiet = changed(busy, workload__transactions=0.5, workload__bursts=None)
    loss = scenario("cluster-loss")
    push_s = 16 * MB * 0.3 / (100 * MB)
    probe_gap = 0.2  # one write every 0.2 s per client: an ack is that close to the crash
    for m in metrics(busy, loss, SEEDS):
        assert 0 < m["rpo_s"] <= 16 * MB / (1000 * 2048) + push_s + probe_gap
        assert m["discarded_writes"] == 0 and m["restores"] == 1
    for m in metrics(quiet, loss, SEEDS):
        assert 55.0 < m["rpo_s"] <= 60.0 + push_s + probe_gap


def test_with_no_forced_switch_a_quiet_primary_loses_everything_since_the_last_segment() -> None:
    """Without archive_timeout a segment at a trickle takes hours to fill: nothing written
    since the run began (or since the last base backup, which holds its own log) is
    archived, and the RPO grows with the time the cluster ran; nothing bounds it."""
    quiet = changed(topology("postgres-backup-pitr"), workload__transactions=0.5)
    quiet = with_archive(changed(quiet, workload__bursts=None), archive_timeout=None)
    early = scenario("cluster-loss")
    for at in (600.0, 3600.0):
        lost_at = changed(early, faults=[early.faults[0].model_copy(update={"at": at})])
        for seed in (2, 3):
            result = run(quiet, lost_at, seed)
            since = max([0.0] + [t for t in events(result, "backup_done") if 0.0 < t < at])
            assert result.metrics["rpo_s"] == pytest.approx(at - since, abs=0.5)
            assert at - since > 500.0


def test_pitr_rto_grows_with_the_database_and_the_log_since_the_full_backup() -> None:
    """Same seed, same human: 300 GB more to download adds 300 GB x 0.4 / 300 MB/s; a full
    backup taken 12 hours later in the cycle leaves 12 hours less (or more) log to replay."""
    base = topology("postgres-backup-pitr")
    loss = scenario("cluster-loss")
    small = run(changed(base, database__size=100 * GB), loss, 1).metrics
    large = run(changed(base, database__size=400 * GB), loss, 1).metrics
    assert large["restore_fetch_s"] - small["restore_fetch_s"] == pytest.approx(
        300 * GB * 0.4 / (300 * MB), rel=0.02
    )
    assert large["rto_s"] - small["rto_s"] == pytest.approx(
        large["restore_fetch_s"] - small["restore_fetch_s"], abs=2.0
    )
    assert base.backups is not None
    full = base.backups.schedules[0]
    shifted = changed(base, backups__schedules=[full.model_copy(update={"at": 43200.0})])
    replays = [
        run(t, loss, seed).metrics["restore_replay_s"] for t in (base, shifted) for seed in (1,)
    ]
    # 12 hours of log at the workload's mean rate, replayed at 150 MB/s.
    assert abs(replays[0] - replays[1]) > 0.8 * 12 * 3600 * 2 * MB / (150 * MB)


# --- archiving across a failover -----------------------------------------------------------

FAILOVER_THEN_LOSS = """
name: failover-then-loss
description: the primary dies, a standby takes over, then the whole cluster is lost
duration: 2h
settle: 5m
faults:
  - {kind: crash-host, at: 2m, target: primary}
  - {kind: crash-host, at: 40m, target: all}
"""


def test_a_failover_leaves_a_gap_in_the_archive_that_pitr_cannot_cross() -> None:
    """The new primary archives its own timeline from where it began; the log the dead
    primary never shipped is a gap. With no base backup on the new timeline, a restore
    stops at the old one's archive and every write of the new timeline is lost; a backup
    taken on the new timeline restores past the gap."""
    fast = changed(
        topology("postgres-backup-pitr"),
        failover__response=Fixed(fixed="5m"),
        failover__promotion=Fixed(fixed="2m"),
    )
    sc = scenario_from_text(FAILOVER_THEN_LOSS)
    outcomes = set()
    for seed in (0, 1):
        result = run(fast, sc, seed)
        lineages = {row.id: row for row in result.history.lineages}
        new = next(row for row in lineages.values() if row.node == "pg2")
        (recovery,) = result.history.recoveries
        # The new primary archives its own lineage, from where it began.
        started = [e for e in result.history.events if e.name == "archive_started"]
        assert [e.detail for e in started if e.node == "pg2"] == [
            f"lineage {new.id} from {new.fork_lsn}"
        ]
        on_new = [
            e for e in result.history.events
            if e.name == "backup_done" and e.node == "pg2" and new.t < e.t < 2400.0
        ]  # fmt: skip
        if on_new:
            outcomes.add("new timeline")
            assert recovery.lineage == new.id
            assert result.metrics["rpo_s"] < 20.0
        else:
            outcomes.add("gap")
            assert recovery.lineage == new.parent and recovery.target_lsn < new.fork_lsn
            acked_new = {
                o.key for o in result.history.ops if o.outcome == "ok" and o.lineage == new.id
            }
            assert result.metrics["lost_writes"] >= len(acked_new) > 10_000
            assert result.metrics["rpo_s"] > 2400.0 - new.t
    assert outcomes == {"gap", "new timeline"}


def test_a_backup_aimed_at_a_host_skips_or_runs_on_the_wrong_node() -> None:
    """A job that runs on pg1 whatever its role: while pg1 is down it is skipped; once pg1 is
    back on its old timeline, the job backs up a history the cluster left, which no restore
    of the new timeline can use."""
    base = topology("postgres-backup-pitr")
    assert base.backups is not None
    full = base.backups.schedules[0].model_copy(
        update={"every": 1800.0, "retention": 86400.0, "on": "pg1"}
    )
    fast = changed(
        base,
        backups__schedules=[full, base.backups.schedules[1]],
        failover__response=Fixed(fixed="5m"),
        failover__promotion=Fixed(fixed="2m"),
    )
    sc = scenario_from_text(
        FAILOVER_THEN_LOSS.replace("target: primary}", "target: primary, restart_after: 15m}")
    )
    result = run(fast, sc, 1)
    history = result.history
    new = next(row for row in history.lineages if row.node == "pg2")
    skipped = [e for e in history.events if e.name == "backup_skipped"]
    assert any(120.0 < e.t < 1020.0 or e.t > 2400.0 for e in skipped)
    wrong = [
        e.detail for e in history.events
        if e.name == "backup_started" and e.node == "pg1" and new.t < e.t < 2400.0
    ]  # fmt: skip
    assert wrong
    used = [e.detail for e in history.events if e.name == "restore_fetched"]
    assert used and all(job.split(" ")[0] not in wrong for job in used)
    assert history.recoveries[0].lineage == new.id


# --- a region lost with its backups, a store down -------------------------------------------


def test_a_region_lost_with_its_backups_is_lost_for_good() -> None:
    """Backups kept only in the lost region: nothing to restore, anywhere. Copies in another
    region: restored on the spare machine there, up to what the copies held."""
    region = scenario("region-loss-with-backups")
    (same,) = metrics(topology("postgres-backup-pitr"), region, range(1, 2))
    assert math.isinf(same["rto_s"]) and same["restores"] == 0
    result = run(topology("postgres-backup-pitr-cross-region"), region, 1)
    m = result.metrics
    assert math.isfinite(m["rto_s"]) and m["restores"] == 1
    assert result.history.recoveries[0].node == "pg-dr"
    assert m["rpo_s"] < 30.0


def test_a_backup_store_outage_stops_the_archive_and_the_restore_waits_for_it() -> None:
    """The store is down from 5 min to 2 h 05; the cluster is lost at 35 min. Restoring from
    it waits for it and loses the half hour the archive could not ship; a second store in
    another region restores at once with seconds lost. A job due during the outage fails,
    and only a policy that checks its jobs notices."""
    outage = scenario("backup-store-outage")
    one = run(topology("postgres-backup-pitr"), outage, 1)
    two = run(topology("postgres-backup-pitr-cross-region"), outage, 1)
    assert 1790.0 < one.metrics["rpo_s"] < 1830.0
    assert one.history.recoveries[0].t > 2 * 3600 + 300
    assert two.metrics["rpo_s"] < 20.0 and two.metrics["rto_s"] < one.metrics["rto_s"]
    unchecked = run(topology("postgres-backup-nightly-full"), outage, 1).metrics
    checked = one.metrics
    assert unchecked["backup_failures"] == unchecked["unnoticed_backup_failures"] >= 1
    assert checked["backup_failures"] >= 1 and checked["unnoticed_backup_failures"] == 0


def test_untested_backups_fail_the_restore_that_needs_them() -> None:
    """Every job leaves an unusable backup and nobody checks: the restore downloads one after
    another, finds each unusable, and never brings the cluster back. With a check the
    failures are re-run before they are needed."""
    base = topology("postgres-backup-nightly-full")
    assert base.backups is not None
    broken = base.backups.schedules[0].model_copy(update={"failure": 1.0})
    unchecked = changed(base, backups__schedules=[broken])
    result = run(unchecked, scenario("cluster-loss"), 1)
    assert math.isinf(result.metrics["rto_s"])
    # Every copy the 7-day retention keeps is tried, and none restores.
    assert len(events(result, "backup_invalid")) >= 6
    assert events(result, "restore_blocked")
    checked = changed(unchecked, backups__check=3600.0)
    assert math.isfinite(run(checked, scenario("cluster-loss"), 1).metrics["rto_s"])


def test_the_compared_policies_cost_what_they_keep() -> None:
    """Archiving costs storage; copies in a second region double it and add the traffic; a
    delayed replica costs an instance."""
    cost = {
        name: run(topology(name), scenario("primary-crash"), 1).metrics["cost_month_usd"]
        for name in (
            "postgres-backup-nightly-full",
            "postgres-backup-pitr",
            "postgres-backup-pitr-cross-region",
            "postgres-backup-delayed-replica",
        )
    }
    assert (
        cost["postgres-backup-nightly-full"]
        < cost["postgres-backup-pitr"]
        < cost["postgres-backup-pitr-cross-region"]
        < cost["postgres-backup-delayed-replica"]
    )


def test_snapshots_and_differentials_restore_with_little_log_to_replay() -> None:
    """A storage snapshot every 4 hours restores by creating a volume (no download) and then
    replays at most 4 hours of log; a weekly full with daily differentials restores the full
    and its newest differential, with at most a day of log to replay."""
    base = topology("postgres-backup-pitr")
    assert base.backups is not None
    archive = base.backups.schedules[1]
    common = {"to": ["s3-euc1"], "failure": 0.0}
    snapshot = SnapshotBackup.model_validate(
        {"name": "snap", "kind": "snapshot", "every": "4h", "retention": "2d", "rate": "200MB/s",
         "volume": "2m", **common}
    )  # fmt: skip
    weekly = FullBackup.model_validate(
        {"name": "weekly", "kind": "full", "every": "7d", "retention": "14d", "rate": "150MB/s",
         "compression": 0.4, **common}
    )  # fmt: skip
    daily = IncrementalBackup.model_validate(
        {"name": "daily-diff", "kind": "differential", "every": "1d", "retention": "14d",
         "rate": "150MB/s", "compression": 0.4, **common}
    )  # fmt: skip
    day_of_log_s = 86400 * 2.7 * MB / (150 * MB)
    loss = scenario("cluster-loss")
    snap = run(changed(base, backups__schedules=[snapshot, archive]), loss, 1)
    assert snap.metrics["restore_fetch_s"] == pytest.approx(120.0)
    assert snap.metrics["restore_replay_s"] < day_of_log_s / 6 + 30.0
    diff = run(changed(base, backups__schedules=[weekly, daily, archive]), loss, 1)
    (fetched,) = [e.detail for e in diff.history.events if e.name == "restore_fetched"]
    assert fetched.startswith(("daily-diff#", "weekly#"))
    assert 0.0 < diff.metrics["restore_replay_s"] < day_of_log_s + 60.0
    assert diff.metrics["rpo_s"] < 20.0
