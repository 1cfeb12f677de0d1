"""The OpenAPI document: a valid OpenAPI 3.1 document served at `/openapi.json` (with Swagger UI at
`/docs`) that tells the truth, checked by property-based requests (schemathesis) against a running
server: no 5xx, and every status code, content type, header and body is one the document declares."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient
from schemathesis import BaseSchema, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from schemathesis.specs.openapi.definitions import OPENAPI_31

from outbound_profiles.accounts import service as accounts
from outbound_profiles.config import Settings
from outbound_profiles.db.database import Database
from outbound_profiles.db.engine import build_engine
from tests.conftest import Api
from tests.live import LiveServer, live_server

METHODS = ("get", "put", "post", "delete", "patch")
ROUTES = {
    ("/termination/authorizations", "post"),
    ("/termination/authorizations/{call_id}/end", "post"),
    ("/termination/authorizations/{call_id}/keepalive", "post"),
    ("/termination/endpoints/{profile_id}/actions/simulate_call", "post"),
    ("/termination/endpoints/{profile_id}/usage", "get"),
    ("/termination/cdrs", "get"),
    ("/termination/endpoints", "get"),
    ("/termination/endpoints", "post"),
    ("/termination/endpoints/{profile_id}", "get"),
    ("/termination/endpoints/{profile_id}", "put"),
    ("/termination/endpoints/{profile_id}", "patch"),
    ("/termination/endpoints/{profile_id}", "delete"),
    ("/termination/endpoints/{profile_id}/actions/attach_connections", "put"),
    ("/termination/endpoints/{profile_id}/actions/detach_connections", "put"),
    ("/termination/endpoints/{profile_id}/rate_deck", "put"),
    ("/termination/endpoints/{profile_id}/rate_deck", "get"),
    ("/termination/endpoints/{profile_id}/rate_deck", "delete"),
    ("/security/connections", "get"),
    ("/security/connections", "post"),
    ("/security/connections/{connection_id}", "get"),
    ("/security/connections/{connection_id}", "delete"),
    ("/billing_groups", "get"),
    ("/billing_groups", "post"),
    ("/billing_groups/{group_id}", "get"),
    ("/billing_groups/{group_id}", "put"),
    ("/billing_groups/{group_id}", "patch"),
    ("/billing_groups/{group_id}", "delete"),
    # API v2 (SPEC §11)
    ("/v2/outbound_voice_profiles", "get"),
    ("/v2/outbound_voice_profiles", "post"),
    ("/v2/outbound_voice_profiles/{profile_id}", "get"),
    ("/v2/outbound_voice_profiles/{profile_id}", "patch"),
    ("/v2/outbound_voice_profiles/{profile_id}", "delete"),
    ("/v2/billing_groups", "get"),
    ("/v2/billing_groups", "post"),
    ("/v2/billing_groups/{group_id}", "get"),
    ("/v2/billing_groups/{group_id}", "patch"),
    ("/v2/billing_groups/{group_id}", "delete"),
}


@pytest.fixture
def document(client: TestClient[Any]) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1.")
    jsonschema_rs.Draft202012Validator(OPENAPI_31).validate(document)
    for name, schema in document["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name


def test_the_document_describes_every_route(document: dict[str, Any]) -> None:
    described = {(path, method) for path, method, _ in operations(document)}

    # Every operation is fuzzed below, so a new one must be added to ROUTES.
    assert described == ROUTES, f"not in ROUTES: {sorted(described - ROUTES)}; gone: {sorted(ROUTES - described)}"
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids))


def test_every_operation_documents_its_errors_in_the_envelope(document: dict[str, Any]) -> None:
    envelope = {"$ref": "#/components/schemas/ErrorEnvelope"}
    for path, method, operation in operations(document):
        # SPEC §11: API v2 answers validation errors with 422 where v1 answers 400.
        expected = {"200", "422" if path.startswith("/v2/") else "400", "401", "500"}
        if "{" in path:
            expected.add("404")
        if "requestBody" in operation:
            expected.add("413")
        assert expected <= set(operation["responses"]), (method, path)
        for status, response in operation["responses"].items():
            if not status.startswith(("2", "3")):  # 304 has no body
                assert response["content"]["application/json"]["schema"] == envelope, (method, path, status)


def test_every_list_documents_its_paging_headers(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        if method == "get" and "{" not in path and not path.startswith("/v2/"):  # v2 pages in `meta`
            headers = operation["responses"]["200"]["headers"]
            assert headers["X-Total-Count"]["required"] is True, path
            assert headers["Link"]["required"] is True, path
            assert {"page", "per_page"} <= {p["name"] for p in operation["parameters"]}, path


def test_the_preconditions_are_documented_where_they_are_honoured(document: dict[str, Any]) -> None:
    conditional = {
        (path, method): operation
        for path, method, operation in operations(document)
        if "{profile_id}" in path
        and "/v2/billing" not in path
        and not path.endswith(("/simulate_call", "/usage", "/rate_deck"))  # a profile's parts, without preconditions
    }
    assert len(conditional) == 9  # v1: get, put, patch, delete, attach, detach; v2: get, patch, delete
    for (path, method), operation in conditional.items():
        header = "If-None-Match" if method == "get" else "If-Match"
        assert header in {p["name"] for p in operation["parameters"] if p["in"] == "header"}, (method, path)
        assert ("304" if method == "get" else "412") in operation["responses"], (method, path)
        assert operation["responses"]["200"]["headers"]["ETag"]["required"] is True, (method, path)
    for path, method, operation in operations(document):
        # The data plane's POSTs are idempotent by the call's id.
        data_plane = path.startswith("/termination/authorizations") or path.endswith("/simulate_call")
        if ("/actions/" in path or method == "post") and not data_plane:
            assert "Idempotency-Key" in {p["name"] for p in operation.get("parameters", [])}, (method, path)


def test_the_security_schemes_are_declared_and_each_one_works(
    client: TestClient[Any], api: Api, document: dict[str, Any]
) -> None:
    schemes = document["components"]["securitySchemes"]
    assert document["security"] == [{"bearerToken": []}, {"tokenScheme": []}, {"apiUser": [], "apiToken": []}]
    values = {"apiUser": api.tenant.email, "apiToken": api.tenant.token}

    for requirement in document["security"]:
        headers: dict[str, str] = {}
        for name in requirement:
            scheme = schemes[name]
            if scheme["type"] == "http":
                headers["Authorization"] = f"{scheme['scheme'].capitalize()} {api.tenant.token}"
            else:
                assert (scheme["type"], scheme["in"]) == ("apiKey", "header")
                headers[scheme["name"]] = values[name]
        response = client.get("/termination/endpoints", headers=headers)

        assert response.status_code == 200, (requirement, response.text)
        partial = {k: v for k, v in headers.items() if k != "Authorization"}
        if len(partial) > 1:  # the pair: either half alone is refused
            for half in partial:
                assert client.get("/termination/endpoints", headers={half: partial[half]}).status_code == 401


def test_docs_serve_swagger_ui_on_the_document(client: TestClient[Any]) -> None:
    response = client.get("/docs")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "SwaggerUIBundle" in response.text
    # The page embeds the whole document, completed like /openapi.json.
    assert '"securitySchemes"' in response.text
    assert '"ErrorEnvelope"' in response.text


# Property-based: schemathesis generates requests from the document and sends them to a running
# server. Kept small and reproducible (derandomized, no example database).


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Iterator[tuple[LiveServer, str]]:
    workdir = tmp_path_factory.mktemp("schemathesis")
    path = workdir / "outbound-profiles.db"
    shutil.copyfile(migrated_template, path)
    url = f"sqlite:///{path}"
    database = Database(build_engine(Settings(database_url=url)))
    credentials = database.run_sync(lambda c: accounts.create_user(c, "fuzz@example.com"), write=True)
    database.dispose()
    with live_server(url, workdir) as server:
        _seed(server.base_url, credentials.token)
        yield server, credentials.token


def _seed(base_url: str, token: str) -> None:
    """A little of everything, so that generated requests also meet existing resources."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers) as http:
        connections = [http.post("/security/connections", json={"connection_name": f"c{i}"}).json() for i in range(3)]
        group = http.post("/billing_groups", json={"name": "group"}).json()
        http.post(
            "/termination/endpoints",
            json={"connection_ids": [connections[0]["id"]], "billing_group_id": group["id"], "name": "seeded"},
        ).raise_for_status()


@pytest.fixture(scope="module")
def api_schema(fuzzed: tuple[LiveServer, str]) -> BaseSchema:
    server, _ = fuzzed
    return schemathesis.openapi.from_url(f"{server.base_url}/openapi.json")


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
    unsupported_method,
]


@pytest.mark.parametrize(("path", "method"), sorted(ROUTES), ids=[f"{m.upper()} {p}" for p, m in sorted(ROUTES)])
def test_the_api_keeps_the_promises_of_its_document(
    api_schema: BaseSchema, fuzzed: tuple[LiveServer, str], path: str, method: str
) -> None:
    _, token = fuzzed
    operation = api_schema[path][method.upper()]
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=cases)
    @settings(
        max_examples=20,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def keeps_its_promises(case: Case[Any]) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    keeps_its_promises()
