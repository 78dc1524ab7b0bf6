"""`hasim compare`, run as a user runs it: two backup policies side by side with their RTO,
RPO and monthly cost, as a table and as JSON, and bad input as one error with exit 2."""

from __future__ import annotations

import json
from functools import cache

from test_cli import hasim

import sim
from sim.cli import RPO_DEF, RTO_DEF
from sim.cost import monthly_cost

POLICIES = ["postgres-backup-nightly-full", "postgres-backup-pitr"]
COMPARE = ["compare", *POLICIES, "--scenario", "cluster-loss", "--runs", "2", "--no-store"]


@cache
def table() -> str:
    proc = hasim(*COMPARE)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@cache
def figures() -> dict:
    proc = hasim(*COMPARE, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_the_table_puts_the_policies_side_by_side_with_their_definitions() -> None:
    out = table()
    head = next(line for line in out.splitlines() if line.strip().startswith("topology"))
    for column in ("RTO p50", "RPO p50", "RPO p99", "lost", "discarded", "cost/month"):
        assert column in head
    lines = out.splitlines()
    body = lines[lines.index(head) + 1 : lines.index("", lines.index(head))]
    rows = {line.split()[0]: line for line in body}
    assert set(rows) == set(POLICIES)
    for name in POLICIES:
        dollars = round(monthly_cost(sim.load_topology(name).spec)["cost_month_usd"])
        assert f"${dollars:,}" in rows[name]
    assert f"RTO  {RTO_DEF}" in out and f"RPO  {RPO_DEF}" in out
    assert "postgres-backup-pitr costs $" in out and "more than postgres-backup-nightly-full" in out


def test_json_has_the_same_figures() -> None:
    data = figures()
    assert data["scenario"] == "cluster-loss" and data["seeds"] == [0, 1]
    rows = {r["topology"]: r for r in data["topologies"]}
    assert list(rows) == POLICIES
    nightly, pitr = rows["postgres-backup-nightly-full"], rows["postgres-backup-pitr"]
    # A night of writes against what the archive had not shipped.
    assert nightly["rpo_s_p50"] > 3600.0 > 60.0 > pitr["rpo_s_p50"] > 0.0
    assert nightly["restores_mean"] == pitr["restores_mean"] == 1.0
    assert pitr["cost_month_usd"] > nightly["cost_month_usd"]
    assert data["definitions"] == {"rto_s": RTO_DEF, "rpo_s": RPO_DEF}


def test_help_defines_rto_and_rpo() -> None:
    proc = hasim("compare", "--help")
    assert proc.returncode == 0
    flat = " ".join(proc.stdout.split())
    assert RTO_DEF in flat and RPO_DEF in flat


def test_a_topology_that_cannot_run_the_scenario_is_exit_2() -> None:
    proc = hasim("compare", "postgres-manual", POLICIES[0], "--scenario", "drop-table")
    assert proc.returncode == 2 and proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ")
    assert "topology postgres-manual has no `backups:`" in proc.stderr


def test_unknown_names_and_repeats_are_exit_2() -> None:
    for args in (
        ["compare", "no-such-topology", "--scenario", "cluster-loss"],
        ["compare", POLICIES[0], POLICIES[0], "--scenario", "cluster-loss"],
        ["compare", POLICIES[0]],
    ):
        proc = hasim(*args)
        assert proc.returncode == 2
        assert "Traceback" not in proc.stderr


def test_a_run_summary_shows_the_restore_and_the_bill() -> None:
    proc = hasim("run", "postgres-backup-pitr", "drop-table", "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for label in ("Restores and backups", "discarded writes", "download", "replay", "per month"):
        assert label in out
    assert RPO_DEF in out and RTO_DEF in out
