"""API v2's `calling_window`: the times Telnyx's documents write, and members merged like `call_recording`'s.

Telnyx types the times `format: time` and its own examples send `"08:00:00.00Z"`, so a time is read
as `HH:MM`, `HH:MM:SS` (UTC, as before) or an RFC 3339 time: a fraction (dropped: the window is
kept to the second) and `Z` or an offset (converted to UTC, wrapping around midnight). The stored
form is `HH:MM:SS` in UTC; answers show it as Telnyx's examples do, `HH:MM:SS.00Z`.
"""

from __future__ import annotations

import re
from typing import Any

from outbound_profiles.errors import Problems
from outbound_profiles.profiles.model import CallingWindow

_TIME = re.compile(
    r"(?P<hour>[01][0-9]|2[0-3]):(?P<minute>[0-5][0-9])"
    r"(?::(?P<second>[0-5][0-9])(?:\.[0-9]+)?)?"
    r"(?P<zone>[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?"
)
_DAY = 24 * 3600
# The window a profile without one is given when a body sets only some members: the whole day
# (equal times), no limit per called number.
WHOLE_DAY = CallingWindow(start_time="00:00:00", end_time="00:00:00", calls_per_cld=None)


def utc_time_of_day(text: str) -> str | None:
    """`text` as a UTC `HH:MM:SS`, or None when it is not a time of day."""
    match = _TIME.fullmatch(text)
    if match is None:
        return None
    seconds = int(match["hour"]) * 3600 + int(match["minute"]) * 60 + int(match["second"] or 0)
    zone = match["zone"]
    if zone is not None and zone not in "Zz":
        offset = int(zone[1:3]) * 3600 + int(zone[4:6]) * 60
        seconds = (seconds - offset if zone[0] == "+" else seconds + offset) % _DAY
    return f"{seconds // 3600:02}:{seconds % 3600 // 60:02}:{seconds % 60:02}"


def shown(stored: str) -> str:
    """A stored `HH:MM:SS` as Telnyx's examples write a time: `08:00:00.00Z`."""
    return f"{stored}.00Z"


def merged(members: dict[str, Any], stored: CallingWindow | None, problems: Problems) -> dict[str, Any] | None:
    """The whole window a `calling_window` object asks for, members left out keeping the stored
    window's values (the whole day and no limit, without one); None when a time is wrong (reported)."""
    base = stored or WHOLE_DAY
    window: dict[str, Any] = {
        "start_time": base.start_time,
        "end_time": base.end_time,
        "calls_per_cld": base.calls_per_cld,
    }
    wrong = False
    for name in ("start_time", "end_time"):
        if name not in members:
            continue
        time = utc_time_of_day(members[name])
        if time is None:
            problems.add(
                f"/calling_window/{name}",
                f"{members[name]!r} is not a time of day: HH:MM, HH:MM:SS, or an RFC 3339 time such as "
                "08:00:00.00Z or 10:00:00+02:00.",
            )
            wrong = True
        else:
            window[name] = time
    if "calls_per_cld" in members:
        window["calls_per_cld"] = members["calls_per_cld"]
    return None if wrong else window
