"""Quantities with units, parsed once at the file boundary.

Inside `sim/` time is float seconds, sizes are int bytes, counts per second are floats and
byte rates are floats in bytes per second. Files always write the unit (`250ms`, `16MB`,
`2000/s`, `125MB/s`); a bare number is rejected, except 0, which is zero in every unit.

Why binary sizes: PostgreSQL, MySQL and Patroni all read `1MB` as 1024 × 1024 bytes
(`maximum_lag_on_failover: 1048576` is Patroni's "1MB"), and the presets quote their docs.
Network speeds in bits (`1Gbit/s`) are decimal, as link speeds are.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

_NUMBER = r"(?P<num>[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)"

DURATION_UNITS_S: dict[str, float] = {
    "us": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "min": 60.0,
    "h": 3600.0,
    "d": 86400.0,
}
SIZE_UNITS_B: dict[str, int] = {
    "B": 1,
    "KB": 1024,
    "MB": 1024**2,
    "GB": 1024**3,
    "TB": 1024**4,
    "KiB": 1024,
    "MiB": 1024**2,
    "GiB": 1024**3,
    "TiB": 1024**4,
}
BIT_UNITS_B: dict[str, float] = {"bit": 1 / 8, "Kbit": 1e3 / 8, "Mbit": 1e6 / 8, "Gbit": 1e9 / 8}
PER_UNITS_S: dict[str, float] = {"s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}

_DURATION_RE = re.compile(rf"^\s*{_NUMBER}\s*(?P<unit>us|ms|s|min|m|h|d)\s*$")
_SIZE_RE = re.compile(rf"^\s*{_NUMBER}\s*(?P<unit>[KMGT]i?B|B)\s*$")
_RATE_RE = re.compile(rf"^\s*{_NUMBER}\s*/\s*(?P<per>s|min|m|h|d)\s*$")
_BYTE_RATE_RE = re.compile(
    rf"^\s*{_NUMBER}\s*(?P<unit>[KMGT]i?B|B|[KMG]?bit)\s*/\s*(?P<per>s|min|m|h|d)\s*$"
)


def _zero(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == 0


def _bare_number_message(value: Any, example: str) -> str:
    return f"{value!r} has no unit: write it with one, e.g. '{value}{example}'"


def parse_duration(value: Any) -> float:
    """Seconds from a duration such as `250ms`, `30s`, `5m`, `2h` or `7d`."""
    if _zero(value):
        return 0.0
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(_bare_number_message(value, "s"))
    if not isinstance(value, str) or not (m := _DURATION_RE.match(value)):
        raise ValueError(
            f"{value!r} is not a duration: write e.g. '250ms', '30s', '5m', '2h', '7d'"
        )
    return float(m["num"]) * DURATION_UNITS_S[m["unit"]]


def parse_size(value: Any) -> int:
    """Bytes from a size such as `16MB` or `2TB` (binary multiples, as PostgreSQL reads them)."""
    if _zero(value):
        return 0
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(_bare_number_message(value, "MB"))
    if not isinstance(value, str) or not (m := _SIZE_RE.match(value)):
        raise ValueError(f"{value!r} is not a size: write e.g. '16KB', '1MB', '500GB', '2TB'")
    return round(float(m["num"]) * SIZE_UNITS_B[m["unit"]])


def parse_rate(value: Any) -> float:
    """Events per second from a rate such as `2000/s` or `12/h`."""
    if _zero(value):
        return 0.0
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(_bare_number_message(value, "/s"))
    if not isinstance(value, str) or not (m := _RATE_RE.match(value)):
        raise ValueError(f"{value!r} is not a rate: write e.g. '10/s', '2000/s', '12/h'")
    return float(m["num"]) / PER_UNITS_S[m["per"]]


def parse_byte_rate(value: Any) -> float:
    """Bytes per second from a throughput such as `125MB/s` or `1Gbit/s`."""
    if _zero(value):
        return 0.0
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(_bare_number_message(value, "MB/s"))
    if not isinstance(value, str) or not (m := _BYTE_RATE_RE.match(value)):
        raise ValueError(f"{value!r} is not a throughput: write e.g. '125MB/s', '1Gbit/s'")
    unit = m["unit"]
    per_byte = BIT_UNITS_B[unit] if unit.endswith("bit") else SIZE_UNITS_B[unit]
    return float(m["num"]) * per_byte / PER_UNITS_S[m["per"]]


def format_duration(seconds: float) -> str:
    """A short human form of a duration in seconds, for reports (`inf` when censored)."""
    if seconds != seconds:
        return "n/a"
    if seconds == float("inf"):
        return "inf (no recovery)"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def format_size(nbytes: float) -> str:
    """A short human form of a size in bytes."""
    for unit, factor in (("TB", 1024**4), ("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if abs(nbytes) >= factor:
            return f"{nbytes / factor:.1f} {unit}"
    return f"{nbytes:.0f} B"


def write_duration(seconds: float) -> str | int:
    """A duration in file syntax (`250ms`, `30s`), the inverse of `parse_duration`."""
    if seconds == 0:
        return 0
    if seconds < 1:
        return f"{seconds * 1000:g}ms"
    return f"{seconds:g}s"


def write_size(nbytes: int) -> str | int:
    """A size in file syntax, in the largest binary unit that divides it."""
    if nbytes == 0:
        return 0
    for unit in ("TB", "GB", "MB", "KB"):
        if nbytes % SIZE_UNITS_B[unit] == 0:
            return f"{nbytes // SIZE_UNITS_B[unit]}{unit}"
    return f"{nbytes}B"


def write_rate(per_s: float) -> str | int:
    return 0 if per_s == 0 else f"{per_s:g}/s"


def write_byte_rate(bps: float) -> str | int:
    return 0 if bps == 0 else f"{bps / SIZE_UNITS_B['MB']:g}MB/s"


def _schema(regex: re.Pattern[str], examples: list[str], description: str) -> WithJsonSchema:
    # JSON Schema patterns are ECMA-262 regular expressions: no Python named groups.
    pattern = re.sub(r"\?P<\w+>", "", regex.pattern)
    return WithJsonSchema(
        {
            "anyOf": [{"type": "string", "pattern": pattern}, {"const": 0}],
            "examples": examples,
            "description": description,
        }
    )


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(write_duration, when_used="json"),
    _schema(_DURATION_RE, ["250ms", "30s", "5m"], "A duration with its unit."),
]
Size = Annotated[
    int,
    BeforeValidator(parse_size),
    PlainSerializer(write_size, when_used="json"),
    _schema(_SIZE_RE, ["16MB", "2TB"], "A size with its unit (binary multiples)."),
]
Rate = Annotated[
    float,
    BeforeValidator(parse_rate),
    PlainSerializer(write_rate, when_used="json"),
    _schema(_RATE_RE, ["10/s", "2000/s"], "A count per unit of time."),
]
ByteRate = Annotated[
    float,
    BeforeValidator(parse_byte_rate),
    PlainSerializer(write_byte_rate, when_used="json"),
    _schema(_BYTE_RATE_RE, ["125MB/s", "1Gbit/s"], "A throughput with its unit."),
]
