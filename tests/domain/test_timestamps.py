from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outbound_profiles.domain.timestamps import iso8601, now, parse_iso8601


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


# RFC 3339 offsets are whole minutes (a zone's historical offsets may have seconds).
_OFFSETS = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))


@given(st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=_OFFSETS))
def test_parse_iso8601_reads_what_iso8601_writes_and_any_offset(value: datetime) -> None:
    assert parse_iso8601(iso8601(value)) == value
    assert parse_iso8601(value.isoformat()) == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01T10:00:00Z", datetime(2026, 12, 1, 10, tzinfo=UTC)),
        ("2026-12-01t10:00:00z", datetime(2026, 12, 1, 10, tzinfo=UTC)),
        ("2026-12-01 11:30:00+01:30", datetime(2026, 12, 1, 10, tzinfo=UTC)),
        # Between two microseconds: the later one (times are stored to the microsecond).
        ("2026-12-01T10:00:00.1234561-00:00", datetime(2026, 12, 1, 10, 0, 0, 123457, tzinfo=UTC)),
        ("2026-12-01T10:00:00.9999999Z", datetime(2026, 12, 1, 10, 0, 1, tzinfo=UTC)),
        ("2026-12-01T10:00:00.123456000Z", datetime(2026, 12, 1, 10, 0, 0, 123456, tzinfo=UTC)),
    ],
)
def test_parse_iso8601_answers_the_instant_in_utc(text: str, expected: datetime) -> None:
    parsed = parse_iso8601(text)

    assert parsed == expected
    assert parsed is not None
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-12-01",
        "2026-12-01T10:00:00",  # no offset: not an instant
        "2026-12-01T10:00Z",  # no seconds
        "2026-13-01T10:00:00Z",
        "2026-02-29T10:00:00Z",
        "20261201T100000Z",
        "2026-12-01T10:00:00+0100",
        "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
        " 2026-12-01T10:00:00Z",
        "2026-12-01T10:00:00Z\n",
        "\uff12\uff10\uff12\uff16-12-01T10:00:00Z",  # other digits than ASCII (fullwidth)
    ],
)
def test_parse_iso8601_refuses_anything_else(text: str) -> None:
    assert parse_iso8601(text) is None
