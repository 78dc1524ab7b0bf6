"""Pinned year-long runs (failure profiles, maintenance windows) of every catalog pair (see
golden_runs.py)."""

from __future__ import annotations

import pytest
from golden_runs import check_golden, pairs


@pytest.mark.parametrize(("topology", "scenario"), pairs(year_long=True))
def test_golden_year_run(topology: str, scenario: str, request: pytest.FixtureRequest) -> None:
    check_golden(topology, scenario, request)
