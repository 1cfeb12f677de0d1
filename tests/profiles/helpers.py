"""Small helpers for the `/termination/endpoints` tests: one client per tenant, error assertions."""

from __future__ import annotations

import re
from typing import Any

import httpx
from litestar.testing import TestClient

from tests.conftest import Api, Tenant

PATH = "/termination/endpoints"
ISO_8601_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
NUMERIC_ID = re.compile(r"^[1-9][0-9]{0,18}$")
TITLES = {
    "10004": "Missing required parameter",
    "10005": "Resource not found",
    "10009": "Authentication failed",
    "10015": "Bad Request",
    "10021": "Resource in use",
    "10023": "Invalid JSON",
}


def url(profile_id: str, action: str | None = None) -> str:
    return f"{PATH}/{profile_id}" + (f"/actions/{action}" if action else "")


class Endpoints:
    """The profile resource as one tenant sees it, plus its test-data factories (`api`)."""

    def __init__(self, client: TestClient[Any], api: Api) -> None:
        self.client = client
        self.api = api
        self.headers = api.tenant.headers

    def as_tenant(self, tenant: Tenant) -> Endpoints:
        """The same resource as another tenant sees it."""
        return Endpoints(self.client, Api(self.client, tenant))

    def create(self, body: dict[str, Any], **params: str) -> httpx.Response:
        return self.client.post(PATH, json=body, params=params, headers=self.headers)

    def get(self, profile_id: str, **params: str) -> httpx.Response:
        return self.client.get(url(profile_id), params=params, headers=self.headers)

    def update(self, profile_id: str, body: Any, *, method: str = "PUT", **params: str) -> httpx.Response:
        return self.client.request(method, url(profile_id), json=body, params=params, headers=self.headers)

    def delete(self, profile_id: str) -> httpx.Response:
        return self.client.delete(url(profile_id), headers=self.headers)

    def attach(self, profile_id: str, connection_ids: list[str]) -> httpx.Response:
        body = {"connection_ids": connection_ids}
        return self.client.put(url(profile_id, "attach_connections"), json=body, headers=self.headers)

    def detach(self, profile_id: str, connection_ids: list[str]) -> httpx.Response:
        body = {"connection_ids": connection_ids}
        return self.client.put(url(profile_id, "detach_connections"), json=body, headers=self.headers)

    def list(self, **params: str) -> httpx.Response:
        return self.client.get(PATH, params=params, headers=self.headers)

    # Shortcuts that expect success and return the body.

    def profile(self, **fields: Any) -> dict[str, Any]:
        return self.api.profile(**fields)

    def connection_id(self, name: str = "trunk") -> str:
        connection_id: str = self.api.connection(connection_name=name)["id"]
        return connection_id

    def read(self, profile_id: str, **params: str) -> dict[str, Any]:
        return ok(self.get(profile_id, **params))

    def updated(self, profile_id: str, body: dict[str, Any], **params: str) -> dict[str, Any]:
        return ok(self.update(profile_id, body, **params))


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def problems(response: httpx.Response, status: int = 400) -> dict[str, str]:
    """The errors of a refused request, by pointer (or query parameter), after checking the envelope."""
    assert response.status_code == status, response.text
    errors = response.json()["errors"]
    assert errors, response.text
    found: dict[str, str] = {}
    for error in errors:
        assert set(error) <= {"code", "title", "detail", "source"}, error
        assert TITLES[error["code"]] == error["title"], error
        source = error.get("source", {})
        assert len(source) <= 1, error
        # A pointer starts with "/", a query parameter name does not; "" is no source at all.
        if "pointer" in source:
            assert source["pointer"].startswith("/"), error
        if "parameter" in source:
            assert not source["parameter"].startswith("/"), error
        where = source.get("pointer", source.get("parameter", ""))
        found[where] = f"{error['code']}: {error['detail']}"
    return found


def only_problem(response: httpx.Response, where: str, code: str = "10015", status: int = 400) -> str:
    """The detail of the one error of a refused request, which must be at `where` with `code`."""
    found = problems(response, status)
    assert list(found) == [where], found
    assert found[where].startswith(f"{code}: "), found
    return found[where].removeprefix(f"{code}: ")
