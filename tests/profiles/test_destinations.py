"""Whitelisted destinations: a set of countries, read in any ISO 3166-1 format, shown in one (SPEC §4)."""

from __future__ import annotations

import pytest

from tests.profiles.helpers import Endpoints, ok, only_problem, problems

FORMATS = {
    "alpha2": ["FR", "DE", "US"],
    "alpha3": ["FRA", "DEU", "USA"],
    "iso_numeric": ["250", "276", "840"],
}


@pytest.mark.parametrize("given", FORMATS)
@pytest.mark.parametrize("shown", FORMATS)
def test_codes_of_any_shape_are_shown_in_the_stored_format(endpoints: Endpoints, given: str, shown: str) -> None:
    profile = endpoints.profile(whitelisted_destination_format=shown)

    updated = endpoints.updated(profile["id"], {"whitelisted_destinations": FORMATS[given]})

    assert updated["whitelisted_destination_format"] == shown
    assert updated["whitelisted_destinations"] == FORMATS[shown]
    assert endpoints.read(profile["id"]) == updated


@pytest.mark.parametrize("fmt", FORMATS)
def test_codes_in_the_body_format_are_shown_in_it(endpoints: Endpoints, fmt: str) -> None:
    profile = endpoints.profile(whitelisted_destinations=FORMATS[fmt], whitelisted_destination_format=fmt)

    assert profile["whitelisted_destination_format"] == fmt
    assert profile["whitelisted_destinations"] == FORMATS[fmt]


def test_without_a_format_in_the_body_codes_are_read_by_their_shape(endpoints: Endpoints) -> None:
    profile = endpoints.profile(whitelisted_destinations=["fr", "DEU", "840", "Gb"])

    assert profile["whitelisted_destination_format"] == "alpha3"
    assert profile["whitelisted_destinations"] == ["FRA", "DEU", "USA", "GBR"]


def test_codes_are_case_insensitive(endpoints: Endpoints) -> None:
    profile = endpoints.profile(whitelisted_destinations=["fra", "dEu"], whitelisted_destination_format="alpha3")

    assert profile["whitelisted_destinations"] == ["FRA", "DEU"]


def test_duplicates_are_dropped_keeping_the_order_first_given(endpoints: Endpoints) -> None:
    profile = endpoints.profile(whitelisted_destinations=["DE", "fr", "276", "FRA", "us", "de"])

    assert profile["whitelisted_destinations"] == ["DEU", "FRA", "USA"]


def test_the_query_format_overrides_the_stored_one_without_changing_it(endpoints: Endpoints) -> None:
    profile = endpoints.profile(whitelisted_destinations=["US", "MX"])

    for fmt, codes in {"alpha2": ["US", "MX"], "iso_numeric": ["840", "484"], "alpha3": ["USA", "MEX"]}.items():
        shown = endpoints.read(profile["id"], whitelisted_destination_format=fmt)
        assert shown["whitelisted_destination_format"] == fmt
        assert shown["whitelisted_destinations"] == codes
    assert endpoints.read(profile["id"]) == profile


def test_the_query_format_applies_to_the_list(endpoints: Endpoints) -> None:
    endpoints.profile(whitelisted_destinations=["JP"])

    listed = ok_list(endpoints, whitelisted_destination_format="iso_numeric")

    assert [(p["whitelisted_destination_format"], p["whitelisted_destinations"]) for p in listed] == [
        ("iso_numeric", ["392"])
    ]


def ok_list(endpoints: Endpoints, **params: str) -> list[dict[str, object]]:
    response = endpoints.list(**params)
    assert response.status_code == 200, response.text
    body: list[dict[str, object]] = response.json()
    return body


def test_an_unknown_query_format_is_refused(endpoints: Endpoints) -> None:
    profile = endpoints.profile()

    only_problem(
        endpoints.get(profile["id"], whitelisted_destination_format="alpha4"), "whitelisted_destination_format"
    )
    only_problem(endpoints.list(whitelisted_destination_format="ALPHA2"), "whitelisted_destination_format")


def test_setting_only_the_format_changes_how_the_same_countries_are_shown(endpoints: Endpoints) -> None:
    profile = endpoints.profile(whitelisted_destinations=["IT"])

    updated = endpoints.updated(profile["id"], {"whitelisted_destination_format": "iso_numeric"})

    assert updated["whitelisted_destinations"] == ["380"]
    assert endpoints.read(profile["id"])["whitelisted_destinations"] == ["380"]


def test_the_body_format_makes_every_code_be_read_in_it(endpoints: Endpoints) -> None:
    profile = endpoints.profile()
    body = {"whitelisted_destination_format": "alpha2", "whitelisted_destinations": ["US", "FRA", "840", "de"]}

    found = problems(endpoints.update(profile["id"], body))

    assert found.keys() == {"/whitelisted_destinations/1", "/whitelisted_destinations/2"}
    assert "alpha2" in found["/whitelisted_destinations/1"]
    assert endpoints.read(profile["id"]) == profile


NOT_COUNTRIES = ["XX", "XXX", "999", "U", "USAA", "84", "8400", "U5", "", "ÜS", "+1", "U.S."]


def test_a_code_that_is_no_country_is_refused(endpoints: Endpoints) -> None:
    for code in NOT_COUNTRIES:
        body = {"connection_ids": [], "whitelisted_destinations": ["US", "CA", code]}
        detail = only_problem(endpoints.create(body), "/whitelisted_destinations/2")
        assert repr(code) in detail
    assert endpoints.list().json() == []


def test_every_bad_code_is_reported(endpoints: Endpoints) -> None:
    body = {"connection_ids": [], "whitelisted_destinations": ["ZZ", "US", "QQQ", "000"]}

    found = problems(endpoints.create(body))

    assert found.keys() == {"/whitelisted_destinations/0", "/whitelisted_destinations/2", "/whitelisted_destinations/3"}


def test_a_code_that_is_not_a_string_is_refused(endpoints: Endpoints) -> None:
    only_problem(
        endpoints.create({"connection_ids": [], "whitelisted_destinations": ["US", 840]}), "/whitelisted_destinations/1"
    )


def test_an_invalid_body_format_is_reported_once(endpoints: Endpoints) -> None:
    body = {"connection_ids": [], "whitelisted_destination_format": "alpha9", "whitelisted_destinations": ["US"]}

    only_problem(endpoints.create(body), "/whitelisted_destination_format")


def test_an_empty_whitelist_is_kept_empty(endpoints: Endpoints) -> None:
    profile = endpoints.profile(whitelisted_destinations=[])

    assert profile["whitelisted_destinations"] == []
    assert endpoints.read(profile["id"])["whitelisted_destinations"] == []


def test_leading_zeros_of_numeric_codes_are_kept(endpoints: Endpoints) -> None:
    profile = endpoints.profile(whitelisted_destinations=["004", "248"], whitelisted_destination_format="iso_numeric")

    assert profile["whitelisted_destinations"] == ["004", "248"]
    assert endpoints.read(profile["id"], whitelisted_destination_format="alpha2")["whitelisted_destinations"] == [
        "AF",
        "AX",
    ]


def test_a_destinations_update_replaces_the_set(endpoints: Endpoints) -> None:
    profile = endpoints.profile(whitelisted_destinations=["US", "CA", "MX"])

    updated = ok(endpoints.update(profile["id"], {"whitelisted_destinations": ["BR"]}))

    assert updated["whitelisted_destinations"] == ["BRA"]
