"""LineageTree: the final chain, survival, common points and LSN->time."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from sim.checkers import LineageTree

if TYPE_CHECKING:
    from conftest import HistoryBuilder


@pytest.fixture
def tree(hb: HistoryBuilder) -> LineageTree:
    """0 (root) -> 1 at 1000 -> 2 at 4000, final (2, 9000); off the chain: 3 from 1 at 5500,
    5 from 3 at 6000, 4 from 0 at 500, 6 from 1 at 3000, 7 from 6 at 3500."""
    hb.lineage(0).lineage(1, 0, 1000, 1.0).lineage(2, 1, 4000, 12.0)
    hb.lineage(3, 1, 5500, 13.0).lineage(5, 3, 6000, 14.0).lineage(4, 0, 500, 0.5)
    hb.lineage(6, 1, 3000, 6.0).lineage(7, 6, 3500, 7.0)
    hb.final(2, 9000)
    return LineageTree(hb.build())


def test_chain_and_limits(tree: LineageTree) -> None:
    assert tree.chain == (0, 1, 2)
    assert tree.limit == {2: 9000, 1: 4000, 0: 1000}


@pytest.mark.parametrize(
    ("lineage", "lsn", "survives"),
    [
        (0, 1000, True),
        (0, 1001, False),
        (1, 4000, True),
        (1, 5000, False),  # below the final LSN 9000, yet on a discarded branch
        (2, 9000, True),
        (2, 9001, False),
        (3, 5600, False),
        (4, 400, False),
        (-1, -1, False),
        (99, 0, False),
    ],
)
def test_survival(tree: LineageTree, lineage: int, lsn: int, survives: bool) -> None:
    assert tree.survives(lineage, lsn) is survives


@pytest.mark.parametrize(
    ("lineage", "point"),
    [
        (2, (2, 9000)),
        (1, (1, 4000)),
        (0, (0, 1000)),
        (3, (1, 4000)),  # forked above the chain's limit on 1
        (5, (1, 4000)),
        (4, (0, 500)),  # forked below the chain's limit on 0
        (6, (1, 3000)),
        (7, (1, 3000)),
        (99, None),
    ],
)
def test_common_point(tree: LineageTree, lineage: int, point: tuple[int, int] | None) -> None:
    assert tree.common_point(lineage) == point


def test_nothing_survives_without_a_final_read(hb: HistoryBuilder) -> None:
    tree = LineageTree(hb.lineage(0).lineage(1, 0, 100, 1.0).build())
    assert tree.chain == ()
    assert not tree.survives(0, 0)
    assert tree.common_point(1) is None


def test_time_at_interpolates_primary_samples_only(hb: HistoryBuilder) -> None:
    hb.lineage(0).lineage(1, 0, 5000, 9.0)
    # Recorded out of order, and with a flat stretch from 4 to 6 (no writes).
    hb.primary(0, (8.0, 7000), (2.0, 1000), (6.0, 3000), (4.0, 3000))
    hb.position(1.0, 0, 5000, "flushed")
    tree = LineageTree(hb.build())
    assert tree.time_at(0, 500) == 2.0  # below the first sample
    assert tree.time_at(0, 1000) == 2.0
    assert tree.time_at(0, 2000) == 3.0
    assert tree.time_at(0, 3000) == 4.0  # the first time it got there
    assert tree.time_at(0, 5000) == 7.0
    assert tree.time_at(0, 9000) == 8.0  # above the last sample
    assert tree.time_at(1, 6000) == 9.0  # no samples: the lineage's start


def test_held_rows_raise_each_limit_to_the_highest(hb: HistoryBuilder) -> None:
    """The tree of the fixture, holding also (1, 6000) on another primary, (3, 5800) and
    (0, 500), which is below what the chain already holds of 0."""
    hb.lineage(0).lineage(1, 0, 1000, 1.0).lineage(2, 1, 4000, 12.0)
    hb.lineage(3, 1, 5500, 13.0).lineage(5, 3, 6000, 14.0)
    hb.final(2, 9000).held(1, 6000).held(3, 5800).held(0, 500)
    tree = LineageTree(hb.build())
    assert tree.chain == (0, 1, 2)
    assert tree.limit == {2: 9000, 1: 6000, 0: 1000, 3: 5800}
    assert tree.survives(1, 5000)  # discarded by the final chain, held by another row
    assert not tree.survives(1, 6001)
    assert tree.common_point(5) == (3, 5800)


def test_without_a_final_read_the_first_held_row_gives_the_chain(hb: HistoryBuilder) -> None:
    hb.lineage(0).lineage(1, 0, 1000, 1.0).lineage(2, 1, 4000, 12.0).lineage(3, 1, 5500, 13.0)
    hb.held(3, 5800).held(2, 9000)
    tree = LineageTree(hb.build())
    assert tree.chain == (0, 1, 3)
    assert tree.limit == {3: 5800, 2: 9000, 1: 5500, 0: 1000}
