"""ISO 3166-1 countries and their three code formats (alpha2, alpha3, iso_numeric), from pycountry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import pycountry

DestinationFormat = Literal["alpha2", "alpha3", "iso_numeric"]
DESTINATION_FORMATS: Final[tuple[DestinationFormat, ...]] = ("alpha2", "alpha3", "iso_numeric")


@dataclass(frozen=True, slots=True)
class Country:
    alpha2: str
    alpha3: str
    numeric: str

    def code(self, fmt: DestinationFormat) -> str:
        if fmt == "alpha2":
            return self.alpha2
        if fmt == "alpha3":
            return self.alpha3
        return self.numeric


_ALL: Final = tuple(Country(c.alpha_2, c.alpha_3, c.numeric) for c in pycountry.countries)
_BY_FORMAT: Final[dict[str, dict[str, Country]]] = {
    "alpha2": {c.alpha2: c for c in _ALL},
    "alpha3": {c.alpha3: c for c in _ALL},
    "iso_numeric": {c.numeric: c for c in _ALL},
}
BY_ALPHA2: Final = _BY_FORMAT["alpha2"]


def shape_of(code: str) -> DestinationFormat | None:
    """The format a code has by its shape: 2 letters, 3 letters, or 3 digits."""
    if code.isascii():
        if len(code) == 2 and code.isalpha():
            return "alpha2"
        if len(code) == 3 and code.isalpha():
            return "alpha3"
        if len(code) == 3 and code.isdigit():
            return "iso_numeric"
    return None


def lookup(code: str, fmt: DestinationFormat) -> Country | None:
    return _BY_FORMAT[fmt].get(code.upper())
