"""The `none` family: no primary to fail over. Every node takes writes (multi-primary,
leaderless); a crashed node's process is restarted by its service manager, and clients go
to another node meanwhile."""

from __future__ import annotations

from sim.cluster.core import Controller


class NoFailoverFamily(Controller):
    """Nothing to decide: nodes come back by themselves."""

    def reports_primary(self, node: str, prober: str) -> bool | None:
        if not self.c.net.connected(prober, node) or self.c.paused(node, "db"):
            return None
        return self.c.nodes[node].writable

    def host_powered(self, host: str, up: bool) -> None:
        if up and host in self.c.nodes:
            self.c.nodes[host].process = "stopped"
            self.restart_db(host)
