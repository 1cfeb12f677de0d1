"""An unknown id, or another tenant's, is a 404 10005 on every item operation, and another tenant's
resource is left as it was (SPEC §6, §7)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import Api
from tests.contract.helpers import NOT_FOUND, assert_error
from tests.contract.resources import RESOURCES, Resource


def item_operations(resource: Resource) -> list[tuple[str, str, Mapping[str, Any] | None]]:
    """(method, path suffix, body) of every operation on one resource."""
    operations: list[tuple[str, str, Mapping[str, Any] | None]] = [("GET", "", None)]
    operations += [(method, "", resource.change) for method in resource.update_methods]
    operations += [(a.method, a.suffix, a.body) for a in resource.actions]
    operations.append(("DELETE", "", None))
    return operations


OPERATIONS = [
    pytest.param(r, method, suffix, body, id=f"{r}-{method}{suffix}")
    for r in RESOURCES
    for method, suffix, body in item_operations(r)
]
MALFORMED_IDS = ["0", "-1", "abc", "9" * 40, "1.5", "%20", "a%00b", "00000000-0000-0000-0000-000000000000x"]


@pytest.mark.parametrize(("resource", "method", "suffix", "body"), OPERATIONS)
def test_an_unknown_id_is_not_found(
    client: TestClient[Any],
    api: Api,
    resource: Resource,
    method: str,
    suffix: str,
    body: Mapping[str, Any] | None,
) -> None:
    for unknown in [resource.unknown_id, *MALFORMED_IDS]:
        response = client.request(
            method,
            resource.item(unknown, suffix),
            json=None if body is None else dict(body),
            headers=api.tenant.headers,
        )

        assert_error(response, 404, NOT_FOUND)


@pytest.mark.parametrize(("resource", "method", "suffix", "body"), OPERATIONS)
def test_another_tenants_resource_is_not_found_and_stays_as_it_was(
    client: TestClient[Any],
    api: Api,
    other_api: Api,
    resource: Resource,
    method: str,
    suffix: str,
    body: Mapping[str, Any] | None,
) -> None:
    theirs = resource.make(other_api)
    url = resource.item(theirs["id"], suffix)

    response = client.request(method, url, json=None if body is None else dict(body), headers=api.tenant.headers)

    assert_error(response, 404, NOT_FOUND)
    assert client.get(resource.item(theirs["id"]), headers=other_api.tenant.headers).json() == theirs


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_a_list_shows_only_the_tenants_own_resources(
    client: TestClient[Any], api: Api, other_api: Api, resource: Resource
) -> None:
    mine = resource.make(api)
    resource.make(other_api)
    resource.make(other_api)

    response = client.get(resource.path, headers=api.tenant.headers)

    assert response.status_code == 200, response.text
    assert [item["id"] for item in response.json()] == [mine["id"]]
    assert response.headers["X-Total-Count"] == "1"


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_a_deleted_resource_is_not_found_afterwards(client: TestClient[Any], api: Api, resource: Resource) -> None:
    item = resource.make(api)

    deleted = client.delete(resource.item(item["id"]), headers=api.tenant.headers)

    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == item
    assert_error(client.get(resource.item(item["id"]), headers=api.tenant.headers), 404, NOT_FOUND)
    assert_error(client.delete(resource.item(item["id"]), headers=api.tenant.headers), 404, NOT_FOUND)
