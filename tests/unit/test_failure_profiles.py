"""Random failure profiles: the timeline each seed draws, per component, from its own stream."""

from __future__ import annotations

import math
from itertools import pairwise

import pytest

import sim
from sim.errors import InputError
from sim.failure_profiles import components, maintenance_timeline, timeline, with_random_failures
from sim.faults import check_targets
from sim.rng import Stream
from sim.sampling import sample
from sim.spec import Scenario
from sim.spec.failures import Weibull
from sim.yamlio import parse_yaml, validate

PATRONI = sim.load_topology("postgres-patroni-async").spec


def scenario_text_to_spec(text: str) -> Scenario:
    return validate(Scenario, *parse_yaml(text, "test.yaml"))


HOSTS = """
name: hosts
description: db hosts fail and come back
duration: 30d
settle: 3m
failures:
  - component: host
    ttf: {mean: 2d}
    ttr: {median: 1h, p99: 6h}
"""
ZONES = """
  - component: zone
    ttf: {shape: 0.8, scale: 20d}
    ttr: {mean: 2h}
"""


def test_each_seed_draws_its_own_timeline_and_always_the_same() -> None:
    scenario = scenario_text_to_spec(HOSTS)
    one, again, other = (timeline(PATRONI, scenario, s) for s in (1, 1, 2))
    assert one == again and one != other
    assert all(f.kind == "crash-host" and f.restart_after is not None for f in one)
    assert [f.at for f in one] == sorted(f.at for f in one)
    assert {f.target for f in one} <= set(PATRONI.hosts_of("db"))
    # Three hosts, a failure every 2 days (plus repair) over 30 days: about 45.
    assert 25 < len(one) < 70


def test_a_component_fails_again_only_after_its_repair() -> None:
    for host in PATRONI.hosts_of("db"):
        faults = [f for f in timeline(PATRONI, scenario_text_to_spec(HOSTS), 3) if f.target == host]
        for a, b in pairwise(faults):
            assert b.at > a.at + a.restart_after


def test_adding_a_profile_leaves_the_others_failures_alone() -> None:
    hosts = timeline(PATRONI, scenario_text_to_spec(HOSTS), 5)
    both = timeline(PATRONI, scenario_text_to_spec(HOSTS + ZONES), 5)
    assert [f for f in both if not f.target.startswith("zone:")] == hosts
    assert any(f.target.startswith("zone:") for f in both)


def test_default_components_of_each_class() -> None:
    scenario = scenario_text_to_spec(HOSTS)
    profile = scenario.failures[0]
    assert components(PATRONI, profile) == PATRONI.hosts_of("db")
    zones = [z.name for r in PATRONI.regions for z in r.zones]
    link = profile.model_copy(update={"component": "link"})
    assert components(PATRONI, link) == [
        f"{a}|{b}" for i, a in enumerate(zones) for b in zones[i + 1 :]
    ]
    dcs = profile.model_copy(update={"component": "consensus-member", "targets": []})
    assert components(PATRONI, dcs) == PATRONI.hosts_of("dcs")


def test_weibull_draws_have_the_weibull_mean() -> None:
    dist = Weibull(shape=2.0, scale="10h")
    stream = Stream(0, "test")
    draws = [sample(dist, stream) for _ in range(20000)]
    mean = 36000.0 * math.gamma(1.5)
    assert sum(draws) / len(draws) == pytest.approx(mean, rel=0.02)


DISKS = """
name: disks
description: db disks fail and are replaced; hosts are patched weekly
duration: 30d
settle: 3m
failures:
  - component: disk
    ttf: {mean: 5d}
    ttr: {median: 4h, p99: 1d}
maintenance:
  - {every: 7d, start: 2d, duration: 10m, stagger: 30m}
"""


def test_a_disk_failure_is_a_host_out_until_replaced_that_comes_back_empty() -> None:
    faults = timeline(PATRONI, scenario_text_to_spec(DISKS), 4)
    assert faults and all(f.kind == "crash-host" and f.lose_disk for f in faults)
    assert {f.target for f in faults} <= set(PATRONI.hosts_of("db"))
    # Host profiles never lose a disk.
    assert not any(f.lose_disk for f in timeline(PATRONI, scenario_text_to_spec(HOSTS), 4))


def test_maintenance_reboots_each_host_in_turn_on_its_cadence() -> None:
    scenario = scenario_text_to_spec(DISKS)
    planned = maintenance_timeline(PATRONI, scenario)
    db = PATRONI.hosts_of("db")
    day = 86400.0
    # Windows open on days 2, 9, 16, 23 and 30 (< 30 d: not the last); each reboots the three
    # db hosts 30 min apart, each down for 10 min.
    expected = [(2 * day + w * 7 * day + j * 1800.0, h) for w in range(4) for j, h in enumerate(db)]
    assert [(f.at, f.target) for f in planned] == expected
    assert all(f.restart_after == 600.0 and not f.lose_disk for f in planned)
    # They are the same for every seed, and come on top of the drawn failures.
    drawn = with_random_failures(PATRONI, scenario, 1).faults
    assert len(drawn) == len(timeline(PATRONI, scenario, 1)) + len(planned)


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            "failures:\n  - {component: disk, targets: [etcd1], "
            "ttf: {mean: 5d}, ttr: {mean: 1h}}\n",
            "'etcd1' is not a db host",
        ),
        (
            "maintenance:\n  - {targets: [pg9], every: 7d, duration: 10m, stagger: 30m}\n",
            "no host or host kind 'pg9'",
        ),
    ],
)
def test_a_disk_or_maintenance_target_that_does_not_exist_is_refused(
    block: str, message: str
) -> None:
    text = "name: s\ndescription: d\nduration: 30d\nsettle: 3m\n" + block
    with pytest.raises(InputError) as err:
        check_targets(PATRONI, scenario_text_to_spec(text), None)
    assert message in str(err.value)
