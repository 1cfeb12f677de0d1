"""`/billing_groups` (SPEC §8): create, list, retrieve, update (PATCH and PUT), delete, and the
profiles that use a group. Validation, tenants and errors are in tests/contract/."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import Api
from tests.contract.helpers import NOT_FOUND, RESOURCE_IN_USE, UNEXPECTED, assert_error

PATH = "/billing_groups"
ISO_8601_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def test_create_answers_the_group(client: TestClient[Any], api: Api) -> None:
    response = client.post(PATH, json={"name": "Europe"}, headers=api.tenant.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"id", "name", "created_at", "updated_at"}
    assert str(uuid.UUID(body["id"])) == body["id"]
    assert body["name"] == "Europe"
    assert ISO_8601_UTC.match(body["created_at"])
    assert body["updated_at"] == body["created_at"]


def test_a_group_may_be_created_without_a_name(client: TestClient[Any], api: Api) -> None:
    for body in ({}, {"name": None}):
        response = client.post(PATH, json=body, headers=api.tenant.headers)

        assert response.status_code == 200, response.text
        assert response.json()["name"] is None


def test_retrieve_and_list_answer_what_create_answered(client: TestClient[Any], api: Api) -> None:
    made = [api.billing_group(name=f"group-{i}") for i in range(3)]

    one = client.get(f"{PATH}/{made[1]['id']}", headers=api.tenant.headers)
    listed = client.get(PATH, headers=api.tenant.headers)

    assert one.status_code == 200, one.text
    assert one.json() == made[1]
    assert listed.json() == made  # in creation order
    assert listed.headers["X-Total-Count"] == "3"


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_update_renames_and_moves_updated_at_only(client: TestClient[Any], api: Api, method: str) -> None:
    group = api.billing_group(name="before")

    response = client.request(method, f"{PATH}/{group['id']}", json={"name": "after"}, headers=api.tenant.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "after"
    assert body["id"] == group["id"]
    assert body["created_at"] == group["created_at"]
    assert body["updated_at"] > group["updated_at"]
    assert client.get(f"{PATH}/{group['id']}", headers=api.tenant.headers).json() == body


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_an_update_without_a_change_changes_nothing(client: TestClient[Any], api: Api, method: str) -> None:
    group = api.billing_group(name="same")

    for body in ({}, {"name": "same"}):
        response = client.request(method, f"{PATH}/{group['id']}", json=body, headers=api.tenant.headers)

        assert response.status_code == 200, response.text
        assert response.json() == group


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_an_explicit_null_clears_the_name(client: TestClient[Any], api: Api, method: str) -> None:
    group = api.billing_group(name="named")

    response = client.request(method, f"{PATH}/{group['id']}", json={"name": None}, headers=api.tenant.headers)

    assert response.status_code == 200, response.text
    assert response.json()["name"] is None


def test_delete_answers_the_deleted_group_and_forgets_it(client: TestClient[Any], api: Api) -> None:
    kept, gone = api.billing_group(name="kept"), api.billing_group(name="gone")

    response = client.delete(f"{PATH}/{gone['id']}", headers=api.tenant.headers)

    assert response.status_code == 200, response.text
    assert response.json() == gone
    assert_error(client.get(f"{PATH}/{gone['id']}", headers=api.tenant.headers), 404, NOT_FOUND)
    assert client.get(PATH, headers=api.tenant.headers).json() == [kept]


def test_a_profile_shows_its_billing_group(client: TestClient[Any], api: Api) -> None:
    group = api.billing_group()

    profile = api.profile(billing_group_id=group["id"])

    assert profile["billing_group_id"] == group["id"]
    retrieved = client.get(f"/termination/endpoints/{profile['id']}", headers=api.tenant.headers).json()
    assert retrieved["billing_group_id"] == group["id"]


def test_a_group_a_profile_uses_cannot_be_deleted(client: TestClient[Any], api: Api) -> None:
    group = api.billing_group(name="in use")
    profile = api.profile(billing_group_id=group["id"])

    response = client.delete(f"{PATH}/{group['id']}", headers=api.tenant.headers)

    assert_error(response, 400, RESOURCE_IN_USE)
    assert client.get(f"{PATH}/{group['id']}", headers=api.tenant.headers).json() == group
    after = client.get(f"/termination/endpoints/{profile['id']}", headers=api.tenant.headers).json()
    assert after["billing_group_id"] == group["id"]


def test_a_group_can_be_deleted_once_no_profile_uses_it(client: TestClient[Any], api: Api) -> None:
    group = api.billing_group()
    first, second = api.profile(billing_group_id=group["id"]), api.profile(billing_group_id=group["id"])
    headers = api.tenant.headers

    client.put(f"/termination/endpoints/{first['id']}", json={"billing_group_id": None}, headers=headers)
    assert_error(client.delete(f"{PATH}/{group['id']}", headers=headers), 400, RESOURCE_IN_USE)
    client.delete(f"/termination/endpoints/{second['id']}", headers=headers)

    response = client.delete(f"{PATH}/{group['id']}", headers=headers)

    assert response.status_code == 200, response.text


def test_another_tenants_profile_does_not_hold_my_group(client: TestClient[Any], api: Api, other_api: Api) -> None:
    mine = api.billing_group()
    other_api.profile(billing_group_id=other_api.billing_group()["id"])

    response = client.delete(f"{PATH}/{mine['id']}", headers=api.tenant.headers)

    assert response.status_code == 200, response.text


def test_a_renamed_group_is_still_the_profiles_group(client: TestClient[Any], api: Api) -> None:
    group = api.billing_group(name="old")
    profile = api.profile(billing_group_id=group["id"])

    client.patch(f"{PATH}/{group['id']}", json={"name": "new"}, headers=api.tenant.headers)

    after = client.get(f"/termination/endpoints/{profile['id']}", headers=api.tenant.headers).json()
    assert after["billing_group_id"] == group["id"]


def test_a_failed_update_leaves_the_group_as_it_was(
    client: TestClient[Any], api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One transaction per request: a failure after the write rolls the write back."""
    group = api.billing_group(name="before")

    def fail(*_: Any, **__: Any) -> Any:
        raise RuntimeError("after the write")

    monkeypatch.setattr("outbound_profiles.billing_groups.service.retrieve", fail)

    response = client.patch(f"{PATH}/{group['id']}", json={"name": "after"}, headers=api.tenant.headers)

    assert_error(response, 500, UNEXPECTED)
    monkeypatch.undo()
    assert client.get(f"{PATH}/{group['id']}", headers=api.tenant.headers).json() == group
