"""The `consensus` failover family: the database nodes elect their leader themselves, with
Raft's rules (etcd, MongoDB replica sets, CockroachDB and TiKV ranges).

- The leader sends a heartbeat to every follower each `heartbeat`; a follower that hears
  none for its election timeout (drawn afresh from [T, T × (1 + jitter)] on every reset, on
  its own clock) stands for election.
- With pre-vote it first asks whether it could win: peers say yes only if they too have not
  heard from a leader for an election timeout, and its log is at least as up to date.
- A candidate raises the term and asks for votes; a node grants one vote per term, and only
  to a log at least as up to date as its own (last term, then last position). A majority
  makes a leader; a node that sees a higher term steps down.
- With check-quorum a leader that has not heard from a majority for an election timeout
  steps down.
Messages travel the network as everything else does: cut links drop them, gray failures
delay them, so an election can be triggered by delays alone (a false failover).

Terms and lineages: a leader's log is a new lineage forked where its log ended, so the
up-to-date rule compares (lineage, position), and a deposed leader's unreplicated writes are
rolled back when it rejoins.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from sim.cluster.core import Controller
from sim.history import Decision
from sim.spec.failover import Consensus

if TYPE_CHECKING:
    from sim.cluster.core import Cluster
    from sim.cluster.node import DbNode

Steps = Generator[Any, Any, Any]


class Member:
    """One node's Raft state; term and vote survive restarts (they are on disk)."""

    def __init__(self, family: ConsensusFamily, node: DbNode) -> None:
        self.f = family
        self.c = family.c
        self.node = node
        self.name = node.name
        self.term = 1
        self.voted: tuple[int, str] | None = None
        self.role = "follower"
        self.leader: str | None = None
        # When it last heard from a leader (or gave a vote): what a pre-vote asks about.
        self.last_heard = 0.0
        # When its election timer last restarted without that (it stood, or may not).
        self.timer_base = 0.0
        self.acks: dict[str, float] = {}
        self.timeout = 0.0
        self.wake = self.c.env.event()
        # Its timer waits for the database process to run (a rebooted node): nothing else
        # would start it when no leader is left to send heartbeats.
        self.dormant = False

    # --- helpers ---------------------------------------------------------------------------

    def up(self) -> bool:
        return self.c.net.up[self.name] and self.node.process in ("running", "stopping")

    def frozen(self) -> bool:
        return self.c.paused(self.name, "agent") or self.c.paused(self.name, "db")

    def log(self) -> tuple[int, float]:
        """Last log term and position: what the up-to-date rule compares."""
        return (self.node.lineage, self.node.position(self.c.env.now))

    def _reset_timeout(self) -> None:
        spec = self.f.spec
        draw = spec.election_timeout * (1.0 + spec.election_jitter * self.f.rng.random())
        self.timeout = self.c.local(self.name, draw)

    def _poke(self) -> None:
        if not self.wake.triggered:
            self.wake.succeed()
        self.wake = self.c.env.event()

    # --- the follower's timer ------------------------------------------------------------

    def run(self, heard: float | None = None) -> Steps:
        """The election timer: it last heard from a leader at `heard` (now if not given)."""
        env = self.c.env
        self._reset_timeout()
        self.last_heard = env.now if heard is None else heard
        while True:
            if self.role == "leader" or not self.up() or self.frozen():
                self.dormant = self.role != "leader"
                yield self.wake
                continue
            if self.dormant:
                # Its process has just come up: the election timer starts now.
                self.dormant = False
                self.timer_base = max(self.timer_base, env.now)
            deadline = max(self.last_heard, self.timer_base) + self.timeout
            if env.now < deadline:
                yield env.timeout(deadline - env.now) | self.wake
                continue
            if self.f.may_stand(self.name):
                yield from self._stand()
            else:
                self.timer_base = env.now
            self._reset_timeout()

    def _stand(self) -> Steps:
        env = self.c.env
        spec = self.f.spec
        if self.leader is not None and self.f.incident_open():
            self.c.event("failure_detected", self.name, f"no heartbeat from {self.leader}")
        peers = self.f.peers(self.name)
        # The election timer restarts when it stands, not when the votes stop coming: a
        # split vote costs one fresh timeout from then (etcd/raft), not a wait and a timeout.
        stood = env.now
        if spec.pre_vote:
            granted = yield from self.f.poll(self, peers, pre=True)
            if granted < self.f.majority or self.role == "leader":
                # It has still heard from no leader: it grants the next pre-vote it is asked.
                self.timer_base = stood
                return
            stood = env.now
        self.term += 1
        self.voted = (self.term, self.name)
        self.role = "candidate"
        term = self.term
        granted = yield from self.f.poll(self, peers, pre=False)
        if self.role == "candidate" and self.term == term and granted >= self.f.majority:
            self.f.elected(self)
        elif self.role == "candidate":
            self.role = "follower"
            self.timer_base = stood

    # --- messages ------------------------------------------------------------------------

    def on_heartbeat(self, term: int, leader: str) -> bool:
        """An AppendEntries from `leader`; True if accepted (the ack carries it back)."""
        if term < self.term or not self.up() or self.frozen():
            return False
        if term > self.term or self.role != "follower":
            self.become_follower(term)
        self.last_heard = self.c.env.now
        if self.leader != leader:
            self.leader = leader
            self.f.follow(self.node, leader)
        return True

    def on_vote_request(self, term: int, candidate: str, log: tuple[int, float], pre: bool) -> bool:
        if not self.up() or self.frozen():
            return False
        up_to_date = log >= self.log()
        if pre:
            quiet = self.c.env.now - self.last_heard >= self.c.local(
                self.name, self.f.spec.election_timeout
            )
            return up_to_date and (quiet or self.role == "candidate") and term > self.term
        if term > self.term:
            self.become_follower(term)
        if term < self.term or not up_to_date:
            return False
        if self.voted is not None and self.voted[0] == term and self.voted[1] != candidate:
            return False
        self.voted = (term, candidate)
        self.last_heard = self.c.env.now
        return True

    def become_follower(self, term: int) -> None:
        was_leader = self.role == "leader"
        self.term = max(self.term, term)
        self.role = "follower"
        if self.leader == self.name:
            self.leader = None
        if was_leader:
            self.c.event("step_down", self.name, f"term {self.term}")
            self.f.step_down(self.node)
        self._poke()


