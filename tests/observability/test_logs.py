"""JSON log lines: their shape, the access log, and a real `serve` whose every stderr line is JSON."""

from __future__ import annotations

import json
import logging
import re
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from outbound_profiles.config import Settings
from outbound_profiles.observability.logs import REQUEST_ID, JsonFormatter, level_number, log_config
from tests.observability.helpers import logging_server

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def record(message: str, *args: object, exc_info: Any = None, **extra: Any) -> logging.LogRecord:
    return logging.getLogger("outbound_profiles.test").makeRecord(
        "outbound_profiles.test", logging.WARNING, __file__, 1, message, args, exc_info, extra=extra
    )


def test_a_line_is_one_json_object_with_the_context_s_request_id() -> None:
    formatter = JsonFormatter()
    token = REQUEST_ID.set("req-7")
    try:
        line = formatter.format(record("%s went %s\nand on", "it", "wrong", status=418, route="/x/{id}"))
    finally:
        REQUEST_ID.reset(token)
    outside = json.loads(formatter.format(record("no request")))

    assert "\n" not in line
    entry = json.loads(line)
    assert TIMESTAMP.fullmatch(entry.pop("timestamp")), line
    assert entry == {
        "level": "WARNING",
        "logger": "outbound_profiles.test",
        "message": "it went wrong\nand on",
        "pid": entry["pid"],
        "request_id": "req-7",
        "route": "/x/{id}",
        "status": 418,
    }
    assert "request_id" not in outside


def test_an_exception_comes_as_its_traceback() -> None:
    try:
        raise ValueError("bad value")
    except ValueError:
        entry = json.loads(JsonFormatter().format(record("failed", exc_info=sys.exc_info())))

    assert entry["message"] == "failed"
    assert entry["traceback"].startswith("Traceback (most recent call last)")
    assert entry["traceback"].rstrip().endswith("ValueError: bad value")


def test_log_levels_are_uvicorn_s_names_in_any_case() -> None:
    assert level_number("INFO") == logging.INFO
    assert level_number("trace") == 5
    assert log_config("Warning")["root"]["level"] == logging.WARNING
    with pytest.raises(ValueError, match="OUTBOUND_PROFILES_LOG_LEVEL must be one of"):
        level_number("verbose")


def test_the_access_log_has_a_line_per_request(client: TestClient[Any], caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="outbound_profiles.access"):
        response = client.get("/termination/endpoints/12", headers={"X-Request-Id": "acc-1"})
        client.get("/nowhere")
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "outbound_profiles.access"]

    first, second = lines
    assert response.status_code == 401
    assert first["message"] == "GET /termination/endpoints/12 401"
    assert {k: first[k] for k in ("level", "method", "route", "path", "status")} == {
        "level": "INFO",
        "method": "GET",
        "route": "/termination/endpoints/{profile_id}",
        "path": "/termination/endpoints/12",
        "status": 401,
    }
    assert isinstance(first["duration_ms"], float)
    assert first["duration_ms"] > 0
    assert (second["route"], second["status"]) == ("unmatched", 404)


def test_the_access_log_is_off_above_info(client: TestClient[Any], caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="outbound_profiles.access"):
        client.get("/healthz")

    assert [r for r in caplog.records if r.name == "outbound_profiles.access"] == []


def test_serve_writes_only_json_lines_uvicorn_s_included(settings: Settings, tmp_path: Path) -> None:
    with logging_server(settings.database_url, tmp_path) as server:
        response = httpx.get(f"{server.base_url}/healthz", headers={"X-Request-Id": "live-1"})
        access = server.wait_for_log(lambda e: e.get("request_id") == "live-1")
        startup = server.wait_for_log(lambda e: e["message"] == "Application startup complete.")
    entries = server.logs()  # every line, up to the shutdown: each must be a JSON object

    assert response.headers["x-request-id"] == "live-1"
    assert startup["logger"] == "uvicorn.error"
    assert access["logger"] == "outbound_profiles.access"
    assert (access["route"], access["status"], access["method"]) == ("/healthz", 200, "GET")
    assert {e["logger"] for e in entries} >= {"uvicorn.error", "outbound_profiles.access"}
    assert all(TIMESTAMP.fullmatch(e["timestamp"]) for e in entries)
    assert any(e["message"] == "Shutting down" for e in entries)


def test_serve_at_warning_writes_no_access_log(settings: Settings, tmp_path: Path) -> None:
    with logging_server(settings.database_url, tmp_path, log_level="warning") as server:
        for _ in range(3):
            assert httpx.get(f"{server.base_url}/healthz").status_code == 200
    assert [e for e in server.logs() if e["logger"] == "outbound_profiles.access"] == []
