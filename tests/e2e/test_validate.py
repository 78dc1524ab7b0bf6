"""`hasim validate` on the Patroni presets, run as a user runs it: the verdict, its interval
and its exit code (0 holds, 1 fails, 3 cannot tell yet, 2 bad input)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_cli import hasim

# Five seeds keep each call to a few seconds; the fraction and confidence are chosen so that
# five runs can decide. Patroni's primary-crash recovers in 24-45 s with no loss.
FEW = ["--runs", "5", "--workers", "1"]


@pytest.mark.parametrize("name", ["postgres-patroni-async", "postgres-patroni-sync"])
def test_a_target_every_run_meets_holds_with_exit_0(name: str) -> None:
    proc = hasim(
        "validate", name, "--scenario", "primary-crash", "--rto", "60s", "--rpo", "0",
        "--fraction", "0.5", "--confidence", "0.9", *FEW,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    # With 5 of 5 met, the exact one-sided 90 % lower bound is 0.1 ** (1/5) = 0.631.
    assert "runs 5, met 5" in proc.stdout
    assert "0.6310 or more" in proc.stdout
    assert "HOLDS" in proc.stdout
    assert "RTO  time from the fault" in proc.stdout


def test_a_target_no_run_meets_fails_with_exit_1_and_says_why() -> None:
    proc = hasim(
        "validate", "postgres-patroni-async", "--scenario", "primary-crash", "--rto", "10s",
        "--fraction", "0.5", "--confidence", "0.9", *FEW,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "runs 5, met 0" in proc.stdout
    # With 0 of 5 met, the upper bound is 1 - 0.1 ** (1/5) = 0.369.
    assert "0.3690 or less" in proc.stdout
    assert re.search(r"RTO over 10\.0 s +5  0, 1, 2, 3, 4", proc.stdout), proc.stdout


def test_too_few_runs_are_exit_3_with_the_runs_still_needed() -> None:
    proc = hasim(
        "validate", "postgres-patroni-async", "--scenario", "primary-crash", "--rto", "60s",
        "--fraction", "0.99", *FEW, "--json",
    )  # fmt: skip
    assert proc.returncode == 3, proc.stderr
    verdict = json.loads(proc.stdout)
    assert verdict["verdict"] == "undecided" and verdict["exit_code"] == 3
    # 299 runs without a miss show 0.99 at 95 %: 294 more after these 5.
    assert verdict["more_runs"] == 294
    assert verdict["met"] == 5 and verdict["bounds"][1] == 1.0


@pytest.mark.parametrize(
    "args",
    [
        ["--rto", "30"],  # no unit
        ["--rto", "30s", "--fraction", "1.5"],
        ["--rto", "30s", "--fraction", "1"],  # no number of runs shows every incident
        ["--rto", "30s", "--runs", "0"],
    ],
)
def test_bad_targets_are_exit_2(args: list[str]) -> None:
    proc = hasim("validate", "postgres-patroni-async", "--scenario", "primary-crash", *args)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "error" in proc.stderr


def test_an_unknown_scenario_is_exit_2() -> None:
    proc = hasim("validate", "postgres-patroni-async", "--scenario", "nope", "--rto", "30s")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ")


POLICY = """\
name: crash-with-policy
description: the primary's host crashes; the hardware policy asks for 60 s and no loss
duration: 8m
settle: 2m
faults:
  - {kind: crash-host, at: 2m, target: primary}
targets: {disruption: hardware, rto: 60s, rpo: 0, fraction: 0.5, confidence: 0.9}
"""


def test_targets_in_the_scenario_file_are_the_default(tmp_path: Path) -> None:
    scenario = tmp_path / "crash-with-policy.yaml"
    scenario.write_text(POLICY)
    base = ["validate", "postgres-patroni-async", "--scenario", str(scenario), *FEW]
    proc = hasim(*base)
    assert proc.returncode == 0, proc.stderr
    assert "disruption: hardware" in proc.stdout and "0.6310 or more" in proc.stdout
    # An option overrides the file's value: no Patroni failover takes under 10 s.
    assert hasim(*base, "--rto", "10s").returncode == 1


def test_no_rto_anywhere_is_exit_2_naming_the_fix() -> None:
    proc = hasim("validate", "postgres-patroni-async", "--scenario", "primary-crash", *FEW)
    assert proc.returncode == 2
    assert "--rto" in proc.stderr and "targets:" in proc.stderr


def test_a_bad_policy_is_exit_2_with_its_line(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(POLICY.replace("disruption: hardware", "disruption: meteor"))
    proc = hasim("validate", "postgres-patroni-async", "--scenario", str(scenario))
    assert proc.returncode == 2
    assert "bad.yaml:7" in proc.stderr and "targets.disruption" in proc.stderr
