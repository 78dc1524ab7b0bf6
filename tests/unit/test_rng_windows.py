"""Named streams per incident window: from window k on, a stream draws from `name@k`, so what a
window draws does not depend on how many numbers came before it."""

from __future__ import annotations

from sim.rng import Stream, Streams


def test_a_rekeyed_stream_forgets_what_was_drawn_before() -> None:
    busy, idle = Streams(7), Streams(7)
    for _ in range(1000):
        busy("network").random()
    idle("network").random()
    busy.rekey(3)
    idle.rekey(3)
    assert [busy("network").random() for _ in range(5)] == [
        idle("network").random() for _ in range(5)
    ]


def test_a_stream_created_after_a_rekey_draws_from_its_window() -> None:
    streams = Streams(7)
    streams.rekey(2)
    assert streams("late").random() == Stream(7, "late@2").random()
    assert streams("late").random() != Stream(7, "late").random()


def test_window_zero_is_the_plain_stream() -> None:
    assert Streams(7)("x").random() == Stream(7, "x").random()
