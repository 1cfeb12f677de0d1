"""How single fields are read and shown: money, rates, recording, tags, text (SPEC §3)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.profiles.helpers import Endpoints, ok, only_problem, problems

AMOUNTS = {"100": "100.00", "12.5": "12.50", "0": "0.00", "0.01": "0.01", "999999999999.99": "999999999999.99"}


def test_daily_spend_limit_is_shown_with_two_decimals(endpoints: Endpoints) -> None:
    for given, shown in AMOUNTS.items():
        profile = endpoints.profile(daily_spend_limit=given)
        assert profile["daily_spend_limit"] == shown
        assert endpoints.read(profile["id"])["daily_spend_limit"] == shown


BAD_AMOUNTS: list[Any] = [
    "1.234",
    "-1",
    "-0.50",
    "1e3",
    "abc",
    "",
    " 1",
    "1.00\n",
    "01",
    ".5",
    "1.",
    "NaN",
    12.5,
    100,
    True,
]


def test_an_invalid_daily_spend_limit_is_refused(endpoints: Endpoints) -> None:
    profile = endpoints.profile(daily_spend_limit="7.00")

    for value in BAD_AMOUNTS:
        detail = only_problem(endpoints.update(profile["id"], {"daily_spend_limit": value}), "/daily_spend_limit")
        assert "daily_spend_limit" in detail or repr(value) in detail, (value, detail)
    assert endpoints.read(profile["id"]) == profile


RATES: list[tuple[float, float]] = [
    (0, 0.0),
    (0.0125, 0.0125),
    (3, 3.0),
    (100, 100.0),
    (1_000_000, 1_000_000.0),
    (0.1, 0.1),
    (123456.789012345, 123456.789012345),
]


def test_max_destination_rate_is_kept_exactly(endpoints: Endpoints) -> None:
    for given, shown in RATES:
        profile = endpoints.profile(max_destination_rate=given)
        assert profile["max_destination_rate"] == shown
        assert endpoints.read(profile["id"])["max_destination_rate"] == shown


@pytest.mark.parametrize(
    "raw",
    [
        b"0.10000000000000000001",
        b"123456789012345678901",
        b"1.0000000000000001",
        b"1000000.01",
        b"1e400",
        b"0.10000000000000000000000000000001",  # more digits than a Decimal's context keeps: not rounded either
        b"1000000.0000000000000000000000000001",  # over the maximum by less than the context shows
    ],
)
def test_a_rate_a_double_cannot_hold_exactly_is_refused_not_rounded(
    client: TestClient[Any], endpoints: Endpoints, raw: bytes
) -> None:
    body = b'{"connection_ids": [], "max_destination_rate": ' + raw + b"}"
    response = client.post("/termination/endpoints", content=body, headers=endpoints.headers)

    assert response.status_code == 400, response.text
    assert [e["source"]["pointer"] for e in response.json()["errors"]] == ["/max_destination_rate"]
    assert endpoints.list().json() == []


def test_a_rate_is_stored_as_the_digits_sent(client: TestClient[Any], endpoints: Endpoints) -> None:
    body = b'{"connection_ids": [], "max_destination_rate": 0.123456789012345}'
    response = client.post("/termination/endpoints", content=body, headers=endpoints.headers)

    assert response.status_code == 200, response.text
    assert b'"max_destination_rate":0.123456789012345' in response.content


def test_max_destination_rate_of_negative_zero_is_zero(endpoints: Endpoints) -> None:
    profile = endpoints.profile(max_destination_rate=-0.0)

    assert str(profile["max_destination_rate"]) == "0.0"


def test_a_negative_max_destination_rate_is_refused(endpoints: Endpoints) -> None:
    detail = only_problem(endpoints.create({"connection_ids": [], "max_destination_rate": -1}), "/max_destination_rate")

    assert ">= 0" in detail


@pytest.mark.parametrize("spelling", ["by_call_phone_number", "by_caller_phone_number"])
def test_recording_by_number_accepts_both_spellings(endpoints: Endpoints, spelling: str) -> None:
    body = {"call_recording_type": spelling, "call_recording_phone_numbers": ["+13125550100"]}

    profile = endpoints.profile(**body)

    assert profile["call_recording_type"] == "by_call_phone_number"
    assert endpoints.read(profile["id"])["call_recording_type"] == "by_call_phone_number"


def test_the_alias_spelling_on_update_is_stored_as_the_canonical_one(endpoints: Endpoints) -> None:
    profile = endpoints.profile(call_recording_phone_numbers=["+442071838750"])

    updated = endpoints.updated(profile["id"], {"call_recording_type": "by_caller_phone_number"})

    assert updated["call_recording_type"] == "by_call_phone_number"
    assert updated["call_recording_phone_numbers"] == ["+442071838750"]


def test_recording_numbers_keep_their_order_without_duplicates(endpoints: Endpoints) -> None:
    numbers = ["+442071838750", "+13125550100", "+442071838750"]

    profile = endpoints.profile(call_recording_type="all", call_recording_phone_numbers=numbers)

    assert profile["call_recording_phone_numbers"] == ["+442071838750", "+13125550100"]


BAD_NUMBERS = [
    "13125550100",
    "+1 312 555 0100",
    "+1-312-555-0100",
    "+",
    "+1",
    "+0123456789",
    "+1234567890123456",
    "+1312",
]


def test_a_recording_number_must_be_a_possible_e164_number(endpoints: Endpoints) -> None:
    for number in BAD_NUMBERS:
        body = {"connection_ids": [], "call_recording_phone_numbers": ["+13125550100", number]}
        detail = only_problem(endpoints.create(body), "/call_recording_phone_numbers/1")
        assert repr(number) in detail
    assert endpoints.list().json() == []


def test_every_bad_recording_number_is_reported(endpoints: Endpoints) -> None:
    body = {"connection_ids": [], "call_recording_phone_numbers": ["x", "+13125550100", "+1"]}

    found = problems(endpoints.create(body))

    assert found.keys() == {"/call_recording_phone_numbers/0", "/call_recording_phone_numbers/2"}


def test_tag_list_drops_duplicates_keeping_the_first_order(endpoints: Endpoints) -> None:
    profile = endpoints.profile(tag_list=["b", "a", "b", "c", "a"])

    assert profile["tag_list"] == ["b", "a", "c"]
    assert endpoints.updated(profile["id"], {"tag_list": ["z", "z"]})["tag_list"] == ["z"]


def test_tags_are_case_sensitive(endpoints: Endpoints) -> None:
    assert endpoints.profile(tag_list=["A", "a"])["tag_list"] == ["A", "a"]


def test_an_empty_tag_is_refused(endpoints: Endpoints) -> None:
    only_problem(endpoints.create({"connection_ids": [], "tag_list": ["ok", ""]}), "/tag_list/1")


def test_a_tag_longer_than_255_characters_is_refused(endpoints: Endpoints) -> None:
    only_problem(endpoints.create({"connection_ids": [], "tag_list": ["x" * 256]}), "/tag_list/0")
    assert endpoints.profile(tag_list=["x" * 255])["tag_list"] == ["x" * 255]


def test_at_most_100_tags(endpoints: Endpoints) -> None:
    tags = [f"t{i}" for i in range(101)]

    only_problem(endpoints.create({"connection_ids": [], "tag_list": tags}), "/tag_list")
    assert len(endpoints.profile(tag_list=tags[:100])["tag_list"]) == 100


@pytest.mark.parametrize("field", ["name", "translation_rule"])
def test_text_fields_are_stored_as_given_up_to_255_characters(endpoints: Endpoints, field: str) -> None:
    value = " É\u00e9 ^(\\d+)$ " + "x" * 243
    assert len(value) == 255

    profile = endpoints.profile(**{field: value})

    assert profile[field] == value
    assert endpoints.read(profile["id"])[field] == value


def test_text_with_a_nul_character_is_refused(endpoints: Endpoints) -> None:
    body = {"connection_ids": [], "name": "a\x00b", "translation_rule": "\x00", "tag_list": ["ok", "x\x00"]}

    found = problems(endpoints.create(body))

    assert found.keys() == {"/name", "/translation_rule", "/tag_list/1"}


@pytest.mark.parametrize(("field", "values"), [("traffic_type", [1, 2]), ("service_plan", [4, 1])])
def test_integer_enums_take_each_allowed_value(endpoints: Endpoints, field: str, values: list[int]) -> None:
    profile = endpoints.profile()

    for value in values:
        assert endpoints.updated(profile["id"], {field: value})[field] == value


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("usage_payment_method", ["tariff", "rate-deck"]),
        ("call_recording_format", ["mp3", "wav"]),
        ("call_recording_channels", ["dual", "single"]),
        ("call_recording_type", ["all", "none"]),
        ("active", [False, True]),
        ("daily_spend_limit_enabled", [False]),
    ],
)
def test_choices_take_each_allowed_value(endpoints: Endpoints, field: str, values: list[Any]) -> None:
    profile = endpoints.profile()

    for value in values:
        assert endpoints.updated(profile["id"], {field: value})[field] == value
        assert endpoints.read(profile["id"])[field] == value


def test_ports_and_cps_limit_increase_take_zero(endpoints: Endpoints) -> None:
    profile = ok(endpoints.create({"connection_ids": [], "ports": 0, "cps_limit_increase": 0}))

    assert (profile["ports"], profile["cps_limit_increase"]) == (0, 0)
