"""check_all: the flat metric dict, end to end on hand-written histories."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.checkers import METRIC_KEYS, check_all

if TYPE_CHECKING:
    from conftest import HistoryBuilder

INF = float("inf")

CONTRACT_KEYS = [
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
    "detection_s",
    "election_s",
    "fencing_s",
    "promotion_s",
    "routing_s",
    "client_s",
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
    "restores",
    "restore_s",
    "restore_fetch_s",
    "restore_replay_s",
    "backup_failures",
    "unnoticed_backup_failures",
]
ANOMALY_KEYS = CONTRACT_KEYS[21:28]
NO_ANOMALY = {
    "split_brain": [],
    "split_brain_s": 0.0,
    "dual_primary_s": 0.0,
    "false_failovers": 0,
    "lost_updates": 0,
    "stale_reads": 0,
    "ryw_violations": 0,
}

NO_RESTORE = {
    "restores": 0,
    "restore_s": 0.0,
    "restore_fetch_s": 0.0,
    "restore_replay_s": 0.0,
    "backup_failures": 0,
    "unnoticed_backup_failures": 0,
}


def test_keys_are_exactly_the_contract(hb: HistoryBuilder) -> None:
    result = check_all(hb.build())
    assert list(result) == CONTRACT_KEYS
    assert list(METRIC_KEYS) == CONTRACT_KEYS
    assert list(NO_ANOMALY) == ANOMALY_KEYS
    assert CONTRACT_KEYS[28:31] == ["downtime_s", "availability", "incidents"]


def test_no_fault_gives_all_zeros(hb: HistoryBuilder) -> None:
    hb.lineage(0).primary(0, (0.0, 0), (60.0, 60000)).final(0, 60000)
    hb.stream("write", range(60), lambda t: (0, int(1000 * t)))
    hb.stream("read", [t + 0.5 for t in range(59)], lambda t: (0, int(1000 * t)))
    # Without a fault even a failed or slow write is noise, not downtime.
    hb.write(30.1, duration=0.5, outcome="fail")
    hb.write(30.2, duration=3.0, at=(0, 30200))
    assert check_all(hb.build()) == {
        "rto_s": 0.0,
        "rto_s_by_site": {"a": 0.0},
        "rto_s_by_region": {"a": 0.0},
        "read_rto_s": 0.0,
        "read_rto_s_by_site": {"a": 0.0},
        "lost_writes": 0,
        "divergent_writes": 0,
        "indeterminate": 0,
        "failed_but_present": 0,
        "discarded_writes": 0,
        "lost_tx_est": 0.0,
        "rpo_s": 0.0,
        "rpo_bytes": 0,
        "loss_window_s": 0.0,
        "failovers": 0,
        "detection_s": 0.0,
        "election_s": 0.0,
        "fencing_s": 0.0,
        "promotion_s": 0.0,
        "routing_s": 0.0,
        "client_s": 0.0,
        **NO_ANOMALY,
        "downtime_s": 0.0,
        "availability": 1.0,
        "incidents": 0,
        **NO_RESTORE,
    }


def test_clean_crash_and_failover(crash: HistoryBuilder) -> None:
    result = check_all(crash.build())
    assert result == {
        "rto_s": 7.25,
        "rto_s_by_site": {"a": 7.25},
        "rto_s_by_region": {"a": 7.25},
        "read_rto_s": 7.75,
        "read_rto_s_by_site": {"a": 7.75},
        "lost_writes": 0,
        "divergent_writes": 0,
        "indeterminate": 0,
        "failed_but_present": 0,
        "discarded_writes": 0,
        "lost_tx_est": 0.0,
        "rpo_s": 0.0,
        "rpo_bytes": 0,
        "loss_window_s": 0.0,
        "failovers": 1,
        # detected 12, elected 13, fenced 13.5, promoted 14, last router of site a at 15.5,
        # first good write acked at 17.25.
        "detection_s": 2.0,
        "election_s": 1.0,
        "fencing_s": 0.5,
        "promotion_s": 0.5,
        "routing_s": 1.5,
        "client_s": 1.75,
        **NO_ANOMALY,
        # Down from the first bad write (invoked at 10) to the recovery at 17.25, of 60 s.
        "downtime_s": 7.25,
        "availability": 1 - 7.25 / 60,
        "incidents": 1,
        **NO_RESTORE,
    }
    stages = [result[k] for k in CONTRACT_KEYS[15:21]]
    assert sum(stages) == result["rto_s"]


def test_check_all_does_not_reorder_or_mutate_the_history(crash: HistoryBuilder) -> None:
    history = crash.build()
    before = history.digest()
    check_all(history)
    assert history.digest() == before
