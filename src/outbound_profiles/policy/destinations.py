"""Where a dialled number goes: its country (libphonenumber's regions), and the plans that cover it."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

import msgspec

from outbound_profiles.policy import numbering
from outbound_profiles.profiles.rules import US_PLAN_COUNTRIES

_E164: Final = re.compile(r"\+[1-9][0-9]{1,14}")


class Destination(msgspec.Struct, frozen=True, gc=False):
    number: str  # E.164, as dialled
    digits: str  # without the '+': what rate deck prefixes match
    country: str | None  # ISO 3166-1 alpha-2; None for a non-geographic number

    @property
    def non_geographic(self) -> bool:
        return self.country is None


@lru_cache(maxsize=65_536)  # a number called again skips the region lookup and its validation
def destination(number: str) -> Destination | None:
    """The destination of an E.164 number, or None when it is not a valid one. Valid means what
    libphonenumber knows of the numbering plans, which is also what places a +1 number in one of
    the 25 regions that share it (a number it cannot place could be billed as the wrong country)."""
    if not _E164.fullmatch(number):
        return None
    digits = number[1:]
    region = numbering.region(digits)
    if region == numbering.INVALID:
        return None
    return Destination(number, digits, None if region == numbering.NON_GEOGRAPHIC else region)


# Service plans (1 US, 2 International, 4 Global) and the countries each covers; None: every one.
_COVERAGE: Final[dict[int, frozenset[str] | None]] = {1: frozenset(US_PLAN_COUNTRIES), 2: None, 4: None}


def covered(service_plan: int, destination: Destination) -> bool:
    countries = _COVERAGE.get(service_plan, frozenset())
    if countries is None:
        return True
    return destination.country is not None and destination.country in countries
