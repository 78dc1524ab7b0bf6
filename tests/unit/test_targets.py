"""Target checks: exact one-sided bounds, the runs a fraction needs, and why a run misses."""

from __future__ import annotations

import math

import pytest

from sim.targets import Target, bounds, miss_reasons, runs_needed, runs_to_show, validate


def test_runs_without_a_miss_that_show_a_fraction() -> None:
    # (1 - confidence) ** (1 / n) >= fraction: 59 runs for 0.95, 299 for 0.99, at 95 %.
    assert runs_needed(0.95, 0.95) == 59
    assert runs_needed(0.99, 0.95) == 299
    assert runs_needed(0.99, 0.99) == 459


@pytest.mark.parametrize("n", [1, 5, 59, 300])
def test_bounds_match_the_closed_forms_at_the_edges(n: int) -> None:
    low, high = bounds(n, n, 0.95)
    assert low == pytest.approx(0.05 ** (1 / n)) and high == 1.0
    low, high = bounds(0, n, 0.95)
    assert low == 0.0 and high == pytest.approx(1 - 0.05 ** (1 / n))


def test_bounds_are_one_sided() -> None:
    # 90 of 100: the one-sided 95 % lower bound lies above the two-sided one (0.8238).
    low, high = bounds(90, 100, 0.95)
    assert 0.8238 < low < 0.90 < high < 0.95


def test_a_censored_run_misses_and_says_so() -> None:
    target = Target(rto_s=30.0, rpo_s=0.0)
    assert miss_reasons(target, {"rto_s": math.inf, "rpo_s": 0.0}) == ["censored"]
    assert miss_reasons(target, {"rto_s": 31.0, "rpo_s": 2.0}) == ["rto", "rpo"]
    assert miss_reasons(target, {"rto_s": 30.0, "rpo_s": 0.0}) == []
    assert miss_reasons(Target(rto_s=30.0), {"rto_s": 1.0, "rpo_s": 9.0}) == []


def _runs(hits: int, misses: int) -> list[tuple[int, dict[str, float]]]:
    met = [(i, {"rto_s": 10.0, "rpo_s": 0.0}) for i in range(hits)]
    return met + [(hits + i, {"rto_s": 60.0, "rpo_s": 0.0}) for i in range(misses)]


def test_verdicts() -> None:
    target = Target(rto_s=30.0, fraction=0.95, confidence=0.95)
    held = validate(target, _runs(59, 0))
    assert (held.verdict, held.exit_code, held.more_runs) == ("holds", 0, 0)
    failed = validate(target, _runs(80, 20))
    assert (failed.verdict, failed.exit_code) == ("fails", 1)
    assert failed.misses["rto"] == list(range(80, 100))
    open_ = validate(target, _runs(58, 0))
    assert (open_.verdict, open_.exit_code, open_.more_runs) == ("undecided", 3, 1)
    # One miss in 60: exactly enough further hits make the lower bound reach 0.95.
    one_miss = validate(target, _runs(59, 1))
    more = one_miss.more_runs
    assert one_miss.verdict == "undecided" and more is not None
    assert bounds(59 + more, 60 + more, 0.95)[0] >= 0.95 > bounds(58 + more, 59 + more, 0.95)[0]


def test_a_fraction_of_one_is_never_shown() -> None:
    assert runs_to_show(10, 10, 1.0, 0.95) is None
