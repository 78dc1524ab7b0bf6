"""The `hasim` command, run as a user runs it: in its own process, reading the catalog."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml

from sim.catalog import catalog_root
from sim.cli import RPO_DEF, RTO_DEF, jsonable, schema_texts
from sim.units import format_duration

REPO = Path(__file__).resolve().parents[2]
METRIC_KEYS = {
    "rto_s",
    "rto_s_by_site",
    "rto_s_by_region",
    "read_rto_s",
    "read_rto_s_by_site",
    "lost_writes",
    "divergent_writes",
    "indeterminate",
    "failed_but_present",
    "discarded_writes",
    "lost_tx_est",
    "rpo_s",
    "rpo_bytes",
    "loss_window_s",
    "failovers",
    "detection_s",
    "election_s",
    "fencing_s",
    "promotion_s",
    "routing_s",
    "client_s",
    "split_brain",
    "split_brain_s",
    "dual_primary_s",
    "false_failovers",
    "lost_updates",
    "stale_reads",
    "ryw_violations",
    "downtime_s",
    "availability",
    "incidents",
    "restores",
    "restore_s",
    "restore_fetch_s",
    "restore_replay_s",
    "backup_failures",
    "unnoticed_backup_failures",
    "cost_month_usd",
    "compute_month_usd",
    "storage_month_usd",
    "backup_month_usd",
    "transfer_month_usd",
}
RUN = ["run", "postgres-patroni-async", "primary-crash", "--seed", "7"]


def hasim(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HASIM_CATALOG"}
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


@cache
def json_run() -> tuple[dict, str]:
    """The JSON of the pinned run, and its stderr (one subprocess shared by several tests)."""
    proc = hasim(*RUN, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc.stderr


def test_run_json_metrics_and_provenance() -> None:
    out, stderr = json_run()
    assert set(out) == {"metrics", "provenance", "warnings"}
    assert set(out["metrics"]) == METRIC_KEYS
    metrics = out["metrics"]
    assert isinstance(metrics["rto_s"], float)
    assert 20 < metrics["rto_s"] < 60
    assert metrics["lost_writes"] == 0
    assert metrics["failovers"] == 1
    assert set(metrics["rto_s_by_site"]) == {"eu-central-1a", "eu-central-1b", "eu-central-1c"}
    assert metrics["rto_s"] == max(metrics["rto_s_by_site"].values())
    assert metrics["rto_s_by_region"] == {"eu-central-1": metrics["rto_s"]}
    stages = ("detection_s", "election_s", "fencing_s", "promotion_s", "routing_s", "client_s")
    assert sum(metrics[k] for k in stages) == pytest.approx(metrics["rto_s"], abs=1e-9)
    prov = out["provenance"]
    assert prov["seed"] == 7
    assert (prov["topology"], prov["scenario"]) == ("postgres-patroni-async", "primary-crash")
    assert re.fullmatch(r"[0-9a-f]{64}", prov["history_digest"])
    assert prov["hasim_version"] not in ("", "unknown")
    assert out["warnings"] == []
    assert stderr == ""


def test_same_seed_same_history_in_another_process() -> None:
    first, _ = json_run()
    proc = hasim(*RUN, "--json")
    assert proc.returncode == 0, proc.stderr
    second = json.loads(proc.stdout)
    assert second["provenance"]["history_digest"] == first["provenance"]["history_digest"]
    assert second["metrics"] == first["metrics"]


def test_human_summary_defines_rto_and_rpo() -> None:
    proc = hasim(*RUN)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    rto = json_run()[0]["metrics"]["rto_s"]
    rto_line = next(line for line in out.splitlines() if "RTO (writes)" in line)
    assert format_duration(rto) in rto_line
    assert RTO_DEF in rto_line
    rpo_line = next(line for line in out.splitlines() if line.strip().startswith("RPO "))
    assert RPO_DEF in rpo_line
    for label in ("lost writes", "divergent", "indeterminate", "failed but present", "failovers"):
        assert label in out
    for stage in ("detection", "election", "fencing", "promotion", "routing", "client"):
        assert re.search(rf"^\s+{stage}\s+\S", out, re.MULTILINE), stage


def test_run_help_defines_rto_and_rpo() -> None:
    proc = hasim("run", "--help")
    assert proc.returncode == 0
    flat = " ".join(proc.stdout.split())
    assert RTO_DEF in flat
    assert RPO_DEF in flat


def test_bad_file_is_one_error_and_exit_2(tmp_path: Path) -> None:
    topo = (catalog_root() / "topologies" / "postgres-patroni-async.yaml").read_text("utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(topo.replace("  ttl: 30s", "  tll: 30s"), encoding="utf-8")
    proc = hasim("run", str(bad), "primary-crash")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    line = next(i + 1 for i, text in enumerate(topo.splitlines()) if text.startswith("  ttl: "))
    assert errors == [f"error: {bad}:{line}: failover.tll: unknown field 'tll'"]
    assert "did you mean 'ttl'?" in proc.stderr


def test_scenario_naming_a_missing_host_is_exit_2(tmp_path: Path) -> None:
    scen = tmp_path / "s.yaml"
    scen.write_text(
        "name: s\ndescription: d\nduration: 5m\nsettle: 1m\nfaults:\n"
        "  - kind: crash-host\n    at: 1m\n    target: pg7\n",
        encoding="utf-8",
    )
    proc = hasim("run", "postgres-patroni-async", str(scen))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"error: {scen}:8: ")
    assert "no host named 'pg7'" in proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["run", "no-such-topology", "primary-crash"],
        ["run", "postgres-patroni-async", "no-such-scenario"],
        ["run", "/nonexistent/topology.yaml", "primary-crash"],
    ],
)
def test_unknown_names_and_paths_are_exit_2(args: list[str]) -> None:
    proc = hasim(*args)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ")
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "args",
    [[], ["frobnicate"], ["run", "postgres-patroni-async"], ["run", "a", "b", "--seed", "-1"]],
)
def test_usage_errors_are_exit_2(args: list[str]) -> None:
    proc = hasim(*args)
    assert proc.returncode == 2
    assert "usage: hasim" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_version() -> None:
    proc = hasim("--version")
    assert proc.returncode == 0
    assert re.fullmatch(r"hasim \d+\.\d+\.\d+\S*\n", proc.stdout)


def test_list_shows_the_catalog() -> None:
    proc = hasim("list")
    assert proc.returncode == 0
    out = proc.stdout.splitlines()
    assert (
        out.index("topologies:") < out.index("  postgres-patroni-async") < out.index("scenarios:")
    )
    assert out.index("scenarios:") < out.index("  primary-crash")


def test_jsonable_writes_infinity_as_a_string() -> None:
    payload = {"rto_s": float("inf"), "by_site": {"a": float("inf"), "b": 1.5}, "n": [float("nan")]}
    assert json.dumps(jsonable(payload), allow_nan=False) == (
        '{"rto_s": "inf", "by_site": {"a": "inf", "b": 1.5}, "n": ["nan"]}'
    )


def test_committed_schema_is_fresh(tmp_path: Path) -> None:
    proc = hasim("schema", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    for name in ("topology.schema.json", "scenario.schema.json"):
        fresh = (tmp_path / name).read_text(encoding="utf-8")
        committed = (REPO / "schema" / name).read_text(encoding="utf-8")
        assert fresh == committed, f"schema/{name} is stale: refresh it with `hasim schema`"
    assert sorted(schema_texts()) == ["scenario.schema.json", "topology.schema.json"]


def test_catalog_files_satisfy_the_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    for kind, name in (("topologies", "topology"), ("scenarios", "scenario")):
        schema = json.loads((REPO / "schema" / f"{name}.schema.json").read_text("utf-8"))
        validator = jsonschema.Draft202012Validator(schema)
        for path in sorted((catalog_root() / kind).glob("*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            problems = [e.message for e in validator.iter_errors(data)]
            assert problems == [], f"{path.name}: {problems}"
