"""The consensus store (etcd-like) that holds a leader key: a failure domain of its own.

Members run on dcs hosts. A Raft leader serves every request; it needs a connected majority.
When the leader dies or loses its majority, the others elect a new one after a randomised
election timeout (between one and two timeouts). A new leader refreshes every lease to its full
TTL plus one election timeout (etcd's `lessor.Promote`), so a store election delays the expiry
of a dead primary's key. Keys with a TTL expire only while there is a leader to expire them.

Clients (the failover agents) talk to one member at a time, like Patroni's etcd client: each
member gets `retry_timeout / members` (at least 1 s) before the client moves to the next, and
the whole request gives up after `retry_timeout`.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import simpy

from sim.spec.failover import ConsensusStore as StoreSpec

if TYPE_CHECKING:
    from sim.cluster.core import Cluster

INF = float("inf")


class DcsError(Exception):
    """The store could not be reached (or had no quorum) within the retry budget."""


@dataclass
class Key:
    """A stored value; `expiry` is inf for keys without a lease."""

    value: Any
    ttl: float
    expiry: float
    version: int


class StoreClient:
    """One agent's connection state: the member it talks to first."""

    def __init__(self, host: str, retry_timeout: float) -> None:
        self.host = host
        self.member = 0
        self.retry_timeout = retry_timeout
        # Waiting out a member that did not answer: the request may yet fail.
        self.stalled = False


