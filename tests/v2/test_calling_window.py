"""Times of a v2 calling window: `HH:MM`, `HH:MM:SS` and RFC 3339 times, kept in UTC to the second."""

from __future__ import annotations

import pytest

from outbound_profiles.v2.calling_window import shown, utc_time_of_day


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("08:00", "08:00:00"),
        ("08:00:30", "08:00:30"),
        ("08:00:00.00Z", "08:00:00"),
        ("20:00:00.999999z", "20:00:00"),
        ("10:15:00+02:00", "08:15:00"),
        ("01:00:00+02:30", "22:30:00"),
        ("23:00:00-01:30", "00:30:00"),
        ("08:00Z", "08:00:00"),
        ("00:00:00-00:00", "00:00:00"),
    ],
)
def test_a_time_is_read_in_utc(text: str, utc: str) -> None:
    assert utc_time_of_day(text) == utc


@pytest.mark.parametrize(
    "text",
    ["8:00", "24:00", "08:60", "08:00:60", "08:00:00.", "08:00:00+2", "08:00:00+24:00", "08:00\n", "8 am", ""],
)
def test_what_is_not_a_time_is_refused(text: str) -> None:
    assert utc_time_of_day(text) is None


def test_times_are_shown_as_telnyx_writes_them() -> None:
    assert shown("08:00:00") == "08:00:00.00Z"
