"""Every field of every resource refuses its bogus values with a 400 naming the field, and a
refused request changes nothing (SPEC §4, §6)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import Api
from tests.contract.helpers import BAD_REQUEST, MISSING_PARAMETER, assert_error, errors_of
from tests.contract.resources import RESOURCES, UPDATABLE, Made, Resource, Setup

CREATE_CASES = [pytest.param(r, b, id=f"{r}-{b}") for r in RESOURCES for b in r.bogus]
# The update methods are aliases of one operation: each bogus value is sent with the first.
UPDATE_CASES = [
    pytest.param(r, r.update_methods[0], b, id=f"{r}-{r.update_methods[0]}-{b}") for r in UPDATABLE for b in r.bogus
]
READ_ONLY_BACK = [pytest.param(r, m, id=f"{r}-{m}") for r in UPDATABLE for m in r.update_methods]


def _total(client: TestClient[Any], resource: Resource, api: Api) -> int:
    response = client.get(resource.path, headers=api.tenant.headers)
    assert response.status_code == 200, response.text
    return int(response.headers["X-Total-Count"])


@pytest.mark.parametrize(("resource", "bogus"), CREATE_CASES)
def test_a_bogus_value_is_refused_on_create_and_nothing_is_created(
    client: TestClient[Any], setup: Setup, resource: Resource, bogus: Any
) -> None:
    body = {**resource.minimal, **bogus.body(setup)}
    before = _total(client, resource, setup.api)

    response = client.post(resource.path, json=body, headers=setup.api.tenant.headers)

    assert_error(response, 400, bogus.code, pointer=bogus.where)
    assert _total(client, resource, setup.api) == before


@pytest.mark.parametrize(("resource", "method", "bogus"), UPDATE_CASES)
def test_a_bogus_value_is_refused_on_update_and_nothing_changes(
    client: TestClient[Any], setup: Setup, resource: Resource, method: str, bogus: Any
) -> None:
    item = resource.make(setup.api)
    body = bogus.body(setup)

    response = client.request(method, resource.item(item["id"]), json=body, headers=setup.api.tenant.headers)

    assert_error(response, 400, bogus.code, pointer=bogus.where)
    assert client.get(resource.item(item["id"]), headers=setup.api.tenant.headers).json() == item


@pytest.mark.parametrize(("resource", "method"), READ_ONLY_BACK)
def test_a_valid_update_applies_so_the_refusals_above_mean_something(
    client: TestClient[Any], api: Api, resource: Resource, method: str
) -> None:
    item = resource.make(api)

    response = client.request(method, resource.item(item["id"]), json=dict(resource.change), headers=api.tenant.headers)

    assert response.status_code == 200, response.text
    assert {k: response.json()[k] for k in resource.change} == dict(resource.change)
    assert client.get(resource.item(item["id"]), headers=api.tenant.headers).json() == response.json()


@pytest.mark.parametrize(
    ("resource", "name"), [pytest.param(r, n, id=f"{r}-{n}") for r in RESOURCES for n in r.required]
)
def test_a_missing_required_field_is_10004_naming_it(
    client: TestClient[Any], api: Api, resource: Resource, name: str
) -> None:
    body = {k: v for k, v in resource.minimal.items() if k != name}

    response = client.post(resource.path, json=body, headers=api.tenant.headers)

    assert_error(response, 400, MISSING_PARAMETER, pointer=f"/{name}")
    assert _total(client, resource, api) == 0


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_an_unknown_field_is_refused_on_create(client: TestClient[Any], api: Api, resource: Resource) -> None:
    response = client.post(resource.path, json={**resource.minimal, "colour": "blue"}, headers=api.tenant.headers)

    assert_error(response, 400, BAD_REQUEST, pointer="/colour")


@pytest.mark.parametrize(("resource", "method"), READ_ONLY_BACK)
def test_an_unknown_field_is_refused_on_update(
    client: TestClient[Any], api: Api, resource: Resource, method: str
) -> None:
    item = resource.make(api)

    response = client.request(
        method, resource.item(item["id"]), json={**resource.change, "colour": "blue"}, headers=api.tenant.headers
    )

    assert_error(response, 400, BAD_REQUEST, pointer="/colour")
    assert client.get(resource.item(item["id"]), headers=api.tenant.headers).json() == item


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_every_problem_of_a_body_is_reported_together(client: TestClient[Any], api: Api, resource: Resource) -> None:
    first_per_field = {}
    for bogus in resource.bogus:
        if not bogus.along and not isinstance(bogus.value, Made) and bogus.field not in first_per_field:
            first_per_field[bogus.field] = bogus
    body = {**resource.minimal, **{name: b.value for name, b in first_per_field.items()}, "colour": "blue"}

    response = client.post(resource.path, json=body, headers=api.tenant.headers)

    reported = {e.get("source", {}).get("pointer") for e in errors_of(response, 400)}
    assert {b.where for b in first_per_field.values()} | {"/colour"} <= reported


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_read_only_fields_sent_back_on_create_are_ignored(
    client: TestClient[Any], api: Api, resource: Resource
) -> None:
    read = resource.make(api)

    response = client.post(resource.path, json={**read, **resource.minimal}, headers=api.tenant.headers)

    assert response.status_code == 200, response.text
    assert response.json()["id"] != read["id"]
    assert _total(client, resource, api) == 2


@pytest.mark.parametrize(("resource", "method"), READ_ONLY_BACK)
def test_what_was_read_can_be_sent_back_unchanged(
    client: TestClient[Any], api: Api, resource: Resource, method: str
) -> None:
    read = resource.make(api)

    response = client.request(method, resource.item(read["id"]), json=read, headers=api.tenant.headers)

    assert response.status_code == 200, response.text
    assert response.json() == read


def test_the_table_has_a_bogus_value_for_every_field_each_create_body_accepts(client: TestClient[Any]) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for resource in RESOURCES:
        accepted = set(schemas[resource.create_schema]["properties"])
        assert {b.field for b in resource.bogus} == accepted, resource.name
