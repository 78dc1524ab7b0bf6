"""Invariants every history must keep, whatever the seed, on every catalog pair: checked
from outside the model, as the simulators we learn from assert theirs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.errors import InputError
from sim.history import NO_LINEAGE

PAIRS = [(t, s) for t in sim.names("topologies") for s in sim.names("scenarios")]


@settings(max_examples=12, deadline=None, derandomize=True)
@given(pair=st.sampled_from(PAIRS), seed=st.integers(0, 2**31 - 1))
def test_history_invariants(pair: tuple[str, str], seed: int) -> None:
    topology = sim.load_topology(pair[0]).spec
    scenario = sim.load_scenario(pair[1]).spec
    try:
        result = sim.run(topology, scenario, seed)
    except InputError:
        return
    h = result.history
    wl = topology.workload
    longest = wl.connect_timeout + wl.statement_timeout + 1.0
    commits: dict[int, set[tuple[int, int]]] = {}
    for c in h.commits:
        commits.setdefault(c.key, set()).add((c.lineage, c.lsn))
    lineages = {row.id for row in h.lineages}
    for op in h.ops:
        assert op.t_invoke <= op.t_complete <= h.meta["t_end"], op
        assert op.t_complete - op.t_invoke <= longest, op
        if op.outcome == "ok":
            assert op.lineage in lineages and op.lsn >= 0, op
            if op.f == "write":
                # An acknowledged write was committed, at the position it was acknowledged at.
                assert (op.lineage, op.lsn) in commits.get(op.key, set()), op
        else:
            assert (op.lineage, op.lsn) == (NO_LINEAGE, -1), op
        if op.outcome == "fail":
            certain = ("read-only", "refused", "no-backend", "connect-timeout")
            more = ("no-replicas", "no-primary", "no-replica", "unavailable", "not-leader")
            assert op.error in (*certain, *more), op
    # A lineage only ever forks from a position its parent reached.
    tops: dict[int, int] = {}
    for p in h.positions:
        tops[p.lineage] = max(tops.get(p.lineage, 0), p.lsn)
    for row in h.lineages:
        if row.parent != NO_LINEAGE:
            assert row.fork_lsn <= tops.get(row.parent, 0), row
    m = result.metrics
    assert m["lost_writes"] <= len({op.key for op in h.ops if op.outcome == "ok"})
    if topology.replication.mode == "sync":
        assert m["lost_writes"] == 0
