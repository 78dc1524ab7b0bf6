"""Input digests: what stored results (the preset atlas, provenance) are keyed by."""

from __future__ import annotations

import re

from sim.catalog import catalog_root
from sim.runner import spec_digest
from sim.spec import Topology
from sim.yamlio import parse_yaml, validate

SENTINEL = (catalog_root() / "topologies" / "redis-sentinel.yaml").read_text()


def _digest(text: str) -> str:
    data, lines = parse_yaml(text, "redis-sentinel.yaml")
    return spec_digest(validate(Topology, data, lines))


def _with_failover_line(line: str) -> str:
    text, n = re.subn(r"(?m)^(  min_replicas_max_lag:.*)$", rf"\1\n  {line}", SENTINEL)
    assert n == 1
    return text


def test_a_default_spelled_out_or_left_out_has_one_digest() -> None:
    # A field added with a default leaves every existing file's digest as it was.
    assert _digest(_with_failover_line("self_fence_after: null")) == _digest(SENTINEL)


def test_a_changed_value_changes_the_digest() -> None:
    assert _digest(_with_failover_line("self_fence_after: 20s")) != _digest(SENTINEL)
    assert _digest(SENTINEL.replace("down_after: 30s", "down_after: 31s", 1)) != _digest(SENTINEL)
