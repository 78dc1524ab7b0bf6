"""What a topology costs per month, from the list prices in its file.

The bill of the steady state, not of one incident: instances, data volumes, backup storage
with its retention, replication and backup traffic between zones and regions, and requests
where a service bills them. Every run carries it, so that a comparison shows what each nine
and each second of RPO costs.

Why from the file rather than the history: a bill follows from what runs and what is kept,
for a whole month, whereas a run watches a few hours of one incident; the log volume comes
from the workload's mean rate (its steady transactions plus the mean of its bursts).
"""

from __future__ import annotations

from sim.sampling import lognormal_mean, mean
from sim.spec import Topology
from sim.spec.backup import Backups, FullBackup, IncrementalBackup, LogArchive, SnapshotBackup
from sim.spec.workload import Workload

HOURS_PER_MONTH = 730.0
MONTH_S = HOURS_PER_MONTH * 3600.0
GB = 1024**3
COST_KEYS = (
    "cost_month_usd",
    "compute_month_usd",
    "storage_month_usd",
    "backup_month_usd",
    "transfer_month_usd",
)
PRICED_KINDS = ("dcs", "proxy", "observer")


def log_rate(workload: Workload) -> float:
    """The application's mean log rate (bytes per second): steady transactions plus bursts
    (a burst's mean length times its mean rate, once per mean interval)."""
    rate = workload.transactions * workload.tx_bytes
    bursts = workload.bursts
    if bursts is not None:
        burst_rate = lognormal_mean(bursts.wal_rate.median, bursts.wal_rate.p99)
        rate += mean(bursts.duration) * burst_rate / bursts.every
    return rate


def mean_size(topology: Topology) -> float:
    """The database's mean size over a month of growth (bytes)."""
    db = topology.database
    return db.size + db.growth * MONTH_S / 2.0


def _changed(topology: Topology, span_s: float) -> float:
    """Distinct data changed over `span_s` (at most the whole database)."""
    return min(mean_size(topology), topology.database.churn * span_s)


def stored_bytes(topology: Topology, backups: Backups) -> dict[str, float]:
    """Each schedule's mean stored bytes in one of its stores, by schedule name: the copies
    its retention keeps."""
    fulls = [s for s in backups.schedules if isinstance(s, FullBackup)]
    full_every = fulls[0].every if fulls else 0.0
    out: dict[str, float] = {}
    for s in backups.schedules:
        if isinstance(s, LogArchive):
            out[s.name] = log_rate(topology.workload) * s.retention * s.compression
            continue
        kept = max(1.0, s.retention / s.every)
        if isinstance(s, FullBackup):
            out[s.name] = kept * mean_size(topology) * s.compression
        elif isinstance(s, SnapshotBackup):
            out[s.name] = mean_size(topology) + kept * _changed(topology, s.every)
        elif s.kind == "differential":
            out[s.name] = kept * _changed(topology, full_every / 2.0) * s.compression
        else:
            out[s.name] = kept * _changed(topology, s.every) * s.compression
    return out


def _sent_per_month(topology: Topology, backups: Backups) -> dict[str, float]:
    """Each schedule's bytes written to one of its stores per month."""
    out: dict[str, float] = {}
    for s in backups.schedules:
        if isinstance(s, LogArchive):
            out[s.name] = log_rate(topology.workload) * MONTH_S * s.compression
            continue
        jobs = MONTH_S / s.every
        if isinstance(s, FullBackup):
            out[s.name] = jobs * mean_size(topology) * s.compression
        elif isinstance(s, IncrementalBackup):
            out[s.name] = jobs * _changed(topology, s.every) * s.compression
        else:
            out[s.name] = jobs * _changed(topology, s.every)
    return out


def monthly_cost(topology: Topology) -> dict[str, float]:
    """The monthly bill under `COST_KEYS` (US dollars); empty for a file without prices."""
    prices = topology.cost
    if prices is None:
        return {}
    hosts = topology.hosts()
    db_hosts = topology.hosts_of("db")
    others = sum(len(topology.hosts_of(kind)) for kind in PRICED_KINDS)
    compute = HOURS_PER_MONTH * (
        len(db_hosts) * prices.db_node_usd_per_hour + others * prices.other_node_usd_per_hour
    )
    writes_m = topology.workload.transactions * MONTH_S / 1e6
    compute += prices.writes_usd_per_million * writes_m * len(db_hosts)
    storage = len(db_hosts) * mean_size(topology) / GB * prices.storage_usd_per_gb_month

    def price_between(a: str, b: str) -> float:
        (_, zone_a, region_a), (_, zone_b, region_b) = hosts[a], hosts[b]
        if region_a != region_b:
            return prices.cross_region_usd_per_gb
        return prices.cross_zone_usd_per_gb if zone_a != zone_b else 0.0

    # The log reaches every other db host once, priced by its link class from the initial
    # primary (every-primary clusters send from every node: the same volume, spread out).
    primary = topology.database.initial_primary
    log_gb = log_rate(topology.workload) * MONTH_S / GB
    transfer = sum(log_gb * price_between(primary, h) for h in db_hosts if h != primary)
    backup = 0.0
    if topology.backups is not None:
        kept = stored_bytes(topology, topology.backups)
        sent = _sent_per_month(topology, topology.backups)
        region = hosts[primary][2]
        for s in topology.backups.schedules:
            backup += len(s.to) * kept[s.name] / GB * prices.backup_usd_per_gb_month
            # A store in the primary's region is reached without a per-GB charge (a
            # regional object store); one in another region costs cross-region traffic.
            far = sum(1 for store in s.to if hosts[store][2] != region)
            transfer += far * sent[s.name] / GB * prices.cross_region_usd_per_gb
    total = compute + storage + backup + transfer
    return dict(zip(COST_KEYS, (total, compute, storage, backup, transfer), strict=True))
