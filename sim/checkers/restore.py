"""Restores and backup jobs, from their named events: how long a restore took and where the
time went, and how many backup jobs failed without anyone noticing.

The model names the steps of a restore: `restore_started` (the runbook begins),
`restore_host_ready` (the instance to restore into is up: the download starts),
`restore_fetched` (a base backup is in place; again after a backup turned
out unusable), `restore_replayed` (the log is replayed to the recovery point), and
`restore_done` (a new primary is open) or `object_restored` (an object copied back). A backup
job ends with `backup_done` or `backup_failed` (detail: the job's id), and a check that
catches a failure records `backup_failure_noticed` with the same id.
"""

from __future__ import annotations

from sim.checkers.incident import fault_start
from sim.history import History

RESTORE_KEYS = (
    "restores",
    "restore_s",
    "restore_fetch_s",
    "restore_replay_s",
    "backup_failures",
    "unnoticed_backup_failures",
)
DONE = ("restore_done", "object_restored")


def restore_metrics(history: History) -> dict[str, float | int]:
    """`RESTORE_KEYS`: restores finished from the fault on; for the first of them, its length
    (from `restore_started` to the new primary or the copied object), its download (from
    `restore_host_ready` to the last `restore_fetched`: waits for a store and backups found
    unusable included) and its replay (to `restore_replayed`), 0 without one; failed backup
    jobs, and those no check noticed."""
    t_fault = fault_start(history)
    since = t_fault if t_fault is not None else float("-inf")
    events = [e for e in history.events if e.t >= since]
    done = [e.t for e in events if e.name in DONE]
    out: dict[str, float | int] = {"restores": len(done)}
    start = next((e.t for e in events if e.name == "restore_started"), None)
    if not done or start is None or start > done[0]:
        out.update(restore_s=0.0, restore_fetch_s=0.0, restore_replay_s=0.0)
    else:
        end = done[0]

        def last(name: str, default: float) -> float:
            times = [e.t for e in events if e.name == name and start <= e.t <= end]
            return times[-1] if times else default

        t_ready = last("restore_host_ready", start)
        t_fetched = last("restore_fetched", t_ready)
        t_replayed = last("restore_replayed", t_fetched)
        out.update(
            restore_s=end - start,
            restore_fetch_s=max(t_fetched - t_ready, 0.0),
            restore_replay_s=max(t_replayed - t_fetched, 0.0),
        )
    failed = [e.detail for e in history.events if e.name == "backup_failed"]
    noticed = {e.detail for e in history.events if e.name == "backup_failure_noticed"}
    out["backup_failures"] = len(failed)
    out["unnoticed_backup_failures"] = sum(1 for job in failed if job not in noticed)
    return out
