"""Lists are bare arrays, paginated in headers: `X-Total-Count` and an RFC 8288 `Link` (SPEC §2)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar.testing import TestClient

from tests.conftest import Api
from tests.contract.helpers import BAD_REQUEST, assert_error
from tests.contract.resources import RESOURCES, Resource

_LINK = re.compile(r'<(?P<url>[^>]*)>; rel="(?P<rel>[a-z]+)"')


def links(header: str) -> dict[str, dict[str, list[str]]]:
    """rel -> the query of its URL."""
    found = {m["rel"]: parse_qs(urlsplit(m["url"]).query) for m in _LINK.finditer(header)}
    assert ", ".join(f'<{m["url"]}>; rel="{m["rel"]}"' for m in _LINK.finditer(header)) == header
    return found


def pages(header: str) -> dict[str, int]:
    return {rel: int(query["page"][0]) for rel, query in links(header).items()}


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_a_list_is_a_bare_array_paged_by_headers(client: TestClient[Any], api: Api, resource: Resource) -> None:
    made = [resource.make(api)["id"] for _ in range(5)]
    seen: list[str] = []

    first = client.get(resource.path, params={"per_page": "2"}, headers=api.tenant.headers)
    middle = client.get(resource.path, params={"per_page": "2", "page": "2"}, headers=api.tenant.headers)
    last = client.get(resource.path, params={"per_page": "2", "page": "3"}, headers=api.tenant.headers)
    beyond = client.get(resource.path, params={"per_page": "2", "page": "4"}, headers=api.tenant.headers)

    for response, size in ((first, 2), (middle, 2), (last, 1), (beyond, 0)):
        assert response.status_code == 200, response.text
        assert isinstance(response.json(), list)
        assert len(response.json()) == size
        assert response.headers["X-Total-Count"] == "5"
        seen += [item["id"] for item in response.json()]
    assert sorted(seen) == sorted(made)  # each once, none lost between pages
    assert pages(first.headers["Link"]) == {"first": 1, "next": 2, "last": 3}
    assert pages(middle.headers["Link"]) == {"first": 1, "prev": 1, "next": 3, "last": 3}
    assert pages(last.headers["Link"]) == {"first": 1, "prev": 2, "last": 3}
    assert pages(beyond.headers["Link"]) == {"first": 1, "prev": 3, "last": 3}
    assert all(query["per_page"] == ["2"] for query in links(middle.headers["Link"]).values())


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_an_empty_list_has_one_page(client: TestClient[Any], api: Api, resource: Resource) -> None:
    response = client.get(resource.path, headers=api.tenant.headers)

    assert response.status_code == 200, response.text
    assert response.json() == []
    assert response.headers["X-Total-Count"] == "0"
    assert pages(response.headers["Link"]) == {"first": 1, "last": 1}
    assert all(query["per_page"] == ["100"] for query in links(response.headers["Link"]).values())


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_a_link_follows_to_the_same_list(client: TestClient[Any], api: Api, resource: Resource) -> None:
    for _ in range(3):
        resource.make(api)
    first = client.get(resource.path, params={"per_page": "2"}, headers=api.tenant.headers)
    next_url = _LINK.search(first.headers["Link"].split(", ")[1])
    assert next_url is not None
    assert next_url["rel"] == "next"

    second = client.get(next_url["url"], headers=api.tenant.headers)

    assert second.status_code == 200, second.text
    assert len(second.json()) == 1
    assert second.json()[0]["id"] not in {item["id"] for item in first.json()}


BAD_PAGING = [
    ("page", "0"),
    ("page", "-1"),
    ("page", "one"),
    ("page", "1.5"),
    ("page", ""),
    ("page", "٣"),  # a digit, but not an ASCII one
    ("page", "2147483648"),
    ("page", "9" * 5000),
    ("per_page", "0"),
    ("per_page", "1001"),
    ("per_page", "x"),
    ("per_page", "9" * 30),
]


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
@pytest.mark.parametrize(("name", "value"), BAD_PAGING, ids=[f"{n}={v[:12]}" for n, v in BAD_PAGING])
def test_a_bad_paging_value_is_a_400_naming_the_parameter(
    client: TestClient[Any], api: Api, resource: Resource, name: str, value: str
) -> None:
    response = client.get(resource.path, params={name: value}, headers=api.tenant.headers)

    error = assert_error(response, 400, BAD_REQUEST, parameter=name)
    assert len(error["detail"]) < 200


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_paging_at_its_bounds_is_accepted(client: TestClient[Any], api: Api, resource: Resource) -> None:
    for params in ({"page": "2147483647"}, {"per_page": "1000"}, {"per_page": "1", "page": "1"}, {"page": "007"}):
        response = client.get(resource.path, params=params, headers=api.tenant.headers)

        assert response.status_code == 200, (params, response.text)


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_an_unknown_query_parameter_is_a_400_naming_it(client: TestClient[Any], api: Api, resource: Resource) -> None:
    item = resource.make(api)
    for path in (resource.path, resource.item(item["id"])):
        response = client.get(path, params={"colour": "blue"}, headers=api.tenant.headers)

        assert_error(response, 400, BAD_REQUEST, parameter="colour")


def test_a_nul_character_in_a_query_value_is_a_400_naming_the_parameter(client: TestClient[Any], api: Api) -> None:
    response = client.get("/termination/endpoints", params={"filter[name]": "a\x00b"}, headers=api.tenant.headers)

    assert_error(response, 400, BAD_REQUEST, parameter="filter[name]")
