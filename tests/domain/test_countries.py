from __future__ import annotations

import pytest

from outbound_profiles.domain import countries
from outbound_profiles.domain.countries import Country


@pytest.mark.parametrize(
    ("code", "shape"),
    [
        ("US", "alpha2"),
        ("us", "alpha2"),
        ("USA", "alpha3"),
        ("uSa", "alpha3"),
        ("840", "iso_numeric"),
        ("004", "iso_numeric"),
        ("U", None),
        ("", None),
        ("USAA", None),
        ("84", None),
        ("8400", None),
        ("U5", None),
        ("ÜS", None),
        ("٨٤٠", None),  # Arabic-Indic digits are digits, but not ASCII
        (" US", None),
    ],
)
def test_shape_of(code: str, shape: str | None) -> None:
    assert countries.shape_of(code) == shape


def test_lookup_in_each_format_finds_the_same_country() -> None:
    france = Country("FR", "FRA", "250")

    assert countries.lookup("FR", "alpha2") == france
    assert countries.lookup("fra", "alpha3") == france
    assert countries.lookup("250", "iso_numeric") == france


@pytest.mark.parametrize(
    ("code", "fmt"), [("FRA", "alpha2"), ("FR", "alpha3"), ("FR", "iso_numeric"), ("XX", "alpha2")]
)
def test_lookup_of_a_code_not_in_the_format_is_none(code: str, fmt: countries.DestinationFormat) -> None:
    assert countries.lookup(code, fmt) is None


def test_code_converts_between_formats() -> None:
    canada = countries.BY_ALPHA2["CA"]

    assert [canada.code(fmt) for fmt in countries.DESTINATION_FORMATS] == ["CA", "CAN", "124"]


def test_every_country_round_trips_through_every_format() -> None:
    assert len(countries.BY_ALPHA2) >= 249
    for country in countries.BY_ALPHA2.values():
        for fmt in countries.DESTINATION_FORMATS:
            code = country.code(fmt)
            assert countries.shape_of(code) == fmt
            assert countries.lookup(code, fmt) == country
            assert countries.lookup(code.lower(), fmt) == country


def test_the_us_plan_territories_are_countries() -> None:
    for alpha2 in ("US", "CA", "PR", "VI", "GU", "AS", "MP"):
        assert alpha2 in countries.BY_ALPHA2
