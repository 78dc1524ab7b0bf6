"""How clients find the primary: a health-checking proxy or a DNS name."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from sim.spec.base import Name, Spec
from sim.units import Duration


class Proxy(Spec):
    """A TCP proxy with active health checks (HAProxy semantics): `fall` failed checks mark a
    backend down, `rise` good ones mark it up; clients connect to the first backend up."""

    kind: Literal["proxy"]
    proxies: list[Name] = Field(min_length=1, description="proxy hosts")
    check: Literal["role", "tcp"] = Field(
        description="role: ask the node's failover agent whether it is the writable primary; "
        "tcp: any running database passes"
    )
    inter: Duration = Field(description="interval between two checks of one backend")
    fall: int = Field(ge=1, description="consecutive failed checks that mark a backend down")
    rise: int = Field(ge=1, description="consecutive good checks that mark a backend up")
    check_timeout: Duration = Field(description="a check without an answer fails after this")
    shutdown_sessions: bool = Field(
        description="close the client sessions of a backend when it is marked down"
    )
    connect_timeout: Duration = Field(description="the proxy's own connect timeout to a backend")


class Dns(Spec):
    """A DNS name pointing at the primary; whoever promotes updates the record."""

    kind: Literal["dns"]
    ttl: Duration = Field(description="how long resolvers and clients cache the answer")
    update: Duration = Field(description="from the API call to the new answer being served")


class Discovery(Spec):
    """A topology-aware driver: it asks the database nodes (MongoDB drivers, etcd clients) or
    the observers (Sentinel-aware clients) which node is the primary, checks again every
    `refresh` and at once after an error, and waits up to `selection_timeout` for a primary
    before failing. Among several nodes that claim to be primary it trusts the newest term."""

    kind: Literal["discovery"]
    source: Literal["nodes", "observers"]
    refresh: Duration = Field(description="background check interval (heartbeatFrequencyMS)")
    selection_timeout: Duration = Field(
        description="an operation waits this long for a primary (serverSelectionTimeoutMS)"
    )


Routing = Annotated[Proxy | Dns | Discovery, Field(discriminator="kind")]
