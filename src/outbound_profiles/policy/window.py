"""A profile's calling window: the UTC hours in which calls may start, each day."""

from __future__ import annotations

import msgspec

_DAY_S = 86_400


def seconds_of_day(hh_mm_ss: str) -> int:
    hours, minutes, seconds = hh_mm_ss.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds)


class Window(msgspec.Struct, frozen=True, gc=False):
    """From `start` to `end` seconds after midnight UTC: start > end wraps midnight, start == end is
    the whole day."""

    start: int
    end: int
    calls_per_cld: int | None

    def occurrence_end(self, now_s: float) -> float | None:
        """When the occurrence of the window that contains `now_s` (epoch seconds) ends, or None
        when `now_s` is outside the window."""
        day = now_s - now_s % _DAY_S
        t = now_s - day
        if self.start == self.end:  # a whole day, from that time to the same time the next day
            return day + self.end if t < self.end else day + _DAY_S + self.end
        if self.start < self.end:
            return day + self.end if self.start <= t < self.end else None
        if t >= self.start:
            return day + _DAY_S + self.end
        return day + self.end if t < self.end else None
