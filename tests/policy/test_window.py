from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from outbound_profiles.policy.window import Window, seconds_of_day

DAY = 86_400
MONDAY = 1_796_601_600  # 2026-12-07T00:00:00Z


def test_seconds_of_day() -> None:
    assert seconds_of_day("00:00:00") == 0
    assert seconds_of_day("23:59:59") == DAY - 1


def test_a_day_window() -> None:
    window = Window(seconds_of_day("08:00:00"), seconds_of_day("18:00:00"), None)
    assert window.occurrence_end(MONDAY + 7 * 3600) is None
    assert window.occurrence_end(MONDAY + 8 * 3600) == MONDAY + 18 * 3600
    assert window.occurrence_end(MONDAY + 18 * 3600) is None


def test_a_window_across_midnight() -> None:
    window = Window(seconds_of_day("22:00:00"), seconds_of_day("06:00:00"), 3)
    assert window.occurrence_end(MONDAY + 23 * 3600) == MONDAY + DAY + 6 * 3600
    assert window.occurrence_end(MONDAY + 5 * 3600) == MONDAY + 6 * 3600
    assert window.occurrence_end(MONDAY + 12 * 3600) is None


def test_equal_times_are_the_whole_day() -> None:
    window = Window(3600, 3600, None)
    assert window.occurrence_end(MONDAY + 10) == MONDAY + 3600
    assert window.occurrence_end(MONDAY + 3600) == MONDAY + DAY + 3600
    assert Window(0, 0, None).occurrence_end(MONDAY + DAY - 1) == MONDAY + DAY


@given(st.integers(0, DAY - 1), st.integers(0, DAY - 1), st.integers(0, 10 * DAY))
def test_an_occurrence_ends_after_now_within_a_day_and_at_the_end_time(start: int, end: int, offset: int) -> None:
    now = MONDAY + offset
    ends = Window(start, end, None).occurrence_end(now)
    t = offset % DAY
    inside = start == end or (start <= t < end if start < end else (t >= start or t < end))
    assert (ends is not None) == inside
    if ends is not None:
        assert now < ends <= now + DAY
        assert ends % DAY == end % DAY
