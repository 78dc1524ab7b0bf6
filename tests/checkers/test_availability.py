"""Downtime over a window with several incidents: the RTO's recovery rule, applied again after
every recovery, united over the sites."""

from __future__ import annotations

import pytest

from sim.checkers import down_intervals, union_s
from sim.checkers.rto import Attempt

STABLE, END = 5.0, 100.0


def _writes(bad: list[tuple[float, float]], every: float = 0.5) -> list[Attempt]:
    """A write every `every` s from 0 to END, each 10 ms long, bad inside the given spans."""
    out = []
    t = 0.0
    while t < END:
        good = not any(a <= t < b for a, b in bad)
        out.append((t, t + 0.01, good, t + 0.01))
        t += every
    return out


def test_two_incidents_make_two_intervals() -> None:
    spans = down_intervals(_writes([(10.0, 20.0), (50.0, 53.0)]), STABLE, END)
    # Down from the first bad invocation to the first good completion after it.
    assert spans == [(10.0, pytest.approx(20.01)), (50.0, pytest.approx(53.01))]


def test_a_blip_inside_the_stable_window_extends_the_outage() -> None:
    # Good again at 20, one bad write at 22: 20.01 is not followed by 5 clean seconds.
    spans = down_intervals(_writes([(10.0, 20.0), (22.0, 22.5)]), STABLE, END)
    assert spans == [(10.0, pytest.approx(22.51))]


def test_no_recovery_is_down_to_the_sites_last_write() -> None:
    # The site stops writing at 60 (its application server lost power) while still down:
    # nothing it does not ask tells about the database.
    writes = [w for w in _writes([(40.0, END)]) if w[0] < 60.0]
    assert down_intervals(writes, STABLE, END) == [(40.0, pytest.approx(59.51))]


def test_a_recovery_too_close_to_the_end_is_not_one() -> None:
    spans = down_intervals(_writes([(90.0, 97.0)]), STABLE, END)
    assert spans == [(90.0, pytest.approx(99.51))]


def test_sites_down_at_once_count_once() -> None:
    assert union_s([(10.0, 20.0), (15.0, 30.0), (50.0, 55.0)], END) == 25.0
    assert union_s([(90.0, 120.0)], END) == 10.0
    assert union_s([], END) == 0.0
