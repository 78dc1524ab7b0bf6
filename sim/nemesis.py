"""The nemesis: runs a scenario's fault timeline against the cluster, and heals everything at
the end of the observation window ("after the incident")."""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from sim.faults import describe, partition_pairs, resolve
from sim.history import FaultEvent
from sim.spec.fault import CrashDb, CrashDcs, CrashHost, Fault, Partition

if TYPE_CHECKING:
    from sim.cluster.core import Cluster


class Nemesis:
    """Scripted faults, each a simpy process."""

    def __init__(self, cluster: Cluster) -> None:
        self.c = cluster
        self.rng = cluster.rng("nemesis")
        self._cuts: dict[int, list[tuple[str, str]]] = {}
        self._down_hosts: dict[int, list[str]] = {}
        self._down_dbs: dict[int, list[str]] = {}

    def start(self) -> None:
        for i, fault in enumerate(self.c.scenario.faults):
            self.c.env.process(self._run(i, fault))

    def _record(self, i: int, fault: Fault, phase: str, targets: list[str]) -> None:
        self.c.history.faults.append(
            FaultEvent(self.c.env.now, i, describe(fault), phase, tuple(targets))  # type: ignore[arg-type]
        )

    def _run(self, i: int, fault: Fault) -> Generator[Any, Any, None]:
        env = self.c.env
        yield env.timeout(fault.at)
        if isinstance(fault, Partition):
            pairs = partition_pairs(self.c, fault.groups, self.rng)
            hosts = sorted({a for a, _ in pairs}, key=self.c.order)
            self._record(i, fault, "start", hosts)
            self._cuts[i] = pairs
            self.c.net.cut(pairs)
            self.c.network_changed()
            yield env.timeout(fault.duration)
            self._end_partition(i, fault)
            return
        count = fault.count if isinstance(fault, CrashDcs) else 1
        targets = resolve(self.c, fault.target, self.rng, count)
        self._record(i, fault, "start", targets)
        if isinstance(fault, CrashDb):
            self._down_dbs[i] = targets
            for name in targets:
                node = self.c.nodes[name]
                if node.process != "stopped":
                    node.crash(host_down=False)
                    self.c.controller.db_crashed(name)
        else:
            assert isinstance(fault, CrashHost | CrashDcs)
            self._down_hosts[i] = targets
            for host in targets:
                self.c.power_off(host)
        if fault.restart_after is None:
            return
        yield env.timeout(fault.restart_after)
        self._restart(i, fault)

    def _end_partition(self, i: int, fault: Fault) -> None:
        pairs = self._cuts.pop(i, None)
        if pairs is None:
            return
        self.c.net.heal(pairs)
        self._record(i, fault, "end", sorted({a for a, _ in pairs}, key=self.c.order))
        self.c.network_changed()

    def _restart(self, i: int, fault: Fault) -> None:
        if i in self._down_dbs:
            targets = self._down_dbs.pop(i)
            for name in targets:
                self.c.controller.restart_db(name)
            self._record(i, fault, "end", targets)
        elif i in self._down_hosts:
            targets = self._down_hosts.pop(i)
            for host in targets:
                self.c.power_on(host)
            self._record(i, fault, "end", targets)

    def heal(self) -> None:
        """End every fault: cuts heal, crashed hosts and processes come back."""
        for i, fault in enumerate(self.c.scenario.faults):
            self._end_partition(i, fault)
            self._restart(i, fault)
        self.c.controller.heal()
