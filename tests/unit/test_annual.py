"""Year-scale figures from runs over a window of another length."""

from __future__ import annotations

import math

import pytest

from sim.annual import YEAR_S, annual, nines


def _row(down: float, incidents: int, lost: int, window: float) -> dict[str, float]:
    return {
        "downtime_s": down,
        "availability": 1 - down / window,
        "incidents": incidents,
        "lost_writes": lost,
    }


def test_nines() -> None:
    assert nines(0.999) == pytest.approx(3.0)
    assert nines(0.99999) == pytest.approx(5.0)
    assert math.isinf(nines(1.0))


def test_a_month_of_runs_scales_to_a_year() -> None:
    month = YEAR_S / 12
    rows = [_row(60.0 + i, 3, 0, month) for i in range(20)]
    y = annual(rows, month)
    assert y.downtime_per_year_s.value == pytest.approx(69.5 * 12)
    assert y.downtime_per_year_s.low <= y.downtime_per_year_s.value <= y.downtime_per_year_s.high
    assert y.incidents_per_year.value == pytest.approx(36.0)
    assert y.observed_years == pytest.approx(20 / 12)
    # No run lost anything: the estimate is 0, the upper bound is not.
    assert y.p_data_loss_per_year.value == 0.0
    assert 0.0 < y.p_data_loss_per_year.high < 1.0


def test_loss_probability_compounds_over_a_year() -> None:
    month = YEAR_S / 12
    rows = [_row(0.0, 1, 1 if i < 2 else 0, month) for i in range(20)]
    y = annual(rows, month)
    # One month in ten loses something: a year of them, 1 - 0.9^12.
    assert y.p_data_loss_per_year.value == pytest.approx(1 - 0.9**12)
    assert y.p_data_loss_per_year.low < y.p_data_loss_per_year.value
    assert y.nines.low <= y.nines.value <= y.nines.high or math.isinf(y.nines.value)
