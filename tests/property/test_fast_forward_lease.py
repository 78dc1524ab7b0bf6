"""Fast-forward is exact on a lease-family cluster: over 25 seeds of an hour of random host
crashes, zone-link partitions and store-member crashes on `postgres-patroni-async`, every
incident window records the same history, row for row, whether the quiet time before it
was skipped or simulated in full; and skipping costs a bounded number of events per quiet
day."""

from __future__ import annotations

import pytest
from ff_windows import check_quiet_month, check_seeds

SEEDS = range(25)


@pytest.mark.slow
def test_windows_match_with_and_without_fast_forward() -> None:
    check_seeds("postgres-patroni-async", SEEDS, store=True)


def test_a_quiet_month_costs_few_events() -> None:
    check_quiet_month("postgres-patroni-async")
