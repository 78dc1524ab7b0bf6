"""Fast-forward is exact on a Raft cluster: over 25 seeds of an hour of random host crashes
and zone-link partitions on `etcd-raft-3`, every incident window records the same history,
row for row, whether the quiet time before it was skipped or simulated heartbeat by
heartbeat; and skipping costs a bounded number of events per quiet day."""

from __future__ import annotations

import pytest
from ff_windows import check_quiet_month, check_seeds

SEEDS = range(25)


@pytest.mark.slow
def test_windows_match_with_and_without_fast_forward() -> None:
    check_seeds("etcd-raft-3", SEEDS, store=False)


def test_a_quiet_month_costs_few_events() -> None:
    check_quiet_month("etcd-raft-3")
