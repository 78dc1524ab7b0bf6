"""Where things run: regions contain zones, zones contain hosts."""

from __future__ import annotations

from pydantic import Field

from sim.spec.base import HostKind, Name, Spec


class Host(Spec):
    """One machine: a database node, a consensus-store member, a proxy, a client or an observer."""

    name: Name
    kind: HostKind = Field(
        description="db, dcs (consensus store member), proxy, client, observer, backup (a "
        "backup store), spare (an idle machine a restore can build a database node on)"
    )


class Zone(Spec):
    """An availability zone: hosts that share power and network (a failure domain)."""

    name: Name
    hosts: list[Host] = Field(min_length=1)


class Region(Spec):
    """A region: zones close enough for synchronous traffic."""

    name: Name
    zones: list[Zone] = Field(min_length=1)
