"""Whatever goes wrong, the answer is the one error envelope (SPEC §6): bad JSON, bodies that are
not objects or are too large, unknown routes, wrong methods, unexpected failures."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from outbound_profiles.config import MAX_BODY_BYTES
from tests.conftest import Api
from tests.contract.helpers import BAD_REQUEST, INVALID_JSON, NOT_FOUND, UNEXPECTED, assert_error, errors_of
from tests.contract.resources import RESOURCES, Resource

MALFORMED = [b"", b"{", b'{"name": }', b"{'name': 'x'}", b'{"name": "x",}', b"\xff\xfe", b"NaN", b'{"a": 1} trailing']
NOT_OBJECTS = [b"[]", b'["name"]', b'"name"', b"1", b"true", b"null"]


def writes(resource: Resource, api: Api) -> list[tuple[str, str]]:
    """(method, path) of every operation of the resource that reads a body."""
    item = resource.make(api)
    operations = [("POST", resource.path)]
    operations += [(method, resource.item(item["id"])) for method in resource.update_methods]
    operations += [(a.method, resource.item(item["id"], a.suffix)) for a in resource.actions]
    return operations


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_malformed_json_is_10023(client: TestClient[Any], api: Api, resource: Resource) -> None:
    for method, path in writes(resource, api):
        for raw in MALFORMED:
            response = client.request(
                method, path, content=raw, headers={**api.tenant.headers, "Content-Type": "application/json"}
            )

            assert_error(response, 400, INVALID_JSON)


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_a_json_body_that_is_not_an_object_is_refused(client: TestClient[Any], api: Api, resource: Resource) -> None:
    for method, path in writes(resource, api):
        for raw in NOT_OBJECTS:
            response = client.request(
                method, path, content=raw, headers={**api.tenant.headers, "Content-Type": "application/json"}
            )

            assert_error(response, 400, INVALID_JSON)


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_a_body_over_one_mebibyte_is_413_in_the_envelope(client: TestClient[Any], api: Api, resource: Resource) -> None:
    def body_of(size: int) -> bytes:
        prefix, suffix = b'{"name": "', b'"}'
        return prefix + b"x" * (size - len(prefix) - len(suffix)) + suffix

    for method, path in writes(resource, api):
        at_limit = client.request(method, path, content=body_of(MAX_BODY_BYTES), headers=api.tenant.headers)
        over = client.request(method, path, content=body_of(MAX_BODY_BYTES + 1), headers=api.tenant.headers)

        assert at_limit.status_code == 400, at_limit.text  # read, then refused for what it says
        assert_error(over, 413)
    assert client.get(resource.path, headers=api.tenant.headers).headers["X-Total-Count"] == "1"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nope"),
        ("POST", "/nope"),
        ("GET", "/termination"),
        ("GET", "/termination/endpoints/1/nope"),
        ("PUT", "/termination/endpoints/1/actions/nope"),
        ("GET", "/security"),
        ("DELETE", "/security/connections/1/2"),
        ("PATCH", "/billing_groups/1/name"),
        ("GET", "/v1/termination/endpoints"),
        ("GET", "/openapi.json/x"),
    ],
)
def test_an_unknown_route_is_404_in_the_envelope(client: TestClient[Any], api: Api, method: str, path: str) -> None:
    for headers in ({}, api.tenant.headers):
        response = client.request(method, path, headers=headers)

        assert_error(response, 404, NOT_FOUND)


def _item_methods(resource: Resource) -> set[str]:
    return {"GET", "HEAD", "DELETE", "OPTIONS", *resource.update_methods}


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_a_method_the_path_does_not_take_is_405_in_the_envelope_with_allow(
    client: TestClient[Any], api: Api, resource: Resource
) -> None:
    item = resource.make(api)
    paths = {resource.path: {"GET", "HEAD", "POST", "OPTIONS"}, resource.item(item["id"]): _item_methods(resource)}
    for path, allowed in paths.items():
        for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - allowed):
            response = client.request(method, path, headers=api.tenant.headers)

            error = assert_error(response, 405, BAD_REQUEST)
            assert error["title"] == "Method Not Allowed"
            assert set(response.headers["allow"].split(", ")) == allowed


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_options_lists_every_method_of_the_path(client: TestClient[Any], api: Api, resource: Resource) -> None:
    item = resource.make(api)

    collection = client.options(resource.path)
    one = client.options(resource.item(item["id"]))

    assert collection.status_code == 204
    assert set(collection.headers["allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}
    assert one.status_code == 204
    assert set(one.headers["allow"].split(", ")) == _item_methods(resource)


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_head_answers_as_get_does_without_the_body(client: TestClient[Any], api: Api, resource: Resource) -> None:
    item = resource.make(api)
    for path in (resource.path, resource.item(item["id"]), resource.item("404")):
        got = client.get(path, headers=api.tenant.headers)
        head = client.head(path, headers=api.tenant.headers)

        assert head.status_code == got.status_code
        assert head.content == b""
        assert head.headers["content-length"] == got.headers["content-length"]
        assert head.headers["content-type"] == got.headers["content-type"]
        assert head.headers.get("etag") == got.headers.get("etag")
    assert client.head(resource.path).status_code == 401


def test_head_of_the_probes_needs_no_credentials(client: TestClient[Any]) -> None:
    for path in ("/healthz", "/readyz", "/metrics"):
        assert client.head(path).status_code == 200, path


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_an_unexpected_failure_is_500_10007_without_internals(
    client: TestClient[Any],
    api: Api,
    resource: Resource,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("secret-internal-detail")

    monkeypatch.setattr(f"{resource.service}.list_page", broken)

    response = client.get(resource.path, headers=api.tenant.headers)

    error = assert_error(response, 500, UNEXPECTED)
    assert error["title"] == "Unexpected error"
    for leak in ("secret-internal-detail", "Traceback", "RuntimeError", "File "):
        assert leak not in response.text
    # A server error may be transient: the SDKs may retry it.
    assert response.headers.get("x-should-retry") != "false"
    assert "secret-internal-detail" in caplog.text  # the operator still sees it in the log


def test_every_error_names_a_known_code_and_title(client: TestClient[Any], api: Api) -> None:
    responses = [
        client.get("/termination/endpoints"),
        client.get("/termination/endpoints?page=0", headers=api.tenant.headers),
        client.post("/security/connections", json={}, headers=api.tenant.headers),
        client.post("/billing_groups", content=b"{", headers=api.tenant.headers),
        client.get("/billing_groups/x", headers=api.tenant.headers),
    ]
    known = {
        "10004": "Missing required parameter",
        "10005": "Resource not found",
        "10009": "Authentication failed",
        "10015": "Bad Request",
        "10023": "Invalid JSON",
    }
    for response in responses:
        for error in errors_of(response, response.status_code):
            assert known[error["code"]] == error["title"], error
