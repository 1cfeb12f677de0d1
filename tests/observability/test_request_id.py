"""`X-Request-Id`: the client's when valid, else a new uuid4; on every answer, errors included; in
every log record written while the request is served, and with the traceback of a 500."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

import pytest
from litestar import get
from litestar.testing import TestClient

from outbound_profiles.db.database import Database
from outbound_profiles.observability.logs import JsonFormatter
from outbound_profiles.observability.metrics import Metrics
from outbound_profiles.observability.middleware import ObservabilityMiddleware
from tests.conftest import Api
from tests.observability.helpers import parse_metrics, value

PROFILES = "/termination/endpoints"


def assert_generated(request_id: str) -> None:
    assert len(request_id) == 32, request_id
    parsed = uuid.UUID(hex=request_id)
    assert (parsed.version, parsed.variant, parsed.hex) == (4, uuid.RFC_4122, request_id)


def test_a_request_without_an_id_gets_a_new_one_each_time(client: TestClient[Any]) -> None:
    ids = [client.get("/healthz").headers["x-request-id"] for _ in range(20)]

    for request_id in ids:
        assert_generated(request_id)
    assert len(set(ids)) == 20


@pytest.mark.parametrize(
    "sent",
    ["abc-123", "0" * 128, "".join(chr(c) for c in range(0x21, 0x7F)), "req:2026-11-27T10:00:00Z/42"],
)
def test_a_valid_id_from_the_client_is_echoed(client: TestClient[Any], sent: str) -> None:
    response = client.get("/healthz", headers={"X-Request-Id": sent})

    assert response.headers.get_list("x-request-id") == [sent]


@pytest.mark.parametrize(
    "sent",
    [b"", b"0" * 129, b"has space", b"tab\there", "caf\u00e9".encode("latin-1"), "\u2603".encode()],
    ids=["empty", "129 characters", "space", "tab", "latin-1", "utf-8"],
)
def test_an_invalid_id_from_the_client_is_replaced(client: TestClient[Any], sent: bytes) -> None:
    response = client.get("/healthz", headers=[(b"X-Request-Id", sent)])

    assert_generated(response.headers["x-request-id"])


def call(app: Any, path: str, headers: list[tuple[bytes, bytes]]) -> list[dict[str, Any]]:
    """One GET as a raw ASGI call, with the headers exactly as given (as uvicorn passes them:
    names in lower case, repeated headers apart); the messages sent back."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b""}
    asyncio.run(app({**scope, "headers": headers}, receive, send))
    return sent


def test_of_two_ids_the_first_decides(client: TestClient[Any]) -> None:
    first_valid = call(client.app, "/healthz", [(b"x-request-id", b"first"), (b"x-request-id", b"second")])
    first_invalid = call(client.app, "/healthz", [(b"x-request-id", b"bad one"), (b"x-request-id", b"good")])

    assert [v for k, v in first_valid[0]["headers"] if k == b"x-request-id"] == [b"first"]
    [replaced] = [v.decode() for k, v in first_invalid[0]["headers"] if k == b"x-request-id"]
    assert_generated(replaced)


def test_every_answer_carries_the_id_errors_included(client: TestClient[Any], api: Api) -> None:
    profile = api.profile()
    auth = api.tenant.headers
    answers = {
        "200": client.get(PROFILES, headers=auth),
        "400 invalid JSON": client.put(f"{PROFILES}/{profile['id']}", content=b"{", headers=auth),
        "401": client.get(PROFILES),
        "404 unknown id": client.get(f"{PROFILES}/424242", headers=auth),
        "404 unknown route": client.get("/no/such/route"),
        "405": client.delete("/healthz"),
        "413": client.put(f"{PROFILES}/{profile['id']}", content=b" " * (1024 * 1024 + 1), headers=auth),
        "OPTIONS": client.options(PROFILES),
        "metrics": client.get("/metrics"),
    }

    for name, response in answers.items():
        assert name.split()[0] in (str(response.status_code), "OPTIONS", "metrics"), (name, response.status_code)
        assert_generated(response.headers["x-request-id"])
    sent = client.get("/no/such/route", headers={"X-Request-Id": "trace-me"})
    assert sent.headers["x-request-id"] == "trace-me"


def test_a_500_names_its_request_in_the_log_with_the_traceback_and_not_in_the_body(
    client: TestClient[Any], caplog: pytest.LogCaptureFixture
) -> None:
    @get("/test-only/explode", include_in_schema=False)
    async def explode() -> None:
        raise RuntimeError("the wiring came loose")

    client.app.register(explode)
    formatter = JsonFormatter()
    lines: list[dict[str, Any]] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(formatter.format(record)))  # in the request's context, as in production

    keep = Keep()
    logging.getLogger("outbound_profiles.errors").addHandler(keep)
    try:
        with caplog.at_level(logging.INFO):
            response = client.get("/test-only/explode", headers={"X-Request-Id": "boom-1"})
    finally:
        logging.getLogger("outbound_profiles.errors").removeHandler(keep)

    assert response.status_code == 500
    assert response.headers["x-request-id"] == "boom-1"
    assert response.json()["errors"][0]["code"] == "10007"
    assert "Traceback" not in response.text
    assert "wiring" not in response.text
    [line] = lines
    assert line["level"] == "ERROR"
    assert line["request_id"] == "boom-1"
    assert "Traceback (most recent call last)" in line["traceback"]
    assert "RuntimeError: the wiring came loose" in line["traceback"]
    access = [r for r in caplog.records if r.name == "outbound_profiles.access"]
    assert [(r.__dict__["status"], r.__dict__["route"]) for r in access] == [(500, "/test-only/explode")]


def test_an_exception_that_escapes_the_application_is_still_a_500_envelope_with_the_id(
    caplog: pytest.LogCaptureFixture, database: Database
) -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("before any response")

    metrics = Metrics(database)
    middleware = ObservabilityMiddleware(broken, metrics)
    with caplog.at_level(logging.ERROR, logger="outbound_profiles.errors"):
        sent = call(middleware, "/x", [(b"x-request-id", b"escaped-1")])

    start, body = sent
    assert start["status"] == 500
    assert (b"x-request-id", b"escaped-1") in start["headers"]
    assert json.loads(body["body"])["errors"][0] == {
        "code": "10007",
        "title": "Unexpected error",
        "detail": "An unexpected error occurred.",
    }
    [record] = caplog.records
    assert record.exc_info is not None
    assert "before any response" in str(record.exc_info[1])
    samples = parse_metrics(metrics.render().decode())
    assert value(samples, "outbound_profiles_http_requests_total", route="unmatched", method="GET", status="500") == 1
