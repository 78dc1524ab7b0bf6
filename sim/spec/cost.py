"""Prices: what running a topology costs per month, from public list prices in the file."""

from __future__ import annotations

from pydantic import Field

from sim.spec.base import Spec


class Cost(Spec):
    """Public list prices in US dollars (the file says where each comes from). A month is
    730 hours, as cloud bills count it; a GB is 2^30 bytes, as they bill storage."""

    db_node_usd_per_hour: float = Field(ge=0.0, description="one db host's instance")
    other_node_usd_per_hour: float = Field(
        ge=0.0, description="one consensus-store member, proxy or observer host's instance"
    )
    storage_usd_per_gb_month: float = Field(
        ge=0.0, description="a db host's data volume, per provisioned GB"
    )
    backup_usd_per_gb_month: float = Field(
        ge=0.0, description="backup storage (object store or snapshots), per stored GB"
    )
    cross_zone_usd_per_gb: float = Field(
        ge=0.0, description="traffic between zones of a region, per GB"
    )
    cross_region_usd_per_gb: float = Field(ge=0.0, description="traffic between regions, per GB")
    writes_usd_per_million: float = Field(
        default=0.0,
        ge=0.0,
        description="a service billed per request: each million writes applied on a db host "
        "(a global table bills a replicated write in every replica region); 0: billed by "
        "instance",
    )
