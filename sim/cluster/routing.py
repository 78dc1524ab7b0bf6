"""How clients reach the primary: a health-checking proxy (HAProxy semantics) or a DNS name.

A proxy is a host in the network: it checks each backend every `inter` (the role check asks
the node's failover agent; the tcp check only asks whether a database listens), marks a
backend down after `fall` failed checks and up after `rise` good ones, sends new connections to
the first backend that is up, and (with `shutdown_sessions`) closes the sessions of a backend it
marks down. A proxy cut off with its primary keeps seeing it as healthy.

A DNS name points at one node; whoever promotes updates it, the new answer is served after
`update`, resolvers and clients cache answers for `ttl`, and a client keeps its established
session whatever the record says until the session breaks.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.network import Link
from sim.spec.replication import Leaderless, MultiPrimary
from sim.spec.routing import Discovery, Dns, Proxy

if TYPE_CHECKING:
    from sim.cluster.core import Cluster


@dataclass(slots=True)
class Session:
    """A client's database connection: through a proxy (`via`) or straight to `backend`."""

    client: str
    via: str | None
    backend: str
    incarnation: int
    killed_at: float = float("inf")
    # Filled on first use: the hops each way and the path's latency distribution.
    fwd_pairs: tuple[tuple[str, str], ...] = ()
    back_pairs: tuple[tuple[str, str], ...] = ()
    fwd_path: Link | None = None
    back_path: Link | None = None


@dataclass(slots=True)
class Connect:
    """The outcome of opening a session: ready at `t`, or failed at `t` with `error`."""

    t: float
    session: Session | None
    error: str = ""


class Router(ABC):
    """Opens sessions for clients."""

    @abstractmethod
    def connect(
        self, client: str, via: str | None, t: float, timeout: float, reads: bool = False
    ) -> Connect:
        """Open a session for `client` at `t`, as the network and nodes are now; `reads`:
        for the client's probe reads (which may go to a replica)."""

    def start(self) -> None:
        """Create the router's processes."""

    def primary_changed(self, node: str) -> None:
        """A promotion finished: routers that are told (DNS) update; proxies find out."""

    def names(self) -> list[str]:
        """The router names that `route_changed` events carry."""
        return []

    def settled(self) -> bool:
        """Whether no routing change is under way (see `Controller.settled`)."""
        return True

    def rebase(self) -> None:
        """Incident window start: restart the router's processes (see `Cluster.reanchor`)."""


def _open(c: Cluster, client: str, first: str, backend: str, t: float, timeout: float) -> Connect:
    """TCP to `first` (the proxy or the backend itself), then the database handshake."""
    net = c.net
    if not net.connected(client, first):
        return Connect(t + timeout, None, "connect-timeout")
    node = c.nodes[backend]
    if first != backend and not net.connected(first, backend):
        return Connect(t + timeout, None, "connect-timeout")
    rng = c.rng("connects")
    rtt = net.rtt(client, first, rng) + (net.rtt(first, backend, rng) if first != backend else 0)
    if not node.serving:
        return Connect(t + rtt, None, "refused")
    # TCP handshake, then startup packet and authentication: about three round trips.
    via = first if first != backend else None
    return Connect(t + 3 * rtt, Session(client, via, backend, node.incarnation))


