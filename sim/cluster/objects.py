"""Objects removed by logical corruption and brought back by restores, as the nodes see them.

A loss is a position on the primary's log: a node holds it once its own history (its lineage
chain, up to what it has written or replayed) holds that position, so it reaches every replica
with the log, as a `DROP TABLE` does. A request for a probe key on a missing object fails
there. An object restore is a position too (the copy into the live database), after which
the object is there again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.history import ObjectLoss, Recovery, on_object

if TYPE_CHECKING:
    from sim.cluster.core import Cluster
    from sim.cluster.node import DbNode


@dataclass(frozen=True, slots=True)
class ObjectEvent:
    """A loss (`restored` False) or a restore of the object holding `share` of the keys, at
    (`lineage`, `lsn`)."""

    t: float
    lineage: int
    lsn: float
    share: float
    restored: bool


class Objects:
    """The object events of one run."""

    def __init__(self, cluster: Cluster) -> None:
        self.c = cluster
        self.events: list[ObjectEvent] = []
        self._listeners: list[Callable[[ObjectEvent], None]] = []

    def on_loss(self, listener: Callable[[ObjectEvent], None]) -> None:
        """Call `listener` with every loss (the monitoring that pages a human)."""
        self._listeners.append(listener)

    def lose(self, node: DbNode, share: float) -> ObjectEvent:
        """Logical corruption on primary `node` now: the object is gone from its log on."""
        t = self.c.env.now
        event = ObjectEvent(t, node.lineage, node.position(t), share, False)
        self.events.append(event)
        self.c.history.object_losses.append(ObjectLoss(t, event.lineage, round(event.lsn), share))
        self.c.event("object_lost", node.name, f"share {share:g}")
        for listener in self._listeners:
            listener(event)
        self.c.changed()
        return event

    def restore(
        self,
        node: DbNode,
        share: float,
        source: tuple[int, float],
        chosen: float,
        covered: float,
    ) -> None:
        """The object as it was at `source` (on the way to the `chosen` target; `covered`:
        how far the history given up went) is copied into primary `node` now."""
        t = self.c.env.now
        at = node.position(t)
        self.events.append(ObjectEvent(t, node.lineage, at, share, True))
        lineage, target = source
        row = Recovery(
            t, node.name, lineage, round(target), round(chosen), round(covered),
            node.lineage, round(at), share,
        )  # fmt: skip
        self.c.history.recoveries.append(row)
        self.c.event("object_restored", node.name, f"share {share:g}")
        self.c.changed()

    def missing(self, node: DbNode, key: int, position: float) -> bool:
        """Whether `key` lies on an object that `node`, holding its lineage up to `position`,
        has lost (and not got back)."""
        state = False
        for e in self.events:
            if not on_object(key, e.share):
                continue
            limit = self.c.lineages.shared_limit(e.lineage, node.lineage)
            if limit is not None and e.lsn <= min(limit, position):
                state = not e.restored
        return state