class ConsensusStore:
    """Keys, leases and watches, served while a leader has a connected majority."""

    def __init__(self, cluster: Cluster, spec: StoreSpec) -> None:
        self.c = cluster
        self.spec = spec
        self.members = list(spec.members)
        self.leader: str | None = self.members[0]
        self.term = 1
        self.keys: dict[str, Key] = {}
        self._version = 0
        self._watch: dict[str, simpy.Event] = {}
        self.electing = False
        self._rng = cluster.rng("store")
        self.on_expire: Callable[[str, Key], None] = lambda name, key: None

    def start(self) -> None:
        self.c.on_network_change(self._topology_changed)

    # --- quorum and elections ------------------------------------------------------------

    def _majority_with(self, member: str) -> bool:
        net = self.c.net
        if not net.up[member]:
            return False
        peers = sum(1 for m in self.members if m == member or net.connected(member, m))
        return peers >= len(self.members) // 2 + 1

    def serves(self, member: str) -> bool:
        """Whether `member` can answer linearizable requests now (it reaches a leader that
        holds a majority)."""
        leader = self.leader
        if leader is None or not self.c.net.up[member]:
            return False
        return member == leader or self.c.net.connected(member, leader)

    def _topology_changed(self) -> None:
        if self.leader is not None and not self._majority_with(self.leader):
            self.c.event("dcs_leader_lost", self.leader)
            self.leader = None
        if self.leader is None and not self.electing:
            self.electing = True
            self.c.env.process(self._election())

    def _election(self) -> Generator[Any, Any, None]:
        timeout = self.spec.election_timeout
        while True:
            # Each member's randomised timer; the first that fires and can win, wins.
            draws = {m: timeout * self._rng.uniform(1.0, 2.0) for m in self.members}
            yield self.c.env.timeout(min(draws.values()))
            candidates = [m for m in self.members if self._majority_with(m)]
            if candidates:
                winner = min(candidates, key=lambda m: (draws[m], self.c.order(m)))
                self.leader = winner
                self.term += 1
                self.c.event("dcs_leader_elected", winner, f"term {self.term}")
                self._refresh_leases(timeout)
                break
        self.electing = False

    def _refresh_leases(self, extend: float) -> None:
        now = self.c.env.now
        for name in sorted(self.keys):
            key = self.keys[name]
            if key.ttl < INF:
                key.expiry = now + extend + key.ttl
                self._arm(name, key)

    # --- incident windows ----------------------------------------------------------------

    def rebase(self) -> None:
        """Watchers of the past window are gone (their processes were dropped)."""
        self._watch.clear()

    def answers(self, client: StoreClient) -> bool:
        """Whether `client`'s next request goes straight through: it is not waiting on a
        member that did not answer, and the member it asks first is reachable and serves."""
        member = self.members[client.member % len(self.members)]
        return (
            not client.stalled and self.c.net.connected(client.host, member) and self.serves(member)
        )

    def renewed(self, at: dict[str, float]) -> None:
        """Keys with a lease, last renewed at the given times, expire a TTL later; the others
        (nobody renews them) when they were going to."""
        for name in sorted(self.keys):
            key = self.keys[name]
            if name in at:
                key.expiry = at[name] + key.ttl
            if key.ttl < INF:
                self._arm(name, key)

    # --- keys ------------------------------------------------------------------------------

    def _arm(self, name: str, key: Key) -> None:
        self.c.env.process(self._expire(name, key.version, key.expiry))

    def _expire(self, name: str, version: int, at: float) -> Generator[Any, Any, None]:
        yield self.c.env.timeout(max(at - self.c.env.now, 0.0))
        key = self.keys.get(name)
        if key is None or key.version != version or key.expiry != at or self.leader is None:
            return
        del self.keys[name]
        self.c.event("key_expired", str(key.value), name)
        self.on_expire(name, key)
        self._notify(name)

    def _notify(self, name: str) -> None:
        ev = self._watch.pop(name, None)
        if ev is not None and not ev.triggered:
            ev.succeed(name)

    def watch(self, name: str) -> simpy.Event:
        """An event that fires when key `name` changes or disappears."""
        if name not in self._watch:
            self._watch[name] = self.c.env.event()
        return self._watch[name]

    def put(self, name: str, value: Any, ttl: float = INF) -> None:
        """Write a key (with a lease of `ttl` seconds, or none); call inside `request`."""
        self._version += 1
        old = self.keys.get(name)
        key = Key(value, ttl, self.c.env.now + ttl, self._version)
        self.keys[name] = key
        if ttl < INF:
            self._arm(name, key)
        if old is None or old.value != value:
            self._notify(name)

    def get(self, name: str) -> Any:
        key = self.keys.get(name)
        return None if key is None else key.value

    def delete(self, name: str) -> None:
        """Remove a key and wake its watchers; call inside `request`."""
        if self.keys.pop(name, None) is not None:
            self._notify(name)

    def names_under(self, prefix: str) -> list[str]:
        """The names of the keys under `prefix`, without it, sorted."""
        return sorted(k.removeprefix(prefix) for k in self.keys if k.startswith(prefix))

    # --- requests ------------------------------------------------------------------------

    def _latency(self, host: str, member: str) -> float:
        net = self.c.net
        rng = self._rng
        leader = self.leader or member
        lat = net.rtt(host, member, rng)
        if member != leader:
            lat += net.rtt(member, leader, rng)
        # One round from the leader to the nearest follower that completes a majority, then
        # the leader's WAL fsync.
        rtts = sorted(
            net.rtt(leader, m, rng)
            for m in self.members
            if m != leader and net.connected(leader, m)
        )
        need = len(self.members) // 2
        if need:
            lat += rtts[need - 1] if len(rtts) >= need else 0.0
        return lat + self.spec.commit

    def request(self, client: StoreClient, apply: Callable[[], Any]) -> Generator[Any, Any, Any]:
        """Run `apply` on the store on behalf of `client`, as a linearizable request; raise
        `DcsError` after the retry budget."""
        env = self.c.env
        net = self.c.net
        n = len(self.members)
        usable = n
        while usable > 1 and client.retry_timeout / usable < 1.0:
            usable -= 1
        # The client's timeouts run on its host's clock.
        per_member = self.c.local(client.host, client.retry_timeout / usable)
        deadline = env.now + self.c.local(client.host, client.retry_timeout)
        tries = 0
        try:
            while env.now < deadline - 1e-9:
                member = self.members[client.member % n]
                if net.connected(client.host, member) and self.serves(member):
                    yield env.timeout(self._latency(client.host, member))
                    if self.serves(member) and net.connected(client.host, member):
                        return apply()
                else:
                    client.stalled = True
                    yield env.timeout(min(per_member, deadline - env.now))
                tries += 1
                client.member = (client.member + 1) % n
                if tries > 4 * n:
                    break
            raise DcsError(f"no answer from the store within {client.retry_timeout:g} s")
        finally:
            client.stalled = False
