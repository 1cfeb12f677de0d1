"""`/security/connections` (SPEC §8): create, list, retrieve, delete, and what a connection shows of
the profile it is attached to. Validation, tenants and errors are in tests/contract/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import Api
from tests.contract.helpers import NOT_FOUND, UNEXPECTED, assert_error

PATH = "/security/connections"
NUMERIC_ID = re.compile(r"^[1-9][0-9]{0,18}$")
ISO_8601_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def test_create_answers_the_connection_with_defaults(client: TestClient[Any], api: Api) -> None:
    response = client.post(PATH, json={"connection_name": "sip-trunk-1"}, headers=api.tenant.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"id", "connection_name", "active", "outbound_profile_id", "created_at"}
    assert NUMERIC_ID.match(body["id"])
    assert ISO_8601_UTC.match(body["created_at"])
    assert body["connection_name"] == "sip-trunk-1"
    assert body["active"] is True
    assert body["outbound_profile_id"] is None


def test_create_keeps_active_false_and_the_name_as_given(client: TestClient[Any], api: Api) -> None:
    name = "  Trunk ünïcode / 東京  "
    response = client.post(PATH, json={"connection_name": name, "active": False}, headers=api.tenant.headers)

    assert response.status_code == 200, response.text
    assert response.json()["active"] is False
    assert response.json()["connection_name"] == name


def test_read_only_fields_in_a_create_body_are_ignored(client: TestClient[Any], api: Api) -> None:
    profile = api.profile()
    body = {
        "connection_name": "trunk",
        "id": "1293384261075731499",
        "outbound_profile_id": profile["id"],
        "created_at": "2000-01-01T00:00:00.000000Z",
    }

    response = client.post(PATH, json=body, headers=api.tenant.headers)

    assert response.status_code == 200, response.text
    created = response.json()
    assert created["id"] != body["id"]
    assert created["outbound_profile_id"] is None
    assert created["created_at"] != body["created_at"]
    assert client.get(f"/termination/endpoints/{profile['id']}", headers=api.tenant.headers).json()["connections"] == []


def test_retrieve_answers_what_create_answered(client: TestClient[Any], api: Api) -> None:
    created = api.connection(connection_name="one")

    response = client.get(f"{PATH}/{created['id']}", headers=api.tenant.headers)

    assert response.status_code == 200, response.text
    assert response.json() == created


def test_ids_are_unique_and_increase(api: Api) -> None:
    ids = [int(api.connection()["id"]) for _ in range(20)]

    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_list_is_a_bare_array_in_creation_order(client: TestClient[Any], api: Api) -> None:
    made = [api.connection(connection_name=f"trunk-{i}") for i in range(3)]

    response = client.get(PATH, headers=api.tenant.headers)

    assert response.status_code == 200, response.text
    assert response.json() == made
    assert response.headers["X-Total-Count"] == "3"
    assert 'rel="first"' in response.headers["Link"]
    assert 'rel="last"' in response.headers["Link"]


def test_delete_answers_the_deleted_connection_and_forgets_it(client: TestClient[Any], api: Api) -> None:
    kept, gone = api.connection(connection_name="kept"), api.connection(connection_name="gone")

    response = client.delete(f"{PATH}/{gone['id']}", headers=api.tenant.headers)

    assert response.status_code == 200, response.text
    assert response.json() == gone
    assert_error(client.get(f"{PATH}/{gone['id']}", headers=api.tenant.headers), 404, NOT_FOUND)
    assert client.get(PATH, headers=api.tenant.headers).json() == [kept]


def test_outbound_profile_id_shows_the_profile_the_connection_is_attached_to(client: TestClient[Any], api: Api) -> None:
    attached, free = api.connection(connection_name="attached"), api.connection(connection_name="free")
    profile = api.profile(connection_ids=[attached["id"]])

    one = client.get(f"{PATH}/{attached['id']}", headers=api.tenant.headers).json()
    listed = {c["id"]: c for c in client.get(PATH, headers=api.tenant.headers).json()}

    assert one["outbound_profile_id"] == profile["id"]
    assert listed[attached["id"]]["outbound_profile_id"] == profile["id"]
    assert listed[free["id"]]["outbound_profile_id"] is None


def test_outbound_profile_id_follows_attach_detach_and_replacement(client: TestClient[Any], api: Api) -> None:
    first, second = api.connection(connection_name="first"), api.connection(connection_name="second")
    profile = api.profile()
    headers = api.tenant.headers

    def holder(connection: dict[str, Any]) -> Any:
        return client.get(f"{PATH}/{connection['id']}", headers=headers).json()["outbound_profile_id"]

    attach = {"connection_ids": [first["id"]]}
    attached = client.put(
        f"/termination/endpoints/{profile['id']}/actions/attach_connections", json=attach, headers=headers
    )
    assert attached.status_code == 200, attached.text
    assert (holder(first), holder(second)) == (profile["id"], None)

    replaced = client.put(
        f"/termination/endpoints/{profile['id']}", json={"connection_ids": [second["id"]]}, headers=headers
    )
    assert replaced.status_code == 200, replaced.text
    assert (holder(first), holder(second)) == (None, profile["id"])

    detach = {"connection_ids": [second["id"]]}
    detached = client.put(
        f"/termination/endpoints/{profile['id']}/actions/detach_connections", json=detach, headers=headers
    )
    assert detached.status_code == 200, detached.text
    assert (holder(first), holder(second)) == (None, None)


def test_deleting_an_attached_connection_removes_it_from_the_profile(client: TestClient[Any], api: Api) -> None:
    first, second = api.connection(connection_name="first"), api.connection(connection_name="second")
    profile = api.profile(connection_ids=[first["id"], second["id"]])
    assert profile["connection_id"] == first["id"]

    response = client.delete(f"{PATH}/{first['id']}", headers=api.tenant.headers)

    assert response.status_code == 200, response.text
    assert response.json()["outbound_profile_id"] == profile["id"]  # what it was when deleted
    after = client.get(f"/termination/endpoints/{profile['id']}", headers=api.tenant.headers).json()
    assert after["connections"] == [{"id": second["id"], "connection_name": "second", "active": True}]
    assert after["connection_id"] == second["id"]


def test_deleting_the_last_attached_connection_lets_the_profile_be_deleted(client: TestClient[Any], api: Api) -> None:
    connection = api.connection()
    profile = api.profile(connection_ids=[connection["id"]])
    assert client.delete(f"/termination/endpoints/{profile['id']}", headers=api.tenant.headers).status_code == 400

    client.delete(f"{PATH}/{connection['id']}", headers=api.tenant.headers)

    after = client.get(f"/termination/endpoints/{profile['id']}", headers=api.tenant.headers).json()
    assert after["connections"] == []
    assert after["connection_id"] is None
    assert client.delete(f"/termination/endpoints/{profile['id']}", headers=api.tenant.headers).status_code == 200


def test_a_profile_shows_an_inactive_connection_as_inactive(client: TestClient[Any], api: Api) -> None:
    connection = api.connection(connection_name="off", active=False)

    profile = api.profile(connection_ids=[connection["id"]])

    assert profile["connections"] == [{"id": connection["id"], "connection_name": "off", "active": False}]


def test_a_failed_create_leaves_nothing_behind(
    client: TestClient[Any], api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One transaction per request: a failure after the insert rolls the insert back."""

    def fail(*_: Any, **__: Any) -> Any:
        raise RuntimeError("after the insert")

    monkeypatch.setattr("outbound_profiles.connections.service.retrieve", fail)

    response = client.post(PATH, json={"connection_name": "trunk"}, headers=api.tenant.headers)

    assert_error(response, 500, UNEXPECTED)
    monkeypatch.undo()
    assert client.get(PATH, headers=api.tenant.headers).json() == []
