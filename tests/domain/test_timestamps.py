from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from outbound_profiles.domain.timestamps import iso8601, now


def test_iso8601_is_utc_with_z() -> None:
    value = datetime(2026, 11, 27, 4, 5, 6, 123456, tzinfo=timezone(timedelta(hours=2)))

    assert iso8601(value) == "2026-11-27T02:05:06.123456Z"


def test_iso8601_always_has_six_decimals() -> None:
    assert iso8601(datetime(2026, 11, 27, 4, 5, 6, tzinfo=UTC)) == "2026-11-27T04:05:06.000000Z"
    assert iso8601(datetime(2026, 11, 27, 4, 5, 6, 120000, tzinfo=UTC)) == "2026-11-27T04:05:06.120000Z"


@given(st.datetimes(timezones=st.timezones() | st.just(UTC)))
def test_iso8601_is_isoformat_in_utc(value: datetime) -> None:
    expected = value.astimezone(UTC).isoformat(timespec="microseconds").removesuffix("+00:00") + "Z"

    assert iso8601(value) == expected


def test_now_is_aware_utc() -> None:
    assert now().tzinfo is UTC
