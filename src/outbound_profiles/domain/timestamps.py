from __future__ import annotations

from datetime import UTC, datetime

import msgspec

# msgspec writes a UTC datetime as RFC 3339 with a `Z` in about a tenth of the time `isoformat`
# takes (a profile's answer carries two); it leaves the fraction out when it is zero.
_encode = msgspec.json.Encoder().encode


def now() -> datetime:
    return datetime.now(UTC)


def iso8601(value: datetime) -> str:
    """ISO 8601 in UTC with a `Z` and always six decimals, e.g. 2026-11-27T04:05:06.123456Z."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    text = _encode(value)  # b'"2026-11-27T04:05:06.123456Z"'
    return text[1:-2].decode() + ("Z" if value.microsecond else ".000000Z")
