"""Pinned single-incident runs of every catalog pair (see golden_runs.py)."""

from __future__ import annotations

import pytest
from golden_runs import check_golden, pairs


@pytest.mark.parametrize(("topology", "scenario"), pairs(year_long=False))
def test_golden_run(topology: str, scenario: str, request: pytest.FixtureRequest) -> None:
    check_golden(topology, scenario, request)
