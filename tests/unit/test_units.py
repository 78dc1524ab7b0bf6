"""Quantities with units: exact values, zero, and the messages for what is rejected."""

from __future__ import annotations

import pytest

from sim.units import (
    format_duration,
    format_size,
    parse_byte_rate,
    parse_duration,
    parse_rate,
    parse_size,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("250ms", 0.25),
        ("30s", 30.0),
        ("5m", 300.0),
        ("5min", 300.0),
        ("2h", 7200.0),
        ("7d", 604800.0),
        ("1.5s", 1.5),
        ("100us", 1e-4),
    ],
)
def test_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "nbytes"),
    [
        ("16MB", 16 * 1024**2),
        ("2TB", 2 * 1024**4),
        ("500GB", 500 * 1024**3),
        ("2KB", 2048),
        ("1MiB", 1024**2),
        ("512B", 512),
    ],
)
def test_size_is_binary(text: str, nbytes: int) -> None:
    assert parse_size(text) == nbytes
    assert isinstance(parse_size(text), int)


def test_rate() -> None:
    assert parse_rate("2000/s") == 2000.0
    assert parse_rate("12/h") == pytest.approx(12 / 3600)
    assert parse_rate("10 / s") == 10.0


@pytest.mark.parametrize(
    ("text", "bytes_per_s"),
    [
        ("1Gbit/s", 125e6),
        ("10Mbit/s", 1.25e6),
        ("125MB/s", 125 * 1024**2),
        ("1GB/min", 1024**3 / 60),
    ],
)
def test_byte_rate(text: str, bytes_per_s: float) -> None:
    assert parse_byte_rate(text) == pytest.approx(bytes_per_s, rel=1e-12)


@pytest.mark.parametrize("parse", [parse_duration, parse_size, parse_rate, parse_byte_rate])
@pytest.mark.parametrize("zero", [0, 0.0])
def test_zero_needs_no_unit(parse, zero: float) -> None:
    assert parse(zero) == 0


@pytest.mark.parametrize(
    ("parse", "value", "suggestion"),
    [
        (parse_duration, 30, "'30s'"),
        (parse_size, 16, "'16MB'"),
        (parse_rate, 2000, "'2000/s'"),
        (parse_byte_rate, 125, "'125MB/s'"),
        (parse_duration, 2.5, "'2.5s'"),
    ],
)
def test_bare_number_rejected_with_the_unit_to_write(parse, value: float, suggestion: str) -> None:
    with pytest.raises(ValueError, match="has no unit") as info:
        parse(value)
    assert suggestion in str(info.value)


@pytest.mark.parametrize(
    ("parse", "value", "kind"),
    [
        (parse_duration, "30 seconds", "is not a duration"),
        (parse_duration, "30", "is not a duration"),
        (parse_duration, "-5s", "is not a duration"),
        (parse_duration, "5MB", "is not a duration"),
        (parse_duration, True, "is not a duration"),
        (parse_size, "16 megabytes", "is not a size"),
        (parse_size, "16mb", "is not a size"),
        (parse_size, "30s", "is not a size"),
        (parse_rate, "2000", "is not a rate"),
        (parse_rate, "2000/week", "is not a rate"),
        (parse_byte_rate, "1Gbit", "is not a throughput"),
        (parse_byte_rate, "fast", "is not a throughput"),
        (parse_byte_rate, None, "is not a throughput"),
    ],
)
def test_garbage_rejected(parse, value: object, kind: str) -> None:
    with pytest.raises(ValueError, match=kind):
        parse(value)


def test_format_duration() -> None:
    assert format_duration(0.25) == "250 ms"
    assert format_duration(32.4037) == "32.4 s"
    assert format_duration(300) == "5.0 min"
    assert format_duration(7200) == "2.0 h"
    assert format_duration(float("inf")) == "inf (no recovery)"
    assert format_duration(float("nan")) == "n/a"


def test_format_size() -> None:
    assert format_size(0) == "0 B"
    assert format_size(16 * 1024**2) == "16.0 MB"
    assert format_size(2 * 1024**4) == "2.0 TB"
