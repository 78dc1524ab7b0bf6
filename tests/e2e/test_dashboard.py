"""The dashboard, headless: every page loaded, driven through its widgets and run with
`streamlit.testing.v1.AppTest` (in-process, no server, no browser).

Most tests use a small catalog in a temporary folder (HASIM_CATALOG) so that they run in
seconds and do not depend on which presets the built-in catalog holds; one test per page
runs on the built-in catalog, as `streamlit run dashboard/app.py` does.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from sim import charts
from sim.catalog import catalog_root, names

REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "dashboard" / "app.py")
TEMPLATE = "postgres-patroni-async"
TIMEOUT_S = 120

SHORT_CRASH = """\
name: short-crash
description: The primary's host crashes at 1 minute and comes back a minute later.
duration: 3m
settle: 1m
faults:
  - kind: crash-host
    at: 1m
    target: primary
    restart_after: 1m
"""
# Ten seconds before the end: no lease-based failover finishes in time, so every run is
# censored (rto_s = +inf).
LATE_CRASH = """\
name: late-crash
description: The primary's host crashes ten seconds before the end of the run.
duration: 2m
settle: 1m
faults:
  - kind: crash-host
    at: 110s
    target: primary
    restart_after: 5m
"""
BROKEN = """\
name: broken
description: a topology with a field hasim does not know
colour: blue
"""


@pytest.fixture(autouse=True)
def fresh_caches():
    """Cached loaders key on catalog names, and the catalog changes from test to test."""
    st.cache_data.clear()
    yield
    st.cache_data.clear()


@pytest.fixture
def small_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two topologies (alpha, beta: the async preset under two names), a broken one, and
    three scenarios (short-crash, late-crash, and the built-in primary-crash)."""
    template = catalog_root() / "topologies" / f"{TEMPLATE}.yaml"
    if not template.exists():
        pytest.skip(f"the built-in catalog has no {TEMPLATE}")
    text = template.read_text(encoding="utf-8")
    (tmp_path / "topologies").mkdir()
    (tmp_path / "scenarios").mkdir()
    for name in ("alpha", "beta"):
        renamed = re.sub(r"(?m)^name: .*$", f"name: {name}", text, count=1)
        (tmp_path / "topologies" / f"{name}.yaml").write_text(renamed, encoding="utf-8")
    (tmp_path / "topologies" / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "scenarios" / "short-crash.yaml").write_text(SHORT_CRASH, encoding="utf-8")
    (tmp_path / "scenarios" / "late-crash.yaml").write_text(LATE_CRASH, encoding="utf-8")
    monkeypatch.setenv("HASIM_CATALOG", str(tmp_path))
    return tmp_path


def app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    assert not at.exception, at.exception
    return at


def timeline_page() -> AppTest:
    at = app()
    at.switch_page("pages/timeline.py").run()
    assert not at.exception, at.exception
    return at


