"""`hasim sweep`: many seeds and a parameter grid, run as a user runs it."""

from __future__ import annotations

import json

import pytest
from test_cli import hasim

SWEEP = ["sweep", "postgres-patroni-async", "primary-crash", "--runs", "6", "--workers", "1"]


def test_a_grid_reports_each_variant_and_the_paired_difference() -> None:
    proc = hasim(*SWEEP, "--param", "failover.ttl=20s,30s", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    first, second = out["variants"]
    assert first["settings"] == {"failover.ttl": "20s"} and first["runs"] == 6
    rto = first["metrics"]["rto_s"]
    assert set(rto) == {"mean", "p50", "p90", "p99", "max"}
    assert rto["p50"]["low"] <= rto["p50"]["value"] <= rto["p50"]["high"]
    # A 10 s longer leader key delays every failover by about 10 s, seed by seed.
    diff = second["difference_from_first"]["rto_s"]
    assert diff["pairs"] == 6 and 8.0 < diff["low"] <= diff["value"] <= diff["high"] < 12.0


def test_variants_share_their_random_numbers() -> None:
    # The description changes nothing in the model: every seed gives the same run, so the
    # paired difference is exactly zero (independent seeds would leave noise).
    proc = hasim(*SWEEP, "--param", "description=one,two", "--json")
    assert proc.returncode == 0, proc.stderr
    diff = json.loads(proc.stdout)["variants"][1]["difference_from_first"]
    assert all(d["value"] == d["low"] == d["high"] == 0.0 for d in diff.values())


def test_the_text_report_defines_rto_and_rpo() -> None:
    proc = hasim(*SWEEP, "--param", "scenario.faults.0.at=1m,2m")
    assert proc.returncode == 0, proc.stderr
    assert "variant: scenario.faults.0.at=1m" in proc.stdout
    assert "RTO  time from the fault" in proc.stdout and "RPO  span of time" in proc.stdout


@pytest.mark.parametrize(
    "param",
    ["failover.ttl", "failover.nope.x=1", "failover.ttl=30", "failover.tll=30s", "a=1,,2"],
)
def test_a_bad_param_is_exit_2_with_one_message(param: str) -> None:
    proc = hasim(*SWEEP, "--param", param)
    assert proc.returncode == 2, proc.stdout
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