class ProxyRouter(Router):
    """HAProxy-style proxies with active health checks."""

    def __init__(self, cluster: Cluster, spec: Proxy) -> None:
        self.c = cluster
        self.spec = spec
        self.backends = [n for n in cluster.net.hosts() if n in cluster.nodes]
        primary = cluster.topo.database.initial_primary
        self.up: dict[str, dict[str, bool]] = {
            p: {b: b == primary for b in self.backends} for p in spec.proxies
        }
        self._good: dict[tuple[str, str], int] = {}
        self._bad: dict[tuple[str, str], int] = {}
        self._rng = cluster.rng("proxy-checks")

    def names(self) -> list[str]:
        return list(self.spec.proxies)

    def start(self) -> None:
        for proxy in self.spec.proxies:
            for backend in self.backends:
                self.c.env.process(self._checks(proxy, backend))

    def settled(self) -> bool:
        """Every live proxy's marks agree with what its checks get now."""
        return all(
            not self.c.net.up[proxy] or self.up[proxy][b] == bool(self._answer(proxy, b))
            for proxy in self.spec.proxies
            for b in self.backends
        )

    def rebase(self) -> None:
        """Checks restart at a fresh phase, their counters as a long run of agreeing
        answers leaves them."""
        for proxy in self.spec.proxies:
            for backend in self.backends:
                key = (proxy, backend)
                up = self.up[proxy][backend]
                self._good[key] = self.spec.rise if up else 0
                self._bad[key] = 0 if up else self.spec.fall
        self.start()

    def _answer(self, proxy: str, backend: str) -> bool | None:
        if self.spec.check == "role":
            return self.c.controller.reports_primary(backend, proxy)
        if not self.c.net.connected(proxy, backend):
            return None
        return self.c.nodes[backend].serving

    def _checks(self, proxy: str, backend: str) -> Generator[Any, Any, None]:
        env = self.c.env
        spec = self.spec
        yield env.timeout(self._rng.uniform(0.0, spec.inter))
        while True:
            t0 = env.now
            if self.c.net.up[proxy]:
                answer = self._answer(proxy, backend)
                wait = spec.check_timeout
                if answer is not None:
                    rtt = self.c.net.rtt(proxy, backend, self._rng)
                    if rtt > spec.check_timeout:
                        answer = None
                    wait = min(rtt, spec.check_timeout)
                # An answer that confirms the backend's state changes nothing but a counter:
                # count it at once. One that may flip it is counted when it arrives.
                if bool(answer) == self.up[proxy][backend]:
                    self._count(proxy, backend, bool(answer))
                else:
                    yield env.timeout(wait)
                    if self.c.net.up[proxy]:
                        self._count(proxy, backend, bool(answer))
            yield env.timeout(max(spec.inter - (env.now - t0), 0.0))

    def _count(self, proxy: str, backend: str, ok: bool) -> None:
        key = (proxy, backend)
        up = self.up[proxy][backend]
        if ok:
            self._bad[key] = 0
            self._good[key] = self._good.get(key, 0) + 1
            if not up and self._good[key] >= self.spec.rise:
                self.up[proxy][backend] = True
                self.c.event("route_changed", proxy, backend)
                self.c.changed()
        else:
            self._good[key] = 0
            self._bad[key] = self._bad.get(key, 0) + 1
            if up and self._bad[key] >= self.spec.fall:
                self.up[proxy][backend] = False
                self.c.event("backend_down", proxy, backend)
                if self.spec.shutdown_sessions:
                    self.c.requests.kill_sessions(proxy, backend)
                self.c.changed()

    def connect(
        self, client: str, via: str | None, t: float, timeout: float, reads: bool = False
    ) -> Connect:
        assert via is not None
        net = self.c.net
        if not net.connected(client, via):
            return Connect(t + timeout, None, "connect-timeout")
        backend = next((b for b in self.backends if self.up[via][b]), None)
        if backend is None:
            return Connect(t + net.rtt(client, via, self.c.rng("connects")), None, "no-backend")
        return _open(self.c, client, via, backend, t, timeout)


