"""The monthly bill from a topology's prices: instances, volumes, backups with their
retention, traffic between zones and regions, requests."""

from __future__ import annotations

import math

import pytest

import sim
from sim.cost import COST_KEYS, GB, HOURS_PER_MONTH, MONTH_S, log_rate, monthly_cost
from sim.sampling import lognormal_mean


def test_a_three_node_cluster_by_hand() -> None:
    """postgres-manual: three r6i.xlarge at $0.252, 500 GB of gp3 each, and the log to two
    standbys in other zones at $0.02 per GB."""
    topo = sim.load_topology("postgres-manual").spec
    bill = monthly_cost(topo)
    assert list(bill) == list(COST_KEYS)
    assert bill["compute_month_usd"] == pytest.approx(3 * 0.252 * HOURS_PER_MONTH)
    assert bill["storage_month_usd"] == pytest.approx(3 * 500 * 0.08)
    assert bill["backup_month_usd"] == 0.0
    # 2000 tx/s x 2 KB, plus a burst every 20 min whose mean length and mean rate the
    # log-normals give.
    wl = topo.workload
    assert wl.bursts is not None
    burst_s = lognormal_mean(30.0, 300.0)
    burst_bps = lognormal_mean(60 * 1024**2, 300 * 1024**2)
    rate = 2000 * 2048 + burst_s * burst_bps / 1200.0
    assert log_rate(wl) == pytest.approx(rate)
    assert bill["transfer_month_usd"] == pytest.approx(2 * 0.02 * rate * MONTH_S / GB)
    assert bill["cost_month_usd"] == pytest.approx(sum(bill[k] for k in COST_KEYS[1:]))


def test_backup_storage_follows_retention_and_copies() -> None:
    """A nightly full kept 7 days holds 7 compressed copies of the month's mean size; the
    same policy pushed to a second region's store costs that storage twice, plus the
    traffic there."""
    one = sim.load_topology("postgres-backup-pitr").spec
    two = sim.load_topology("postgres-backup-pitr-cross-region").spec
    mean_gb = (200 * GB + 2 * GB / 86400 * MONTH_S / 2) / GB
    archive_gb = log_rate(one.workload) * 7 * 86400 * 0.3 / GB
    expected = (7 * mean_gb * 0.4 + archive_gb) * 0.023
    assert monthly_cost(one)["backup_month_usd"] == pytest.approx(expected)
    assert monthly_cost(two)["backup_month_usd"] == pytest.approx(2 * expected)
    sent_gb = (30.416666 * mean_gb * 0.4) + log_rate(one.workload) * MONTH_S * 0.3 / GB
    extra = monthly_cost(two)["transfer_month_usd"] - monthly_cost(one)["transfer_month_usd"]
    assert extra == pytest.approx(sent_gb * 0.02, rel=1e-4)


def test_a_delayed_replica_costs_a_node() -> None:
    nightly = monthly_cost(sim.load_topology("postgres-backup-nightly-full").spec)
    delayed = monthly_cost(sim.load_topology("postgres-backup-delayed-replica").spec)
    assert delayed["compute_month_usd"] - nightly["compute_month_usd"] == pytest.approx(
        0.252 * HOURS_PER_MONTH
    )
    assert delayed["backup_month_usd"] == nightly["backup_month_usd"]


def test_request_priced_services_pay_per_write_in_every_region() -> None:
    topo = sim.load_topology("dynamodb-global-tables").spec
    writes_m = topo.workload.transactions * MONTH_S / 1e6
    assert monthly_cost(topo)["compute_month_usd"] == pytest.approx(0.625 * writes_m * 3)


def test_a_file_without_prices_has_no_bill() -> None:
    topo = sim.load_topology("postgres-manual").spec.model_copy(update={"cost": None})
    assert monthly_cost(topo) == {}
    result = sim.run(topo, sim.load_scenario("primary-crash").spec, 1)
    assert "cost_month_usd" not in result.metrics
    assert not math.isnan(result.metrics["rto_s"])


def test_every_result_carries_its_bill() -> None:
    topo = sim.load_topology("postgres-manual").spec
    result = sim.run(topo, sim.load_scenario("primary-crash").spec, 1)
    assert {k: result.metrics[k] for k in COST_KEYS} == monthly_cost(topo)
