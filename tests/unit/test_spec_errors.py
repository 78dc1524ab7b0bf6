"""A user's mistakes in topology and scenario files: each gets its file, line, field and fix.

Every case starts from the catalog's lease-family topology and changes one thing, so that the
error can only come from that change.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.catalog import catalog_root
from sim.errors import InputError
from sim.faults import check_targets
from sim.spec import Scenario, Topology
from sim.yamlio import LineMap, parse_yaml, validate

BASE = (catalog_root() / "topologies" / "postgres-patroni-async.yaml").read_text(encoding="utf-8")


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the only line of `text` containing `fragment`."""
    found = [i + 1 for i, line in enumerate(text.splitlines()) if fragment in line]
    assert len(found) == 1, f"{fragment!r} is on lines {found}"
    return found[0]


def mutate(old: str, new: str) -> str:
    assert BASE.count(old) == 1, f"{old!r} must occur once in the base topology"
    return BASE.replace(old, new)


def topology_from(text: str, file: str = "topo.yaml") -> Topology:
    data, lines = parse_yaml(text, file)
    return validate(Topology, data, lines)


def rejected(text: str) -> InputError:
    with pytest.raises(InputError) as info:
        topology_from(text)
    return info.value


def test_base_topology_is_valid_and_quiet() -> None:
    topo = topology_from(BASE)
    assert topo.name == "postgres-patroni-async"
    assert topo.warnings == []


def test_misspelt_field_names_line_field_and_suggestion() -> None:
    text = mutate("  ttl: 30s", "  tll: 30s")
    err = rejected(text)
    assert err.file == "topo.yaml"
    assert err.line == line_of(text, "tll: 30s")
    assert err.field == "failover.tll"
    assert err.problem == "unknown field 'tll'"
    assert err.fix is not None and "did you mean 'ttl'?" in err.fix
    assert str(err).startswith(f"topo.yaml:{err.line}: failover.tll: unknown field 'tll'")


def test_duration_without_unit() -> None:
    text = mutate("  ttl: 30s", "  ttl: 30")
    err = rejected(text)
    assert (err.line, err.field) == (line_of(text, "ttl: 30"), "failover.ttl")
    assert err.problem == "30 has no unit: write it with one, e.g. '30s'"


def test_initial_primary_naming_a_missing_host() -> None:
    text = mutate("initial_primary: pg1", "initial_primary: pg9")
    err = rejected(text)
    assert (err.line, err.field) == (line_of(text, "initial_primary"), "database.initial_primary")
    assert err.problem == "'pg9' is not a db host"
    assert err.fix == "use one of: pg1, pg2, pg3"


def test_store_member_that_is_not_a_dcs_host() -> None:
    text = mutate("members: [etcd1, etcd2, etcd3]", "members: [etcd1, etcd2, pg3]")
    err = rejected(text)
    assert err.field == "failover.store.members[2]"
    assert err.line == line_of(text, "members: [etcd1, etcd2, pg3]")
    assert err.problem == "'pg3' is a db host, not dcs"


def test_store_member_that_does_not_exist() -> None:
    err = rejected(mutate("members: [etcd1, etcd2, etcd3]", "members: [etcd1, etcd2, etcd4]"))
    assert err.field == "failover.store.members[2]"
    assert err.problem == "no host named 'etcd4'"


def test_sync_waiting_for_more_standbys_than_exist_is_rejected() -> None:
    sync = "  mode: sync\n  method: first\n  num_sync: 3\n  standbys: all"
    text = mutate("  mode: async", sync)
    assert 'synchronous_mode: "off"' in text
    err = rejected(text)
    assert (err.line, err.field) == (line_of(text, "num_sync: 3"), "replication.num_sync")
    assert "waits for 3 standbys but only 2 can exist" in err.problem
    assert err.problem.endswith("no write can ever be acknowledged")


def test_sync_with_enough_standbys_is_accepted() -> None:
    sync = "  mode: sync\n  method: first\n  num_sync: 2\n  standbys: all"
    assert topology_from(mutate("  mode: async", sync)).warnings == []


