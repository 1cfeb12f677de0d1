from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from outbound_profiles.domain.timestamps import iso8601, now


def test_iso8601_is_utc_with_z() -> None:
    value = datetime(2026, 11, 27, 4, 5, 6, 123456, tzinfo=timezone(timedelta(hours=2)))

    assert iso8601(value) == "2026-11-27T02:05:06.123456Z"


def test_now_is_aware_utc() -> None:
    assert now().tzinfo is UTC