class DnsRouter(Router):
    """A DNS name for the primary, cached by clients for `ttl`."""

    def __init__(self, cluster: Cluster, spec: Dns) -> None:
        self.c = cluster
        self.spec = spec
        self.record = cluster.topo.database.initial_primary
        self._cache: dict[str, tuple[str, float]] = {}
        self._updating = 0

    def names(self) -> list[str]:
        return ["dns"]

    def settled(self) -> bool:
        return not self._updating

    def rebase(self) -> None:
        """Cached answers of a long-lived session expired long ago: clients resolve anew.
        An answer that is stale (the record moved since) is kept to its expiry, which is on
        the `agenda`."""
        self._cache = {c: v for c, v in self._cache.items() if v[0] != self.record}

    def agenda(self) -> list[float]:
        """When each client's stale cached answer expires (it then finds the new primary)."""
        return [expiry for name, expiry in self._cache.values() if name != self.record]

    def primary_changed(self, node: str) -> None:
        self.c.env.process(self._update(node))

    def _update(self, node: str) -> Generator[Any, Any, None]:
        self._updating += 1
        yield self.c.env.timeout(self.spec.update)
        self._updating -= 1
        if self.record != node:
            self.record = node
            self.c.event("route_changed", "dns", node)

    def resolve(self, client: str, t: float) -> str:
        cached = self._cache.get(client)
        if cached is None or cached[1] <= t:
            cached = (self.record, t + self.spec.ttl)
            self._cache[client] = cached
        return cached[0]

    def connect(
        self, client: str, via: str | None, t: float, timeout: float, reads: bool = False
    ) -> Connect:
        return _open(self.c, client, self.resolve(client, t), self.resolve(client, t), t, timeout)


class DiscoveryRouter(Router):
    """A topology-aware driver: at every connection it asks which node is the primary (the
    nodes themselves, or an observer), trusting the newest term among several claimants."""

    def __init__(self, cluster: Cluster, spec: Discovery) -> None:
        self.c = cluster
        self.spec = spec
        rep = cluster.topo.replication
        self.every_primary = isinstance(rep, MultiPrimary | Leaderless)

    def names(self) -> list[str]:
        return ["driver"]

    def primary_changed(self, node: str) -> None:
        self.c.event("route_changed", "driver", node)

    def _primary(self, client: str) -> str | None:
        c = self.c
        controller = c.controller
        if self.spec.source == "observers":
            return controller.primary_seen_from(client)  # type: ignore[attr-defined]
        claimants = [
            n for n in sorted(c.nodes, key=c.order) if controller.reports_primary(n, client)
        ]
        if not claimants:
            return None
        if self.every_primary:
            return self._nearest(client, claimants)
        return max(claimants, key=lambda n: (c.nodes[n].lineage, -c.order(n)))

    def _nearest(self, client: str, names: list[str]) -> str:
        return min(names, key=lambda n: (self.c.net.median(client, n), self.c.order(n)))

    def _replica(self, client: str) -> str | None:
        """The nearest node serving reads as a replica (readPreference: secondary)."""
        c = self.c
        replicas = [
            n
            for n in sorted(c.nodes, key=c.order)
            if c.nodes[n].role == "replica"
            and c.nodes[n].serving
            and c.net.connected(client, n)
            and not c.nodes[n].frozen
        ]
        return self._nearest(client, replicas) if replicas else None

    def connect(
        self, client: str, via: str | None, t: float, timeout: float, reads: bool = False
    ) -> Connect:
        where = self.c.topo.workload.reads_from
        if reads and where != "primary" and not self.every_primary:
            replica = self._replica(client)
            if replica is not None or where == "replica":
                if replica is None:
                    return Connect(t + 0.5, None, "no-replica")
                return _open(self.c, client, replica, replica, t, timeout)
        primary = self._primary(client)
        if primary is None:
            # The driver checks again after its minimum heartbeat (500 ms) and the client's
            # statement is retried: no primary yet is a certain failure, not an unknown one.
            return Connect(t + 0.5, None, "no-primary")
        return _open(self.c, client, primary, primary, t, timeout)


def build_router(cluster: Cluster) -> Router:
    spec = cluster.topo.routing
    if isinstance(spec, Proxy):
        return ProxyRouter(cluster, spec)
    if isinstance(spec, Discovery):
        return DiscoveryRouter(cluster, spec)
    return DnsRouter(cluster, spec)