class ConsensusFamily(Controller):
    """Every member, the messages between them, and leadership changes."""

    def __init__(self, cluster: Cluster, spec: Consensus) -> None:
        super().__init__(cluster)
        self.spec = spec
        self.rng = cluster.rng("raft")
        self.members: dict[str, Member] = {}
        self.majority = 0
        self.leader: str | None = None
        self._fault_at = min((f.at for f in cluster.scenario.faults), default=float("inf"))
        # Members talk over long-lived TCP streams (etcd's rafthttp): a message cannot
        # overtake the one before it, so one retransmitted segment holds back every later
        # heartbeat on that stream. The latest arrival per (source, destination).
        self._stream_tail: dict[tuple[str, str], float] = {}
        self._last_leader: str | None = None
        self._leader_incarnation = 0

    def start(self) -> None:
        names = self.managed()
        self.majority = len(names) // 2 + 1
        for name in names:
            self.members[name] = Member(self, self.c.nodes[name])
        primary = self.c.topo.database.initial_primary
        first = self.members[primary]
        first.role, first.leader = "leader", primary
        self.leader = self._last_leader = primary
        self._leader_incarnation = self.c.nodes[primary].incarnation
        for name in names:
            self.members[name].leader = primary
            self.c.env.process(self.members[name].run())
        self.c.on_change(self._wake_restarted)
        self.c.env.process(self._heartbeats(first, first.term))

    def _wake_restarted(self) -> None:
        for name in self.members:
            member = self.members[name]
            if member.dormant and member.up() and not member.frozen():
                member._poke()

    def incident_open(self) -> bool:
        return self.c.env.now >= self._fault_at

    def peers(self, name: str) -> list[str]:
        return [m for m in self.members if m != name]

    def may_stand(self, name: str) -> bool:
        # A member whose disk was lost holds no log to lead with until it has re-cloned.
        node = self.c.nodes.get(name)
        if node is not None and node.wiped:
            return False
        return not self.spec.priority or name in self.spec.priority

    # --- messaging -------------------------------------------------------------------------

    def _delay(self, src: str, dst: str) -> float:
        """How long a message sent now from `src` takes to reach `dst`: the link's latency,
        what gray failures add, and the wait behind earlier messages on the stream."""
        net, now = self.c.net, self.c.env.now
        there = net.link(src, dst).median_s
        if net.impaired:
            there += net.penalty(((src, dst),), self.rng)
        pair = (src, dst)
        arrival = max(now + there, self._stream_tail.get(pair, 0.0))
        self._stream_tail[pair] = arrival
        return arrival - now

    def send(
        self, src: str, dst: str, deliver: Callable[[], Any], reply: Callable[[Any], None]
    ) -> None:
        """A request from `src` to `dst` and its reply, each delayed by the network (and
        dropped by a cut or a dead host)."""
        net = self.c.net
        if not net.reachable(src, dst):
            return
        there = self._delay(src, dst)

        def arrive(_: Any) -> None:
            # A cut made while the message was on its way drops it.
            if not net.up[dst] or not net.reachable(src, dst):
                return
            answer = deliver()
            if not net.reachable(dst, src):
                return
            back = self._delay(dst, src)

            def answered(_e: Any) -> None:
                if net.reachable(dst, src):
                    reply(answer)

            self.c.env.timeout(back).callbacks.append(answered)

        self.c.env.timeout(there).callbacks.append(arrive)

    def poll(self, member: Member, peers: list[str], pre: bool) -> Steps:
        """Ask every peer for a vote (or a pre-vote); wait up to an election timeout; return
        the votes granted, the candidate's own included."""
        env = self.c.env
        votes = {member.name}
        term = member.term + 1 if pre else member.term
        log = member.log()
        done = env.event()

        def counted(granted: Any, peer: str) -> None:
            if granted:
                votes.add(peer)
            if len(votes) >= self.majority and not done.triggered:
                done.succeed()

        for peer in peers:
            other = self.members[peer]
            self.send(
                member.name,
                peer,
                lambda other=other: other.on_vote_request(term, member.name, log, pre),
                lambda answer, peer=peer: counted(answer, peer),
            )
        yield done | env.timeout(self.c.local(member.name, self.spec.election_timeout))
        return len(votes)

    # --- leadership ----------------------------------------------------------------------

    def elected(self, member: Member) -> None:
        # The leader being replaced: the current one, or the last one if it has already
        # stepped down (check-quorum on delayed heartbeats) without being replaced.
        old = self.leader or self._last_leader
        # A leader whose process died since it led was repaired by its restart, not replaced
        # while healthy: electing another is no false failover.
        same_process = self._leader_incarnation == self.c.nodes[old or member.name].incarnation
        self._last_leader = member.name
        self._leader_incarnation = member.node.incarnation
        t = self.c.env.now
        if old is not None and old != member.name:
            net = self.c.net
            old_node = self.c.nodes[old]
            reaching = sum(1 for m in self.members if net.up[m] and net.connected(m, old))
            self.c.history.decisions.append(
                Decision(
                    t,
                    member.name,
                    old,
                    old_node.healthy and same_process,
                    reaching,
                    len(self.members),
                )
            )
        member.role, member.leader = "leader", member.name
        self.leader = member.name
        self.c.event("leader_elected", member.name, f"term {member.term}")
        node = member.node
        if node.role == "replica" and node.busy is None and node.process == "running":
            self.c.env.process(self._promote(member, member.term))
        self.c.env.process(self._heartbeats(member, member.term))

    def _promote(self, member: Member, term: int) -> Steps:
        yield from member.node.promote()
        if member.role != "leader" or member.term != term:
            # Deposed while it was opening for writes: it must not take any.
            self.step_down(member.node)
            return
        # Followers that heard of it while it was still opening could not compare logs
        # then; now they can, and one that wrote past the fork rolls back before it streams.
        for other in self.members.values():
            if other is not member and other.leader == member.name and other.term == term:
                self.follow(other.node, member.name)

    def _heartbeats(self, member: Member, term: int, phase: float = 0.0) -> Steps:
        """The leader's heartbeats, the first `phase` from now; with check-quorum, it counts
        the acks of the last election timeout once it has led that long."""
        env = self.c.env
        spec = self.spec
        if phase:
            yield env.timeout(phase)
        else:
            member.acks = {}
        since = env.now - phase
        while member.role == "leader" and member.term == term and member.up():
            if member.frozen():
                yield env.timeout(self.c.local(member.name, spec.heartbeat))
                continue
            for peer in self.peers(member.name):
                other = self.members[peer]
                if other.leader == member.name and other.term == term and other.role == "follower":
                    self._steady_heartbeat(member, other)
                    continue

                def ack(accepted: Any, peer: str = peer, other: Member = other) -> None:
                    if accepted:
                        member.acks[peer] = env.now
                    elif other.term > member.term:
                        member.become_follower(other.term)

                self.send(
                    member.name,
                    peer,
                    lambda other=other: other.on_heartbeat(term, member.name),
                    ack,
                )
            timeout = self.c.local(member.name, spec.election_timeout)
            if spec.check_quorum and env.now - since >= timeout:
                window = env.now - timeout
                heard = 1 + sum(1 for t in member.acks.values() if t >= window)
                if heard < self.majority:
                    self.c.event("lost_quorum", member.name, f"heard {heard}")
                    member.become_follower(member.term)
                    return
            yield env.timeout(self.c.local(member.name, spec.heartbeat))

    def _steady_heartbeat(self, leader: Member, follower: Member) -> None:
        """A heartbeat to a follower that already follows this leader in this term changes
        nothing but two timestamps: when the follower last heard it, and when the leader
        hears the ack. Computed at sending, without a simpy event (heartbeats are the bulk of
        a Raft cluster's messages)."""
        net = self.c.net
        src, dst = leader.name, follower.name
        if not net.reachable(src, dst) or not follower.up() or follower.frozen():
            return
        there = self._delay(src, dst)
        if there > self.spec.heartbeat:
            # Held up by retransmissions: it counts only once it has arrived, and not at
            # all if the link is cut meanwhile (a cut drops what is in flight).
            self.c.env.timeout(there).callbacks.append(
                lambda _e: self._late_heartbeat(leader, follower)
            )
            return
        arrival = self.c.env.now + there
        follower.last_heard = max(follower.last_heard, arrival)
        if net.reachable(dst, src):
            self._ack(leader, follower, there, there + self._delay(dst, src))

    def _late_heartbeat(self, leader: Member, follower: Member) -> None:
        net = self.c.net
        src, dst = leader.name, follower.name
        if not net.reachable(src, dst) or not follower.up():
            return
        if follower.leader != src or follower.term != leader.term:
            return
        follower.last_heard = max(follower.last_heard, self.c.env.now)
        if net.reachable(dst, src):
            self._ack(leader, follower, 0.0, self._delay(dst, src))

    def _ack(self, leader: Member, follower: Member, sent_in: float, back_in: float) -> None:
        """The follower's ack reaches the leader `back_in` from now (it left `sent_in` from
        now); an ack still on its way does not count for the leader's quorum check."""
        if back_in - sent_in <= self.spec.heartbeat:
            leader.acks[follower.name] = max(
                leader.acks.get(follower.name, 0.0), self.c.env.now + back_in
            )
            return
        net = self.c.net

        def arrived(_e: Any) -> None:
            if net.reachable(follower.name, leader.name):
                leader.acks[follower.name] = max(
                    leader.acks.get(follower.name, 0.0), self.c.env.now
                )

        self.c.env.timeout(back_in).callbacks.append(arrived)

    def follow(self, node: DbNode, leader: str) -> None:
        """`node` learnt of a new leader: stop leading, then follow it (rolling back what it
        wrote past the leader's log first)."""
        target = self.c.nodes[leader]
        if node.role == "primary":
            self.step_down(node)
            return
        if node.busy is not None:
            return
        if target.log is not None:
            self.repoint(node, target)
        else:
            self.c.replication.follow(node, leader)

    def step_down(self, node: DbNode) -> None:
        if node.role == "primary" and node.busy is None:
            node.step_down()
            if self.leader == node.name:
                self.leader = None

    # --- incident windows ----------------------------------------------------------------

    def settled(self) -> bool:
        """A leader runs as the writable primary, and every running member follows it in its
        term (no candidate, no member about to stand or roll back)."""
        leader = self.members.get(self.leader or "")
        if leader is None or leader.role != "leader" or not leader.node.writable:
            return False
        if leader.node.busy is not None:
            return False
        for m in self.members.values():
            if m is leader or not m.up():
                continue
            if m.role != "follower" or m.leader != leader.name or m.term != leader.term:
                return False
            if m.node.busy is not None or m.node.upstream != leader.name:
                return False
            if not m.node.follows_cleanly(leader.node):
                return False
        return True

    def rebase(self) -> None:
        """The leader's heartbeats restart at a fresh phase; each follower last heard the one
        before (one heartbeat earlier, one latency after it was sent), and the leader its ack;
        every election timer is drawn afresh."""
        now = self.c.env.now
        net = self.c.net
        self._stream_tail = {}
        leader = self.members[self.leader or ""]
        phase = self.rng.uniform(0.0, self.spec.heartbeat)
        sent = now + phase - self.c.local(leader.name, self.spec.heartbeat)
        leader.acks = {}
        for name in self.members:
            member = self.members[name]
            member.wake = self.c.env.event()
            heard = member.last_heard
            if member is not leader and member.up():
                there = net.median(leader.name, name)
                heard = sent + there
                leader.acks[name] = sent + there + net.median(name, leader.name)
            self.c.env.process(member.run(heard))
        self.c.env.process(self._heartbeats(leader, leader.term, phase))

    # --- Controller ----------------------------------------------------------------------

    def serves_reads(self, node: DbNode) -> bool:
        # A follower refuses a default (linearizable, primary-preferred) read: etcd forwards
        # it to the leader's ReadIndex, a MongoDB secondary answers NotWritablePrimary.
        return node.role == "primary" or self.c.topo.workload.reads_from != "primary"

    def reports_primary(self, node: str, prober: str) -> bool | None:
        if not self.c.net.connected(prober, node) or self.c.paused(node, "db"):
            return None
        return self.c.nodes[node].writable

    def term_of(self, node: str) -> int:
        return self.members[node].term

    def host_powered(self, host: str, up: bool) -> None:
        if host not in self.c.nodes:
            return
        member = self.members[host]
        if up:
            node = self.c.nodes[host]
            node.process = "stopped"
            member.role, member.leader = "follower", None
            member.timer_base = self.c.env.now
            self.c.env.process(node.start(as_primary=False))
        elif member.role == "leader":
            member.role = "follower"
            if self.leader == host:
                self.leader = None
        member._poke()

    def restart_db(self, node: str) -> None:
        db = self.c.nodes[node]
        if db.process == "stopped" and db.busy is None and db.host_up:
            self.members[node].role = "follower"
            self.c.env.process(db.start(as_primary=False))

    def db_crashed(self, node: str) -> None:
        member = self.members[node]
        if member.role == "leader":
            member.role = "follower"
            if self.leader == node:
                self.leader = None
        member._poke()
