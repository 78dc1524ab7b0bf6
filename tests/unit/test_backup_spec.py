"""Backup policies, prices and the disasters that need them, as a user writes them: each
mistake gets its file, line, field and fix.

Every case starts from the catalog's point-in-time-recovery policy and changes one thing.
"""

from __future__ import annotations

import pytest
from test_spec_errors import line_of, rejected, topology_from

from sim.catalog import catalog_root, load_scenario, load_topology
from sim.errors import InputError
from sim.faults import check_targets
from sim.spec import Scenario
from sim.spec.backup import FullBackup, LogArchive
from sim.yamlio import parse_yaml, validate

BASE = (catalog_root() / "topologies" / "postgres-backup-pitr.yaml").read_text(encoding="utf-8")


def mutate(old: str, new: str) -> str:
    assert BASE.count(old) == 1, f"{old!r} must occur once in the base topology"
    return BASE.replace(old, new)


def test_the_policy_reads_in_seconds_and_bytes() -> None:
    topo = topology_from(BASE)
    assert topo.backups is not None and topo.cost is not None
    full, archive = topo.backups.schedules
    assert isinstance(full, FullBackup) and isinstance(archive, LogArchive)
    assert (full.every, full.retention, full.at) == (86400.0, 7 * 86400.0, 0.0)
    assert full.rate == 150 * 1024**2 and full.compression == 0.4
    assert archive.segment == 16 * 1024**2 and archive.archive_timeout == 60.0
    assert topo.backups.check == 3600.0
    assert topo.backups.restore.target_margin == 60.0
    assert topo.database.growth == pytest.approx(2 * 1024**3 / 86400)
    assert topo.cost.db_node_usd_per_hour == 0.252


def test_a_schedule_to_an_unknown_store() -> None:
    text = mutate(
        "      to: [s3-euc1]\n      retention: 7d ", "      to: [s3-west]\n      retention: 7d "
    )
    err = rejected(text)
    assert err.field == "backups.schedules[0].to[0]"
    assert err.line == line_of(text, "to: [s3-west]")
    assert "'s3-west' is not a backup store" in err.problem
    assert err.fix == "use one of: s3-euc1"


def test_a_duration_without_its_unit() -> None:
    text = mutate("      every: 1d               # once a night", "      every: 1  # no unit")
    err = rejected(text)
    assert err.field == "backups.schedules[0].every"
    assert err.line == line_of(text, "every: 1  # no unit")
    assert "has no unit" in err.problem


def test_an_unknown_field_in_the_policy() -> None:
    text = mutate("  check: 1h", "  chek: 1h")
    err = rejected(text)
    assert err.field == "backups.chek"
    assert err.fix is not None and "did you mean 'check'?" in err.fix


def test_an_incremental_backup_needs_a_full_one() -> None:
    text = mutate("      kind: full              # pgbackrest", "      kind: incremental   # x")
    err = rejected(text)
    assert err.field == "backups.schedules[0].kind"
    assert "restores only on top of a full one" in err.problem
    assert err.fix == "add a schedule of kind full"


def test_a_restore_host_that_does_not_exist() -> None:
    text = mutate("hosts: [pg1, pg-dr]", "hosts: [pg1, pg-west]")
    err = rejected(text)
    assert err.field == "backups.restore.hosts[1]"
    assert err.line == line_of(text, "hosts: [pg1, pg-west]")
    assert "no host named 'pg-west'" in err.problem


def test_restores_need_the_manual_family() -> None:
    """A lease-family cluster with the same policy: its restore is not modelled, and says so."""
    patroni = (catalog_root() / "topologies" / "postgres-patroni-async.yaml").read_text()
    policy = BASE[BASE.index("\nbackups:") : BASE.index("\ncost:")]
    policy = policy.replace("hosts: [pg1, pg-dr]", "hosts: [pg1]")
    text = patroni.replace("\ncost:", policy + "\ncost:").replace(
        "          - {name: app1, kind: client}",
        "          - {name: app1, kind: client}\n          - {name: s3-euc1, kind: backup}",
    )
    err = rejected(text)
    assert err.field == "backups"
    assert err.line == line_of(text, "backups:")
    assert (
        "not modelled" in err.problem
        and err.fix == "use failover family manual with a backup policy"
    )


def test_a_backup_host_nothing_uses() -> None:
    text = mutate(
        "          - {name: s3-euc1, kind: backup}",
        "          - {name: s3-euc1, kind: backup}\n          - {name: s3-old, kind: backup}",
    )
    err = rejected(text)
    assert "s3-old" in err.problem and "nothing uses" in err.problem


def test_a_delayed_replica_must_be_a_standby() -> None:
    text = mutate("  check: 1h", "  check: 1h\n  delayed_replica: {node: pg1, delay: 1h}")
    err = rejected(text)
    assert err.field == "backups.delayed_replica.node"
    assert "initial primary" in err.problem


def test_prices_are_plain_numbers_that_cannot_be_negative() -> None:
    text = mutate("db_node_usd_per_hour: 0.252", "db_node_usd_per_hour: -1")
    err = rejected(text)
    assert err.field == "cost.db_node_usd_per_hour"


def scenario_from(text: str) -> tuple[Scenario, object]:
    data, lines = parse_yaml(text, "scen.yaml")
    return validate(Scenario, data, lines), lines


def test_a_scenario_that_needs_backups_names_its_line() -> None:
    text = (catalog_root() / "scenarios" / "cluster-loss.yaml").read_text()
    scenario, lines = scenario_from(text)
    with pytest.raises(InputError) as info:
        check_targets(load_topology("postgres-manual").spec, scenario, lines)  # type: ignore[arg-type]
    err = info.value
    assert err.file == "scen.yaml" and err.field == "requires"
    assert err.line == line_of(text, "requires: [backups]")
    assert "has no `backups:`" in err.problem


def test_the_backup_store_selector_needs_a_store() -> None:
    scenario = load_scenario("backup-store-outage").spec
    without = scenario.model_copy(update={"requires": []})
    with pytest.raises(InputError, match="'backup-store' needs a backup store"):
        check_targets(load_topology("postgres-manual").spec, without, None)


def test_corruption_needs_a_single_primary() -> None:
    scenario = load_scenario("drop-table").spec.model_copy(update={"requires": []})
    with pytest.raises(InputError, match="single-primary"):
        check_targets(load_topology("cassandra-rf3-quorum").spec, scenario, None)
    check_targets(load_topology("postgres-manual").spec, scenario, None)


def test_a_corruption_share_is_a_fraction() -> None:
    text = (catalog_root() / "scenarios" / "drop-table.yaml").read_text()
    with pytest.raises(InputError) as info:
        scenario_from(text.replace("share: 0.1 ", "share: 1.5 "))
    assert info.value.field == "faults[0].share"
