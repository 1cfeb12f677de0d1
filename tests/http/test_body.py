"""Body parsing: every problem of a body is reported, down to each bad entry of a list."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from litestar.testing import TestClient

from outbound_profiles.errors import MAX_PROBLEMS, MAX_PROBLEMS_PER_LIST, ErrorCode, InvalidRequest, Problems
from outbound_profiles.http.body import convert_fields, decode_object
from outbound_profiles.profiles.schemas import (
    MAX_CONNECTION_IDS,
    MAX_DESTINATIONS,
    MAX_PHONE_NUMBERS,
    MAX_TAGS,
    ProfileCreate,
    ProfileUpdate,
)
from tests.conftest import Api


def _pointers(body: dict[str, object]) -> list[str | None]:
    problems = Problems()
    convert_fields(body, ProfileUpdate, problems)
    with pytest.raises(InvalidRequest) as raised:
        problems.raise_if_any()
    return [p.pointer for p in raised.value.problems]


def test_a_wrong_type_in_a_list_does_not_hide_the_other_bad_entries() -> None:
    pointers = _pointers({"call_recording_phone_numbers": [5, "+13125550100", None]})

    assert pointers == ["/call_recording_phone_numbers/0", "/call_recording_phone_numbers/2"]


def test_every_field_is_checked_even_when_one_fails() -> None:
    pointers = _pointers({"ports": "1", "active": 1, "tag_list": ["ok", ""], "bogus": True})

    assert pointers == ["/ports", "/active", "/tag_list/1", "/bogus"]


def test_a_list_where_the_field_takes_no_list_is_one_problem_at_the_field() -> None:
    assert _pointers({"name": ["x"], "translation_rule": [1, 2]}) == ["/name", "/translation_rule"]


def test_a_list_with_good_entries_but_too_many_is_reported_at_the_list() -> None:
    assert _pointers({"tag_list": [f"t{i}" for i in range(101)]}) == ["/tag_list"]


def test_bad_entries_of_a_list_are_reported_up_to_a_bound() -> None:
    pointers = _pointers({"whitelisted_destinations": [1] * MAX_DESTINATIONS})

    assert pointers == [f"/whitelisted_destinations/{i}" for i in range(MAX_PROBLEMS_PER_LIST)]


@pytest.mark.parametrize(
    ("field", "longest"),
    [
        ("connection_ids", MAX_CONNECTION_IDS),
        ("whitelisted_destinations", MAX_DESTINATIONS),
        ("call_recording_phone_numbers", MAX_PHONE_NUMBERS),
        ("tag_list", MAX_TAGS),
    ],
)
def test_a_list_over_its_maximum_is_one_problem_however_bad_its_entries(field: str, longest: int) -> None:
    assert _pointers({field: [None] * (longest + 1)}) == [f"/{field}"]
    assert _pointers({field: [None] * 65_000}) == [f"/{field}"]


def test_an_answer_holds_at_most_a_bounded_number_of_problems() -> None:
    pointers = _pointers({f"unknown{i}": 1 for i in range(10_000)})

    assert pointers == [f"/unknown{i}" for i in range(MAX_PROBLEMS)]


@pytest.mark.parametrize(
    "raw",
    [b'{"name": "\xff"}', b'{"name": "\xed\xa0\x80"}', b"\xfe\xff{}", b"[" * 2000 + b"]" * 2000, b"{" * 3000],
)
def test_bytes_that_are_not_json_are_invalid_json(raw: bytes) -> None:
    with pytest.raises(InvalidRequest) as raised:
        decode_object(raw)

    assert [p.code for p in raised.value.problems] == [ErrorCode.INVALID_JSON]


def test_numbers_with_a_fraction_keep_every_digit() -> None:
    body = decode_object(b'{"a": 0.10000000000000000001, "b": 123456789012345678901, "c": 2}')

    assert body == {"a": Decimal("0.10000000000000000001"), "b": 123456789012345678901, "c": 2}


def test_a_number_beyond_what_a_decimal_holds_is_still_a_number() -> None:
    body = decode_object(b'{"a": 1e99999999999999999999999, "b": -1e-99999999999999999999999}')

    assert body == {"a": float("inf"), "b": -0.0}


@pytest.mark.parametrize(
    ("field", "path", "method"),
    [
        ("name", "/termination/endpoints/{id}", "PUT"),
        ("max_destination_rate", "/termination/endpoints", "POST"),
        ("name", "/v2/outbound_voice_profiles/{id}", "PATCH"),
        ("name", "/billing_groups", "POST"),
        ("connection_name", "/security/connections", "POST"),
    ],
)
def test_a_huge_exponent_is_judged_by_the_field_not_a_500(
    client: TestClient[Any], api: Api, field: str, path: str, method: str
) -> None:
    profile = api.profile()
    body = b'{"connection_ids": [], "%s": 1e99999999999999999999999}' % field.encode()

    response = client.request(method, path.format(id=profile["id"]), content=body, headers=api.tenant.headers)

    assert response.status_code in (400, 422), response.text
    assert f"/{field}" in [e["source"]["pointer"] for e in response.json()["errors"]]
    assert client.get(f"/termination/endpoints/{profile['id']}", headers=api.tenant.headers).json() == profile


def test_a_missing_required_field_has_its_own_code() -> None:
    problems = Problems()
    convert_fields({}, ProfileCreate, problems)
    with pytest.raises(InvalidRequest) as raised:
        problems.raise_if_any()

    (problem,) = raised.value.problems
    assert (problem.pointer, problem.code) == ("/connection_ids", ErrorCode.MISSING_PARAMETER)


def test_read_only_fields_are_dropped_not_refused() -> None:
    problems = Problems()

    converted = convert_fields({"id": "1", "name": "x"}, ProfileUpdate, problems, ignored=frozenset({"id"}))

    assert converted == {"name": "x"}
    assert not problems


@pytest.mark.parametrize("raw", [b"{", b"[]", b"1e400", b'{"a": NaN}'])
def test_a_body_that_is_not_a_json_object_is_invalid_json(raw: bytes) -> None:
    with pytest.raises(InvalidRequest) as raised:
        decode_object(raw)

    assert raised.value.problems[0].code == ErrorCode.INVALID_JSON
