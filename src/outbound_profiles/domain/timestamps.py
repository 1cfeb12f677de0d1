from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def iso8601(value: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, e.g. 2026-11-27T04:05:06.123456Z."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"  # "+00:00" -> "Z"; C-fast