def figures(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def run_compare(at: AppTest, topologies: list[str], scenario: str, seeds: int, seed0: int = 1):
    at.multiselect(key="compare_topologies").set_value(topologies)
    at.selectbox(key="compare_scenario").set_value(scenario)
    at.slider(key="compare_seeds").set_value(seeds)
    at.number_input(key="compare_seed0").set_value(seed0)
    at.button[0].click().run()


def run_timeline(at: AppTest, topology: str, scenario: str, seed: int) -> None:
    at.selectbox(key="timeline_topology").set_value(topology)
    at.selectbox(key="timeline_scenario").set_value(scenario)
    at.number_input(key="timeline_seed").set_value(seed)
    at.button[0].click().run()


# --- Compare -----------------------------------------------------------------------------


def test_compare_is_the_first_page_with_defaults(small_catalog: Path) -> None:
    at = app()
    assert at.title[0].value == "Compare topologies"
    assert at.multiselect(key="compare_topologies").value == ["alpha", "beta"]
    assert at.selectbox(key="compare_scenario").value in names("scenarios")
    assert at.slider(key="compare_seeds").value == 30
    assert [b.label for b in at.button] == ["Run"]
    assert len(at.get("plotly_chart")) == 0
    assert len(at.info) == 1  # "press Run"


def test_compare_runs_and_keeps_its_results(small_catalog: Path) -> None:
    at = app()
    run_compare(at, ["alpha", "beta"], "short-crash", seeds=10, seed0=5)
    assert not at.exception, at.exception
    assert len(at.error) == 0
    ecdf, box, cost = figures(at)
    assert [t["name"] for t in ecdf["data"]] == ["alpha", "beta"]
    assert [t["type"] for t in box["data"]] == ["box", "box"]
    assert [t["name"] for t in cost["data"]] == ["RTO p50", "RPO p50"]
    (table,) = at.dataframe
    assert list(table.value["topology"]) == ["alpha", "beta"]
    for column in ("rto_s p50", "rto_s p90", "rto_s p99", "rto_s max", "lost_writes mean"):
        assert column in table.value.columns
    assert set(table.value["cost/month (USD)"]) == {"1574"}
    assert set(table.value["runs"]) == {10}
    texts = captions(at)
    assert charts.RTO_DEFINITION in texts and charts.RPO_DEFINITION in texts
    assert charts.COST_DEFINITION in texts
    assert at.subheader[0].value == "short-crash · seeds 5–14"
    # Seeds are the same for every topology, and alpha and beta are the same file:
    assert table.value["rto_s p50"][0] == table.value["rto_s p50"][1]
    # A rerun (any widget change) keeps the results without running again.
    at.slider(key="compare_seeds").set_value(50).run()
    assert len(at.get("plotly_chart")) == 3
    assert at.subheader[0].value == "short-crash · seeds 5–14"


def test_compare_shows_censored_runs(small_catalog: Path) -> None:
    at = app()
    run_compare(at, ["alpha"], "late-crash", seeds=10)
    assert not at.exception, at.exception
    ecdf = figures(at)[0]
    assert [t["name"] for t in ecdf["data"]] == ["alpha: 10 of 10 not recovered (+inf)"]
    assert any("alpha 10 of 10" in c for c in captions(at))
    assert at.dataframe[0].value["censored"][0] == "100%"
    assert at.dataframe[0].value["rto_s p50"][0] == "+inf"
    assert any("pick two or more" in i.value for i in at.info)


def test_compare_input_error_is_shown_once(small_catalog: Path) -> None:
    at = app()
    run_compare(at, ["alpha", "broken"], "short-crash", seeds=10)
    assert not at.exception, at.exception
    (error,) = at.error
    assert "broken.yaml" in error.value and "colour" in error.value
    assert len(at.get("plotly_chart")) == 0


def test_compare_on_the_builtin_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HASIM_CATALOG", raising=False)
    at = app()
    chosen = at.multiselect(key="compare_topologies").value
    assert 1 <= len(chosen) <= 3 and set(chosen) <= set(names("topologies"))
    run_compare(at, chosen[:1], at.selectbox(key="compare_scenario").value, seeds=10)
    assert not at.exception, at.exception
    assert len(at.error) == 0
    assert len(at.get("plotly_chart")) == 3
    assert len(at.dataframe[0].value) == 1


QUICK_LOSS = """\
name: quick-loss
description: Every database node is lost at 1 minute; an automation restores from backups.
duration: 75m
settle: 5m
requires: [backups]
faults:
  - kind: crash-host
    at: 1m
    target: all
"""


@pytest.fixture
def backup_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two backup policies of the built-in catalog, restored by an automation (no human's
    hour in the runs), and a cluster loss."""
    (tmp_path / "topologies").mkdir()
    (tmp_path / "scenarios").mkdir()
    for name in ("postgres-backup-nightly-full", "postgres-backup-pitr"):
        text = (catalog_root() / "topologies" / f"{name}.yaml").read_text(encoding="utf-8")
        text = text.replace("    by: manual ", "    by: automatic ")
        (tmp_path / "topologies" / f"{name}.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "scenarios" / "quick-loss.yaml").write_text(QUICK_LOSS, encoding="utf-8")
    monkeypatch.setenv("HASIM_CATALOG", str(tmp_path))
    return tmp_path


def test_compare_shows_backup_policies_with_their_restores_and_cost(
    backup_catalog: Path,
) -> None:
    at = app()
    policies = ["postgres-backup-nightly-full", "postgres-backup-pitr"]
    run_compare(at, policies, "quick-loss", seeds=10)
    assert not at.exception, at.exception
    assert len(at.error) == 0
    (table,) = at.dataframe
    rows = table.value.set_index("topology")
    assert list(rows["restores mean"]) == ["1.00", "1.00"]
    nightly, pitr = (float(rows["rpo_s p50"][p]) for p in policies)
    assert nightly > 3600.0 > 60.0 > pitr
    assert float(rows["cost/month (USD)"][policies[1]]) > float(
        rows["cost/month (USD)"][policies[0]]
    )
    cost = figures(at)[2]
    assert [t["text"] for t in cost["data"]] == [policies, policies]
    assert any("discarded_writes" in c for c in captions(at))


# --- Timeline ----------------------------------------------------------------------------


def test_timeline_runs_one_seed(small_catalog: Path) -> None:
    at = timeline_page()
    assert at.title[0].value == "Timeline of one run"
    run_timeline(at, "beta", "short-crash", seed=3)
    assert not at.exception, at.exception
    assert len(at.error) == 0
    timeline, breakdown = figures(at)
    trace_names = {t["name"] for t in timeline["data"]}
    assert {"primary", "replica", "down", "ok", "fail"} <= trace_names
    assert {"failure_detected", "leader_elected", "promotion_done", "route_changed"} <= (
        trace_names
    )
    assert any(s["type"] == "rect" for s in timeline["layout"]["shapes"])  # the fault
    assert "beta · short-crash · seed 3" in timeline["layout"]["title"]["text"]
    assert [t["name"] for t in breakdown["data"]] == [
        "detection_s",
        "election_s",
        "fencing_s",
        "promotion_s",
        "routing_s",
        "client_s",
    ]
    metrics = {m.label: m.value for m in at.metric}
    assert set(metrics) >= {"rto_s", "rpo_s", "lost_writes", "failovers"}
    assert metrics["failovers"] == "1"
    texts = captions(at)
    assert charts.RTO_DEFINITION in texts and charts.RPO_DEFINITION in texts
    by_region = [t for t in texts if t.startswith("rto_s by region")]
    assert len(by_region) == 1 and metrics["rto_s"] in by_region[0]
    assert len(at.dataframe) == 1  # all metrics, in the expander


def test_timeline_censored_run(small_catalog: Path) -> None:
    at = timeline_page()
    run_timeline(at, "alpha", "late-crash", seed=1)
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["rto_s"] == "+inf (not recovered)"
    breakdown = figures(at)[1]
    assert "+inf" in breakdown["layout"]["title"]["text"]


def test_timeline_input_error_is_shown_once(small_catalog: Path) -> None:
    at = timeline_page()
    run_timeline(at, "broken", "short-crash", seed=1)
    assert not at.exception, at.exception
    (error,) = at.error
    assert "broken.yaml" in error.value
    assert len(at.get("plotly_chart")) == 0


def test_timeline_on_the_builtin_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HASIM_CATALOG", raising=False)
    at = timeline_page()
    assert at.selectbox(key="timeline_topology").value in names("topologies")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert len(at.error) == 0
    assert len(at.get("plotly_chart")) == 2


def test_timeline_shows_a_restore(backup_catalog: Path) -> None:
    at = timeline_page()
    run_timeline(at, "postgres-backup-pitr", "quick-loss", seed=1)
    assert not at.exception, at.exception
    assert len(at.error) == 0
    timeline = figures(at)[0]
    names = {t["name"] for t in timeline["data"]}
    assert {"failure_detected", "restore_started", "promotion_done"} <= names
    rows = {r["metric"]: r["value"] for r in at.dataframe[0].value.to_dict("records")}
    assert rows["restores"] == "1" and rows["cost_month_usd"] != ""
