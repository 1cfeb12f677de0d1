"""Credentials (SPEC §7): every accepted kind works on every resource, anything else is a 401 10009."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from litestar.testing import TestClient

from outbound_profiles.accounts import repository, tokens
from outbound_profiles.accounts import service as accounts
from outbound_profiles.db.database import Database
from tests.conftest import Api, Tenant
from tests.contract.helpers import AUTHENTICATION_FAILED, assert_error
from tests.contract.resources import RESOURCES, Resource

Headers = Callable[[Tenant, Tenant], dict[str, str]]

WRONG: dict[str, Headers] = {
    "none": lambda me, other: {},
    "basic": lambda me, other: {
        "Authorization": "Basic " + base64.b64encode(f"{me.email}:{me.token}".encode()).decode()
    },
    "basic-token": lambda me, other: {"Authorization": f"Basic {me.token}"},
    "bearer-empty": lambda me, other: {"Authorization": "Bearer "},
    "bearer-alone": lambda me, other: {"Authorization": "Bearer"},
    "bearer-garbage": lambda me, other: {"Authorization": "Bearer garbage"},
    "bearer-token-id-only": lambda me, other: {"Authorization": f"Bearer {me.token_id}"},
    "bearer-wrong-secret": lambda me, other: {"Authorization": f"Bearer {me.token_id}_{'A' * 43}"},
    "bearer-another-id-with-my-secret": lambda me, other: {
        "Authorization": f"Bearer {other.token_id}_{me.token.partition('_')[2]}"
    },
    "token-empty": lambda me, other: {"Authorization": "Token "},
    "unknown-scheme": lambda me, other: {"Authorization": f"Digest {me.token}"},
    "no-scheme": lambda me, other: {"Authorization": me.token},
    "api-user-alone": lambda me, other: {"x-api-user": me.email},
    "api-token-alone": lambda me, other: {"x-api-token": me.token},
    "api-user-of-someone-else": lambda me, other: {"x-api-user": other.email, "x-api-token": me.token},
    "api-user-another-token-id": lambda me, other: {"x-api-user": other.token_id, "x-api-token": me.token},
    "api-user-unknown": lambda me, other: {"x-api-user": "nobody@example.com", "x-api-token": me.token},
    "api-pair-garbage-token": lambda me, other: {"x-api-user": me.email, "x-api-token": "garbage"},
    "api-pair-empty": lambda me, other: {"x-api-user": "", "x-api-token": ""},
}
RIGHT: dict[str, Headers] = {
    "bearer": lambda me, other: {"Authorization": f"Bearer {me.token}"},
    "bearer-lowercase-scheme": lambda me, other: {"Authorization": f"bearer {me.token}"},
    "token": lambda me, other: {"Authorization": f"Token {me.token}"},
    "api-pair-email": lambda me, other: {"x-api-user": me.email, "x-api-token": me.token},
    "api-pair-email-other-case": lambda me, other: {"x-api-user": me.email.upper(), "x-api-token": me.token},
    "api-pair-token-id": lambda me, other: {"x-api-user": me.token_id, "x-api-token": me.token},
}


def _cases(kinds: dict[str, Headers]) -> list[Any]:
    return [pytest.param(r, kind, id=f"{r}-{name}") for r in RESOURCES for name, kind in kinds.items()]


@pytest.mark.parametrize(("resource", "headers"), _cases(WRONG))
def test_wrong_credentials_are_refused(
    client: TestClient[Any], tenant: Tenant, other_tenant: Tenant, resource: Resource, headers: Headers
) -> None:
    response = client.get(resource.path, headers=headers(tenant, other_tenant))

    assert_error(response, 401, AUTHENTICATION_FAILED)


@pytest.mark.parametrize(("resource", "headers"), _cases(RIGHT))
def test_every_accepted_kind_of_credentials_acts_as_its_user(
    client: TestClient[Any], api: Api, other_api: Api, resource: Resource, headers: Headers
) -> None:
    mine = resource.make(api)
    resource.make(other_api)

    listed = client.get(resource.path, headers=headers(api.tenant, other_api.tenant))
    created = client.post(resource.path, json=dict(resource.minimal), headers=headers(api.tenant, other_api.tenant))

    assert listed.status_code == 200, listed.text
    assert [item["id"] for item in listed.json()] == [mine["id"]]
    assert created.status_code == 200, created.text
    assert client.get(resource.item(created.json()["id"]), headers=api.tenant.headers).status_code == 200


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_a_revoked_token_is_refused_in_every_form(
    client: TestClient[Any], database: Database, api: Api, resource: Resource
) -> None:
    me = api.tenant
    assert client.get(resource.path, headers=me.headers).status_code == 200

    database.run_sync(lambda c: accounts.revoke_token(c, me.token_id), write=True)

    for headers in RIGHT.values():
        assert_error(client.get(resource.path, headers=headers(me, me)), 401, AUTHENTICATION_FAILED)


def test_a_wrong_secret_is_refused_after_the_right_one_was_accepted(
    client: TestClient[Any], tenant: Tenant, other_tenant: Tenant
) -> None:
    """The service remembers a secret it has verified: only that very secret may skip the hash."""
    path = RESOURCES[0].path
    right, wrong = RIGHT["bearer"](tenant, other_tenant), WRONG["bearer-wrong-secret"](tenant, other_tenant)
    longer = {"Authorization": right["Authorization"] + "A"}

    assert client.get(path, headers=right).status_code == 200
    assert_error(client.get(path, headers=wrong), 401, AUTHENTICATION_FAILED)
    assert_error(client.get(path, headers=longer), 401, AUTHENTICATION_FAILED)
    assert client.get(path, headers=right).status_code == 200


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_credentials_are_checked_before_the_body(client: TestClient[Any], api: Api, resource: Resource) -> None:
    for body in ({"colour": "blue"}, {**resource.minimal}):
        response = client.post(resource.path, json=body)

        assert_error(response, 401, AUTHENTICATION_FAILED)
    assert client.get(resource.path, headers=api.tenant.headers).headers["X-Total-Count"] == "0"


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_every_item_operation_needs_credentials(client: TestClient[Any], api: Api, resource: Resource) -> None:
    item = resource.make(api)
    methods = ["GET", "DELETE", *resource.update_methods]

    for method in methods:
        response = client.request(method, resource.item(item["id"]), json=dict(resource.change) or None)

        assert_error(response, 401, AUTHENTICATION_FAILED)
    for action in resource.actions:
        response = client.request(action.method, resource.item(item["id"], action.suffix), json=dict(action.body))

        assert_error(response, 401, AUTHENTICATION_FAILED)
    assert client.get(resource.item(item["id"]), headers=api.tenant.headers).json() == item


def test_an_unknown_token_id_costs_what_a_known_id_with_a_wrong_secret_costs(
    database: Database, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same statements and the same hashing either way: a refusal's time does not tell whether the id exists."""
    work: list[str] = []
    find, hash_secret = repository.find_credentials, tokens.hash_secret

    def counted_find(*args: Any) -> Any:
        work.append("query")
        return find(*args)

    def counted_hash(secret: str) -> str:
        work.append("hash")
        return hash_secret(secret)

    monkeypatch.setattr(repository, "find_credentials", counted_find)
    monkeypatch.setattr(tokens, "hash_secret", counted_hash)

    def cost(token: str) -> list[str]:
        work.clear()
        for _ in range(3):
            assert database.run_sync(lambda c: accounts.authenticate(c, token, None), write=False) is None
        return list(work)

    wrong_secret = cost(f"{tenant.token_id}_{'A' * 43}")
    unknown_id = cost(f"KEY{'0' * 24}_{'A' * 43}")

    assert unknown_id == wrong_secret
    assert wrong_secret.count("hash") == 3
