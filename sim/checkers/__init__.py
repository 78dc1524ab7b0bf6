"""Checkers: pure functions from a run's `History` to its metrics.

They read only `sim.history`, never the model, so each metric can be tested on a hand-written
history and a new metric needs no model change.
"""

from __future__ import annotations

from typing import Any

from sim.checkers.anomalies import OpAudit, WriteSpans, audit_ops, lost_updates
from sim.checkers.availability import availability, down_intervals, downtime_s, union_s
from sim.checkers.failover import (
    BREAKDOWN_KEYS,
    breakdown,
    failover_time_s,
    failovers,
    false_failovers,
)
from sim.checkers.incident import fault_start, incident_starts, incidents
from sim.checkers.lineage import LineageTree
from sim.checkers.objects import ObjectHistory, discarded_writes, holds
from sim.checkers.restore import RESTORE_KEYS, restore_metrics
from sim.checkers.rpo import (
    Segment,
    discarded_segments,
    lineage_tops,
    loss_window_s,
    lost_tx_est,
    rpo_bytes,
    rpo_s,
)
from sim.checkers.rto import (
    dark_sites,
    fault_attempts,
    rto_by_region,
    rto_by_site,
    site_attempts,
    site_rto_s,
    site_rtos,
    worst_incident_rto_s,
    worst_site,
)
from sim.checkers.split_brain import (
    dual_primary_s,
    lineage_overlaps,
    multi_primary,
    primary_spans,
    split_brain,
    split_brain_s,
)
from sim.checkers.writes import WriteAudit, audit_writes, present_keys
from sim.history import History

METRIC_KEYS = (
    "rto_s",
    "rto_s_by_site",
    "rto_s_by_region",
    "read_rto_s",
    "read_rto_s_by_site",
    "lost_writes",
    "divergent_writes",
    "indeterminate",
    "failed_but_present",
    "discarded_writes",
    "lost_tx_est",
    "rpo_s",
    "rpo_bytes",
    "loss_window_s",
    "failovers",
    *BREAKDOWN_KEYS,
    "split_brain",
    "split_brain_s",
    "dual_primary_s",
    "false_failovers",
    "lost_updates",
    "stale_reads",
    "ryw_violations",
    "downtime_s",
    "availability",
    "incidents",
    *RESTORE_KEYS,
)

__all__ = [
    "BREAKDOWN_KEYS",
    "METRIC_KEYS",
    "RESTORE_KEYS",
    "LineageTree",
    "ObjectHistory",
    "OpAudit",
    "Segment",
    "WriteAudit",
    "WriteSpans",
    "audit_ops",
    "audit_writes",
    "availability",
    "breakdown",
    "check_all",
    "dark_sites",
    "discarded_segments",
    "discarded_writes",
    "down_intervals",
    "downtime_s",
    "dual_primary_s",
    "failover_time_s",
    "failovers",
    "false_failovers",
    "fault_attempts",
    "fault_start",
    "holds",
    "incident_starts",
    "incidents",
    "lineage_overlaps",
    "lineage_tops",
    "loss_window_s",
    "lost_tx_est",
    "lost_updates",
    "multi_primary",
    "present_keys",
    "primary_spans",
    "restore_metrics",
    "rpo_bytes",
    "rpo_s",
    "rto_by_region",
    "rto_by_site",
    "site_attempts",
    "site_rto_s",
    "site_rtos",
    "split_brain",
    "split_brain_s",
    "union_s",
    "worst_incident_rto_s",
    "worst_site",
]


def check_all(history: History) -> dict[str, Any]:
    """Every metric of one run, as a flat dict keyed by `METRIC_KEYS` (seconds, bytes, counts)."""
    tree = LineageTree(history)
    has_fault = fault_start(history) is not None
    kinds = fault_attempts(history, tree)
    down = downtime_s(history, kinds["write"])
    rtos = site_rtos(history, tree, kinds)
    by_site, read_by_site = rtos["write"], rtos["read"]
    site, rto = worst_site(by_site, has_fault)
    audit = audit_writes(history, tree)
    segments = discarded_segments(history, tree)
    lost_bytes = rpo_bytes(segments)
    ops = audit_ops(history, tree)
    brain = split_brain(history, ops)
    objects = ObjectHistory(history, tree) if history.object_losses else None
    out: dict[str, Any] = {
        "rto_s": rto,
        "rto_s_by_site": by_site,
        "rto_s_by_region": rto_by_region(by_site, history.meta.get("site_regions", {})),
        "read_rto_s": worst_site(read_by_site, has_fault)[1],
        "read_rto_s_by_site": read_by_site,
        **audit.counts(),
        "discarded_writes": discarded_writes(history, tree, audit.lost),
        "lost_tx_est": lost_tx_est(lost_bytes, int(history.meta["tx_bytes"])),
        "rpo_s": rpo_s(audit, tree, objects),
        "rpo_bytes": lost_bytes,
        "loss_window_s": loss_window_s(segments, tree),
        "failovers": failovers(history),
        **breakdown(history, rto, site),
        "split_brain": brain,
        "split_brain_s": split_brain_s(brain),
        "dual_primary_s": dual_primary_s(history),
        "false_failovers": false_failovers(history),
        "lost_updates": lost_updates(history, ops),
        "stale_reads": ops.stale_reads,
        "ryw_violations": ops.ryw_violations,
        "downtime_s": down,
        "availability": availability(down, history),
        "incidents": incidents(history),
        **restore_metrics(history),
    }
    assert tuple(out) == METRIC_KEYS, "check_all and METRIC_KEYS disagree"
    return out
