"""E.164 telephone numbers, checked with libphonenumber."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

_E164_SHAPE = re.compile(r"\+[0-9]{2,15}")


@lru_cache(maxsize=8192)  # libphonenumber's parse is slow, and a profile's numbers are sent again and again
def e164_problem(number: str) -> str | None:
    """Why `number` is not an acceptable E.164 number, or None when it is."""
    if not _E164_SHAPE.fullmatch(number):
        return f"{number!r} is not in E.164 format ('+' and 2 to 15 digits)."
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return f"{number!r} has no known country calling code."
    if not phonenumbers.is_possible_number(parsed):
        return f"{number!r} is not a possible number for its country."
    return None
