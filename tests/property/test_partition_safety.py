"""Random fault schedules against Raft with quorum commit, and against the same cluster with
asynchronous commit and no fencing.

Raft with quorum commit and check-quorum never loses an acknowledged write and never has
split brain, and after every fault that leaves a connected majority with clients, the clients
there write again within twice the longest election timeout plus routing. The same cluster
acknowledging writes on the leader alone, with nothing to depose it, loses the writes of an
isolated leader and diverges, and the checkers report both.

A failing example prints the scenario file and the command that replays it.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import pytest
import yaml
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import sim
from sim.faults import parse_drop_map
from sim.history import History
from sim.spec import Scenario, Topology
from sim.spec.replication import Async
from sim.yamlio import parse_yaml, validate

pytestmark = pytest.mark.slow

TOPOLOGY = "etcd-raft-3"
FAULT_START = 30.0
SETTLE = 60.0

# Faults that cut the cluster somewhere, each with its length in seconds (`length`: a
# `duration`, or for a crash the `restart_after`); every one ends before the next starts.
_CUTS = st.one_of(
    st.builds(
        lambda target, d: {"kind": "isolate", "target": target, "length": d},
        st.sampled_from(["primary", "one", "replica", "zone-of:primary", "zone-of:one"]),
        st.integers(15, 60),
    ),
    st.builds(
        lambda pattern, d: {"kind": "partition", "pattern": pattern, "length": d},
        st.sampled_from(["primaries", "halves", "majorities-ring"]),
        st.integers(15, 60),
    ),
    st.builds(
        lambda d: {"kind": "partition", "pattern": "primaries", "one_way": True, "length": d},
        st.integers(15, 60),
    ),
    st.builds(
        lambda target, d: {"kind": "crash-host", "target": target, "length": d},
        st.sampled_from(["primary", "one"]),
        st.integers(15, 60),
    ),
    st.builds(
        lambda d: {"kind": "pause", "target": "primary", "length": d},
        st.integers(3, 30),
    ),
    st.builds(
        lambda ms, d: {"kind": "slow", "target": "zone-of:primary", "latency": ms, "length": d},
        st.sampled_from(["50ms", "200ms", "800ms", "1500ms"]),
        st.integers(15, 60),
    ),
    st.builds(
        lambda p, d: {"kind": "loss", "target": "primary", "probability": p, "length": d},
        st.sampled_from([0.05, 0.2, 0.5]),
        st.integers(15, 60),
    ),
)


# The classic split: the leader and the clients of its zone cut off from the rest.
_LEADER_ZONE_CUT = st.builds(
    lambda d: {"kind": "isolate", "target": "zone-of:primary", "length": d},
    st.integers(25, 90),
)


@st.composite
def schedules(
    draw: st.DrawFn, first: st.SearchStrategy[dict[str, Any]] = _CUTS
) -> list[dict[str, Any]]:
    faults, t = [], FAULT_START
    for i in range(draw(st.integers(1, 3))):
        fault = dict(draw(first if i == 0 else _CUTS))
        length = fault.pop("length")
        key = "restart_after" if fault["kind"] == "crash-host" else "duration"
        faults.append({"at": f"{t:g}s", **fault, key: f"{length}s"})
        t += length + draw(st.integers(20, 60))
    return faults


def _scenario(faults: list[dict[str, Any]]) -> tuple[Scenario, str]:
    last = faults[-1]
    end = float(last["at"][:-1]) + float(last.get("duration", last.get("restart_after"))[:-1])
    doc = {
        "name": "random-faults",
        "description": "a random fault schedule drawn by the property test",
        "duration": f"{end + 30.0:g}s",
        "settle": f"{SETTLE:g}s",
        "faults": faults,
    }
    text = yaml.safe_dump(doc, sort_keys=False)
    data, lines = parse_yaml(text, "random-faults.yaml")
    return validate(Scenario, data, lines), text


def _replay(text: str, topology: str, seed: int) -> None:
    note(
        f"replay: save the scenario below as random-faults.yaml, then run\n"
        f"  hasim run {topology} random-faults.yaml --seed {seed}\n{text}"
    )


def _unfenced_async(base: Topology) -> Topology:
    """The same cluster, acknowledging on the leader alone, and a leader that never steps
    down on its own: nothing fences a deposed leader."""
    failover = base.failover.model_copy(update={"check_quorum": False})
    replication = Async(mode="async")
    return base.model_copy(update={"failover": failover, "replication": replication})


def _write_bound(topology: Topology) -> float:
    """Twice the longest election timeout, plus routing: a request stuck on the old leader
    times out, and the client backs off once before it retries on the new one."""
    fo, wl = topology.failover, topology.workload
    longest = fo.election_timeout * (1.0 + fo.election_jitter)
    return 2.0 * longest + wl.statement_timeout + wl.backoff.max


def _cut_off(history: History, topology: Topology) -> list[tuple[float, float, set[str]]]:
    """Each window in which a fault took database nodes away from the rest, with the side
    where the most of them, with clients, still talk to each other both ways. Cuts are read
    back from the history's `network_cut` rows."""
    nodes = set(topology.hosts_of("db"))
    everyone = set(topology.hosts())
    cuts = {e.t: parse_drop_map(e.detail) for e in history.events if e.name == "network_cut"}
    starts = {e.fault: e for e in history.faults if e.phase == "start"}
    windows = []
    for e in history.faults:
        kind = e.kind.split()[0]
        if e.phase != "end" or kind not in ("isolate", "partition", "crash-host", "pause"):
            continue
        start = starts[e.fault]
        if kind in ("crash-host", "pause"):
            side = everyone - set(start.targets)
        else:
            dropped = cuts[start.t]
            talk = nx.Graph()
            talk.add_nodes_from(everyone)
            talk.add_edges_from(
                (a, b)
                for a in everyone
                for b in everyone
                if a < b and (a, b) not in dropped and (b, a) not in dropped
            )
            side = max((set(c) for c in nx.find_cliques(talk)), key=lambda c: len(c & nodes))
        if side & set(topology.hosts_of("client")):
            windows.append((start.t, e.t, side))
    return windows