def test_lease_family_without_store() -> None:
    start = BASE.index("  store:\n")
    end = BASE.index("routing:\n")
    text = BASE[:start] + BASE[end:]
    err = rejected(text)
    assert err.field == "failover"
    assert "no node could ever be elected primary" in err.problem
    assert err.fix is not None and "failover.store" in err.fix
    assert err.line == text.splitlines().index("failover:") + 1


def test_via_naming_a_host_that_is_not_a_proxy() -> None:
    text = mutate("via: haproxy2}", "via: app3}")
    err = rejected(text)
    assert err.field == "workload.clients[1].via"
    assert err.line == line_of(text, "via: app3}")
    assert err.problem == "'app3' is not one of the routing proxies"
    assert err.fix == "use one of: haproxy1, haproxy2, haproxy3"


def test_short_ttl_is_accepted_with_a_warning() -> None:
    topo = topology_from(mutate("  ttl: 30s", "  ttl: 25s"))
    assert topo.warnings == [
        "loop_wait + 2 × retry_timeout = 30 s exceeds ttl = 25 s: a primary cut off from the "
        "store may still be acknowledging writes when its key expires and another node is "
        "promoted"
    ]


# --- scenarios: targets checked against a topology -------------------------------------------

CRASH = """\
name: crash-one
description: crash a named host
duration: 10m
settle: 3m
faults:
  - kind: crash-host
    at: 1m
    target: {target}
"""


def scenario_from(text: str, file: str = "scen.yaml") -> tuple[Scenario, LineMap]:
    data, lines = parse_yaml(text, file)
    return validate(Scenario, data, lines), lines


def test_crash_of_a_missing_host_names_the_scenario_file_and_line() -> None:
    text = CRASH.format(target="pg9")
    scenario, lines = scenario_from(text)
    with pytest.raises(InputError) as info:
        check_targets(topology_from(BASE), scenario, lines)
    err = info.value
    assert err.file == "scen.yaml"
    assert err.line == line_of(text, "target: pg9") == 8
    assert err.problem == "no host named 'pg9' in topology postgres-patroni-async"
    assert str(err).startswith("scen.yaml:8: ")


@pytest.mark.parametrize(
    "target", ["pg2", "primary", "replica", "dcs-leader", "zone:eu-central-1b"]
)
def test_existing_targets_pass(target: str) -> None:
    scenario, lines = scenario_from(CRASH.format(target=target))
    check_targets(topology_from(BASE), scenario, lines)


def test_unknown_zone_is_rejected() -> None:
    scenario, lines = scenario_from(CRASH.format(target="zone:us-east-1a"))
    with pytest.raises(InputError, match="no zone named 'us-east-1a'"):
        check_targets(topology_from(BASE), scenario, lines)


def manual_topology_text() -> str:
    """The base topology with its failover replaced by an on-call human: no consensus store.

    Why not the catalog's manual preset: this test is about the rule, not about one file, and
    must not change when the preset does.
    """
    start = BASE.index("failover:\n")
    end = BASE.index("routing:\n")
    manual = (
        "failover:\n"
        "  family: manual\n"
        "  alert_delay: 1m\n"
        "  response: {median: 10m, p99: 45m}\n"
        "  promotion: {median: 5m, p99: 20m}\n"
    )
    return BASE[:start] + manual + BASE[end:]


def test_dcs_leader_on_a_topology_without_store(tmp_path: Path) -> None:
    topo_path = tmp_path / "manual.yaml"
    topo_path.write_text(manual_topology_text(), encoding="utf-8")
    topo = topology_from(topo_path.read_text(encoding="utf-8"), str(topo_path))
    text = CRASH.format(target="dcs-leader")
    scenario, lines = scenario_from(text)
    with pytest.raises(InputError) as info:
        check_targets(topo, scenario, lines)
    err = info.value
    assert (err.file, err.line) == ("scen.yaml", 8)
    assert (
        err.problem
        == "'dcs-leader' needs a consensus store; topology postgres-patroni-async has none"
    )
