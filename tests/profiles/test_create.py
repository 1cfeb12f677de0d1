"""POST /termination/endpoints: defaults, required fields, the shape of the created profile."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.profiles.helpers import ISO_8601_UTC, NUMERIC_ID, PATH, Endpoints, ok, only_problem, problems

DEFAULTS: dict[str, Any] = {
    "connections": [],
    "connection_id": None,
    "name": None,
    "traffic_type": 1,
    "service_plan": 4,
    "cps_limit": 100,
    "cps_limit_increase": 0,
    "ports": None,
    "translation_rule": None,
    "active": True,
    "tag_list": [],
    "usage_payment_method": "rate-deck",
    "custom_rate_deck": False,
    "rate_deck_url": None,
    "whitelisted_destination_format": "alpha3",
    "whitelisted_destinations": ["USA", "CAN"],
    "max_destination_rate": None,
    "call_recording_type": "none",
    "call_recording_phone_numbers": [],
    "call_recording_format": "wav",
    "call_recording_channels": "single",
    "daily_spend_limit": None,
    "daily_spend_limit_enabled": False,
    "billing_group_id": None,
}

EVERY_FIELD: dict[str, Any] = {
    "name": "office",
    "traffic_type": 2,
    "service_plan": 2,
    "cps_limit_increase": 5,
    "ports": 7,
    "translation_rule": "^1(.*)$ -> $1",
    "active": False,
    "tag_list": ["a", "b"],
    "usage_payment_method": "tariff",
    "whitelisted_destination_format": "alpha2",
    "whitelisted_destinations": ["FR", "DE"],
    "max_destination_rate": 0.25,
    "call_recording_type": "by_call_phone_number",
    "call_recording_phone_numbers": ["+13125550100"],
    "call_recording_format": "mp3",
    "call_recording_channels": "dual",
    "daily_spend_limit": "250.00",
    "daily_spend_limit_enabled": True,
}


def test_create_with_only_connection_ids_takes_every_default(endpoints: Endpoints) -> None:
    created = ok(endpoints.create({"connection_ids": []}))

    assert {k: created[k] for k in DEFAULTS} == DEFAULTS
    assert set(created) == {*DEFAULTS, "id", "user_id", "created_at", "updated_at"}
    assert created["user_id"] == str(endpoints.api.tenant.account.id)


def test_create_answers_200_with_a_numeric_string_id_and_utc_timestamps(endpoints: Endpoints) -> None:
    response = endpoints.create({"connection_ids": []})

    assert response.status_code == 200
    created = response.json()
    assert NUMERIC_ID.match(created["id"])
    assert NUMERIC_ID.match(created["user_id"])
    assert ISO_8601_UTC.match(created["created_at"])
    assert created["updated_at"] == created["created_at"]
    assert endpoints.read(created["id"]) == created


def test_ids_of_later_profiles_are_larger(endpoints: Endpoints) -> None:
    ids = [endpoints.profile()["id"] for _ in range(5)]

    assert [int(i) for i in ids] == sorted(int(i) for i in ids)
    assert len(set(ids)) == 5


def test_create_sets_every_field_given(endpoints: Endpoints) -> None:
    group = endpoints.api.billing_group()["id"]

    created = ok(endpoints.create({"connection_ids": [], **EVERY_FIELD, "billing_group_id": group}))

    assert {k: created[k] for k in EVERY_FIELD} == EVERY_FIELD
    assert created["billing_group_id"] == group
    assert endpoints.read(created["id"]) == created


def test_create_attaches_the_connections_in_the_order_given(endpoints: Endpoints) -> None:
    first, second = endpoints.connection_id("first"), endpoints.connection_id("second")

    created = ok(endpoints.create({"connection_ids": [second, first]}))

    assert created["connections"] == [
        {"id": second, "connection_name": "second", "active": True},
        {"id": first, "connection_name": "first", "active": True},
    ]
    assert created["connection_id"] == second


def test_connection_ids_is_required_on_create(endpoints: Endpoints) -> None:
    detail = only_problem(endpoints.create({"name": "x"}), "/connection_ids", code="10004")

    assert "connection_ids" in detail


def test_a_missing_connection_ids_is_reported_with_the_other_problems(endpoints: Endpoints) -> None:
    found = problems(endpoints.create({"ports": -1, "colour": "red"}))

    assert found.keys() == {"/connection_ids", "/ports", "/colour"}
    assert found["/connection_ids"].startswith("10004: ")
    assert found["/ports"].startswith("10015: ")


def test_a_refused_create_creates_nothing(endpoints: Endpoints) -> None:
    connection = endpoints.connection_id()

    problems(endpoints.create({"connection_ids": [connection], "service_plan": 3}))

    assert endpoints.list().json() == []
    assert endpoints.profile(connection_ids=[connection])["connection_id"] == connection


def test_create_accepts_the_read_only_fields_and_ignores_them(endpoints: Endpoints) -> None:
    created = ok(
        endpoints.create(
            {"connection_ids": [], "id": "1", "cps_limit": 7, "custom_rate_deck": True, "created_at": "yesterday"}
        )
    )

    assert created["id"] != "1"
    assert created["cps_limit"] == 100
    assert created["custom_rate_deck"] is False
    assert ISO_8601_UTC.match(created["created_at"])


def test_create_shows_destinations_in_the_query_format(endpoints: Endpoints) -> None:
    created = ok(endpoints.create({"connection_ids": []}, whitelisted_destination_format="iso_numeric"))

    assert created["whitelisted_destination_format"] == "iso_numeric"
    assert created["whitelisted_destinations"] == ["840", "124"]
    assert endpoints.read(created["id"])["whitelisted_destinations"] == ["USA", "CAN"]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"{", "10023"),
        (b"[]", "10023"),
        (b'"text"', "10023"),
        (b"", "10023"),
        (b'{"connection_ids": [], "name": "\xff"}', "10023"),  # not UTF-8
        (b'{"connection_ids": [], "name": ' + b"[" * 5000 + b"]" * 5000 + b"}", "10023"),  # nested too deeply
        # A number no double can hold is still a number: the field's type refuses it.
        (b'{"connection_ids": [], "ports": 1e400}', "10015"),
        (b'{"connection_ids": [], "max_destination_rate": 1e400}', "10015"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(
    client: TestClient[Any], endpoints: Endpoints, raw: bytes, code: str
) -> None:
    response = client.post(PATH, content=raw, headers={**endpoints.headers, "Content-Type": "application/json"})

    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]] == [code]


def test_create_without_credentials_is_401(client: TestClient[Any]) -> None:
    response = client.post(PATH, json={"connection_ids": []})

    assert response.status_code == 401
    assert [e["code"] for e in response.json()["errors"]] == ["10009"]


def test_a_profile_belongs_to_its_creator(endpoints: Endpoints, other_endpoints: Endpoints) -> None:
    mine = endpoints.profile()
    theirs = other_endpoints.profile()

    assert mine["user_id"] != theirs["user_id"]
    assert theirs["user_id"] == str(other_endpoints.api.tenant.account.id)