def _serving_throughout(history: History, nodes: set[str], t0: float, t1: float) -> set[str]:
    """The nodes whose database ran (as primary or replica) all through [t0, t1]: a host
    powered on again is still booting, and a rejoining node is not a voter yet."""
    serving = ("primary", "replica", "demoting")
    role: dict[str, str] = {}
    out = set(nodes)
    for r in history.roles:
        if r.t > t1:
            break
        role[r.node] = r.role
        if r.t >= t0 and r.role not in serving:
            out.discard(r.node)
    return {n for n in out if role.get(n, "replica") in serving}


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(faults=schedules(), seed=st.integers(0, 2**31 - 1))
def test_raft_with_quorum_commit_keeps_every_write_and_recovers_on_the_majority(
    faults: list[dict[str, Any]], seed: int
) -> None:
    topology = sim.load_topology(TOPOLOGY).spec
    scenario, text = _scenario(faults)
    _replay(text, TOPOLOGY, seed)
    result = sim.run(topology, scenario, seed)
    m = result.metrics
    assert m["lost_writes"] == 0
    assert m["divergent_writes"] == 0
    assert m["split_brain_s"] == 0.0
    bound = _write_bound(topology)
    clients = {c.host for c in topology.workload.clients}
    nodes = set(topology.hosts_of("db"))
    for start, end, side in _cut_off(result.history, topology):
        voters = _serving_throughout(result.history, side & nodes, start, start + bound)
        if end - start <= bound or 2 * len(voters) <= len(nodes):
            continue
        writers = clients & side
        ok = [
            op.t_complete
            for op in result.history.ops
            if op.f == "write"
            and op.outcome == "ok"
            and op.client in writers
            and start <= op.t_invoke
            and op.t_complete <= start + bound
        ]
        note(f"fault window {start:g}-{end:g} s, majority side {sorted(side)}, bound {bound:g} s")
        assert ok, "no write succeeded on the majority side within the bound"


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(faults=schedules(first=_LEADER_ZONE_CUT), seed=st.integers(0, 2**31 - 1))
def test_async_commit_without_fencing_loses_and_diverges_and_the_checkers_say_so(
    faults: list[dict[str, Any]], seed: int
) -> None:
    topology = _unfenced_async(sim.load_topology(TOPOLOGY).spec)
    scenario, text = _scenario(faults)
    _replay(text, f"{TOPOLOGY} (replication: async, check_quorum: false)", seed)
    result = sim.run(topology, scenario, seed)
    h, m = result.history, result.metrics
    cut = next(e for e in h.faults if e.phase == "start")
    heal = next(e.t for e in h.faults if e.phase == "end" and e.fault == cut.fault)
    old = next(n for n in cut.targets if n in topology.hosts_of("db"))
    # Once another node leads, whatever the old leader acknowledges is on a lineage that the
    # majority has left: every such write must come back as lost and divergent.
    new_leader_at = min(
        r.t for r in h.roles if r.role == "primary" and r.node != old and r.t > cut.t
    )
    stranded = [
        op
        for op in h.ops
        if op.f == "write"
        and op.outcome == "ok"
        and op.node == old
        and new_leader_at < op.t_invoke < heal
    ]
    note(f"old leader {old}, new leader at {new_leader_at:g} s, heal at {heal:g} s")
    assert stranded, "the isolated leader took no writes: the generator missed its point"
    assert m["lost_writes"] >= len(stranded)
    assert m["divergent_writes"] >= len(stranded)
    assert m["split_brain_s"] > 0.0
