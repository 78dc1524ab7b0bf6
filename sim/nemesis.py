"""The nemesis: runs a scenario's fault timeline against the cluster, and heals everything at
the end of the observation window ("after the incident"). Each fault is a simpy process and
records its start and end (with the hosts it was resolved to) in the history; several may be
active at once."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from sim.faults import Pairs, describe, drop_map, partition_pairs, pick, resolve
from sim.history import FaultEvent
from sim.network import Impairment
from sim.spec.fault import (
    Bandwidth,
    ClockSkew,
    Corrupt,
    CrashDb,
    CrashDcs,
    CrashHost,
    Fault,
    Flap,
    Isolate,
    Loss,
    Partition,
    Pause,
    Slow,
)

if TYPE_CHECKING:
    from sim.cluster.core import Cluster


class Nemesis:
    """Scripted faults, each a simpy process."""

    def __init__(self, cluster: Cluster) -> None:
        self.c = cluster
        self.rng = cluster.rng("nemesis")
        # What each active fault must undo when it ends (or at the final heal), and its hosts.
        self._undo: dict[int, Callable[[], None]] = {}
        self._hosts: dict[int, list[str]] = {}
        self._healed = False
        self._started: set[int] = set()
        # When each started fault's timed end comes, and what it does then.
        self._ends: dict[int, tuple[float, Callable[[], None]]] = {}

    def start(self) -> None:
        for i, fault in enumerate(self.c.scenario.faults):
            self.c.env.process(self._run(i, fault))

    # --- incident windows ----------------------------------------------------------------

    def settled(self) -> bool:
        """No flapping link is flapping (its cycle is no timeline of known ends)."""
        faults = self.c.scenario.faults
        return not any(isinstance(faults[i], Flap) and i in self._undo for i in self._started)

    def due(self, opened: Callable[[float, bool], bool]) -> bool:
        """Whether no fault that has yet to start or end has its window `opened` already
        (asked with its time, and True for a start)."""
        if any(opened(at, False) for at, _ in self._ends.values()):
            return False
        return all(
            i in self._started or not opened(fault.at, True)
            for i, fault in enumerate(self.c.scenario.faults)
        )

    def rebase(self) -> None:
        """The timeline goes on: faults still to come start at their time, and started ones
        end at theirs."""
        for i, fault in enumerate(self.c.scenario.faults):
            if i not in self._started:
                self.c.env.process(self._run(i, fault))
            elif i in self._ends:
                self.c.env.process(self._ending(i))

    def transitions(self) -> list[tuple[float, bool]]:
        """When a fault of the timeline starts or has a timed end (True for a start), in
        time order."""
        out: list[tuple[float, bool]] = []
        for fault in self.c.scenario.faults:
            out.append((fault.at, True))
            if isinstance(fault, CrashHost | CrashDb | CrashDcs):
                if fault.restart_after is not None:
                    out.append((fault.at + fault.restart_after, False))
            elif not isinstance(fault, Corrupt):  # corruption has no end: a restore undoes it
                out.append((fault.at + fault.duration, False))
        return sorted(out)

    # --- the timeline --------------------------------------------------------------------

    def _record(self, i: int, fault: Fault, phase: str, targets: list[str]) -> None:
        row = FaultEvent(self.c.env.now, i, describe(fault), phase, tuple(targets))  # type: ignore[arg-type]
        self.c.history.faults.append(row)
        self.c.last_change = self.c.env.now

    def _run(self, i: int, fault: Fault) -> Generator[Any, Any, None]:
        env = self.c.env
        yield env.timeout(fault.at - env.now)
        self._started.add(i)
        if isinstance(fault, CrashHost | CrashDb | CrashDcs):
            self._crash(i, fault)
        elif isinstance(fault, Flap):
            yield from self._flap(i, fault)
            return
        elif isinstance(fault, Corrupt):
            self._corrupt(i, fault)
            return
        else:
            hosts = self._begin(i, fault)
            self._hosts[i] = hosts
            self._record(i, fault, "start", hosts)
            self._ends[i] = (env.now + fault.duration, lambda: self._end(i, fault, hosts))
            yield from self._ending(i, fault.duration)
            return
        if i in self._ends:
            assert isinstance(fault, CrashHost | CrashDb | CrashDcs)
            yield from self._ending(i, fault.restart_after)

    def _ending(self, i: int, delay: float | None = None) -> Generator[Any, Any, None]:
        """End fault `i` at its time: `delay` from now when it has just started."""
        at, end = self._ends[i]
        yield self.c.env.timeout(at - self.c.env.now if delay is None else delay)
        del self._ends[i]
        end()

    def _end(self, i: int, fault: Fault, hosts: list[str]) -> None:
        undo = self._undo.pop(i, None)
        if undo is not None:
            undo()
            self._record(i, fault, "end", hosts)

    # --- crashes -------------------------------------------------------------------------

    def _crash(self, i: int, fault: CrashHost | CrashDb | CrashDcs) -> None:
        count = fault.count if isinstance(fault, CrashDcs) else None
        targets = resolve(self.c, fault.target, self.rng, count)
        self._hosts[i] = targets
        self._record(i, fault, "start", targets)
        # The hosts that power on after `restart_after` when only some do; None: all of them.
        some: list[str] | None = None
        if isinstance(fault, CrashDb):
            for name in targets:
                node = self.c.nodes[name]
                if node.process != "stopped":
                    node.crash(host_down=False)
                    self.c.controller.db_crashed(name)

            def restart() -> None:
                for name in targets:
                    self.c.controller.restart_db(name)

        else:
            for host in targets:
                self.c.power_off(host)
                if isinstance(fault, CrashHost) and fault.lose_disk and host in self.c.nodes:
                    self.c.nodes[host].wipe()
            if isinstance(fault, CrashHost) and fault.restart_fraction < 1.0:
                picked = pick(targets, round(fault.restart_fraction * len(targets)), self.rng)
                some = sorted(picked, key=self.c.order)

            def restart() -> None:
                for host in targets:
                    self.c.power_on(host)

        self._undo[i] = restart
        if fault.restart_after is None:
            return

        def back() -> None:
            if some is None:
                self._end(i, fault, targets)
                return
            # Only some hosts come back now (their host_up events say when); the fault ends
            # with the others, at the final heal.
            for host in some:
                self.c.power_on(host)

        self._ends[i] = (self.c.env.now + fault.restart_after, back)

    def _corrupt(self, i: int, fault: Corrupt) -> None:
        """Logical corruption on the primary (on none when there is no primary now): it has
        no end, only a restore undoes it."""
        c = self.c
        primary = next(
            (c.nodes[n] for n in sorted(c.nodes, key=c.order) if c.nodes[n].writable), None
        )
        self._record(i, fault, "start", [primary.name] if primary is not None else [])
        if primary is not None:
            c.objects.lose(primary, fault.share)

    # --- network and processes -----------------------------------------------------------

    def _begin(self, i: int, fault: Fault) -> list[str]:
        """Start a fault that lasts `duration`; returns the hosts it touches."""
        c = self.c
        if isinstance(fault, Partition | Isolate):
            pairs = partition_pairs(c, fault, self.rng)
            self._cut(i, pairs)
            return sorted({h for pair in pairs for h in pair}, key=c.order)
        targets = resolve(c, fault.target, self.rng)  # type: ignore[union-attr]
        if isinstance(fault, Slow | Loss | Bandwidth):
            # Latency is added where tc-netem adds it, on what a target sends; loss and caps
            # hit its flows both ways. Each pair once, however many targets it joins.
            pairs = {(t, h) for t in targets for h in c.net.hosts() if h != t}
            if not isinstance(fault, Slow):
                pairs |= {(h, t) for t, h in pairs}
            flows = tuple(sorted(pairs, key=lambda p: (c.order(p[0]), c.order(p[1]))))
            impairment = Impairment(
                flows,
                latency_s=fault.latency if isinstance(fault, Slow) else 0.0,
                jitter_s=fault.jitter if isinstance(fault, Slow) else 0.0,
                loss=fault.probability if isinstance(fault, Loss) else 0.0,
                cap_bps=fault.rate if isinstance(fault, Bandwidth) else float("inf"),
            )
            c.net.impair(i, impairment)
            c.network_changed()

            def restore() -> None:
                c.net.restore(i)
                c.network_changed()

            self._undo[i] = restore
        elif isinstance(fault, Pause):
            for host in targets:
                c.pause(host, fault.process)

            def resume() -> None:
                for host in targets:
                    c.resume(host, fault.process)

            self._undo[i] = resume
        elif isinstance(fault, ClockSkew):
            for host in targets:
                c.clocks[host] = fault.rate
            c.event("clock_skew", ",".join(targets), f"rate {fault.rate:g}")

            def reset() -> None:
                for host in targets:
                    c.clocks[host] = 1.0

            self._undo[i] = reset
        return targets

    def _cut(self, i: int, pairs: Pairs) -> None:
        c = self.c
        c.net.cut(pairs)
        c.network_changed()
        c.event("network_cut", "", drop_map(pairs, c.order))

        def heal() -> None:
            c.net.heal(pairs)
            c.network_changed()

        self._undo[i] = heal

    def _flap(self, i: int, fault: Flap) -> Generator[Any, Any, None]:
        env = self.c.env
        # Built from parsed values (seconds), so without validation.
        as_partition = Partition.model_construct(
            kind="partition",
            at=fault.at,
            duration=fault.duration,
            groups=fault.groups,
            pattern=None,
            one_way=False,
        )
        pairs = partition_pairs(self.c, as_partition, self.rng)
        hosts = sorted({h for pair in pairs for h in pair}, key=self.c.order)
        self._hosts[i] = hosts
        self._record(i, fault, "start", hosts)
        end = env.now + fault.duration
        while env.now < end and not self._healed:
            self._cut(i, pairs)
            self.c.event("link_down", ",".join(hosts))
            yield env.timeout(min(fault.down, end - env.now))
            undo = self._undo.pop(i, None)
            if undo is None:
                return
            undo()
            self.c.event("link_up", ",".join(hosts))
            if env.now < end:
                yield env.timeout(min(fault.up, end - env.now))
        if not self._healed:
            self._record(i, fault, "end", hosts)

    # --- after the incident ----------------------------------------------------------------

    def heal(self) -> None:
        """End every fault: cuts heal, gray failures lift, crashed hosts and processes come
        back, paused ones resume, clocks run true."""
        self._healed = True
        for i, fault in enumerate(self.c.scenario.faults):
            undo = self._undo.pop(i, None)
            if undo is not None:
                undo()
                self._record(i, fault, "end", self._hosts.get(i, []))
        self.c.controller.heal()
