"""Assertions on the error envelope (SPEC §6), shared by every resource's tests."""

from __future__ import annotations

from typing import Any

import httpx

BAD_REQUEST = "10015"
MISSING_PARAMETER = "10004"
NOT_FOUND = "10005"
UNEXPECTED = "10007"
AUTHENTICATION_FAILED = "10009"
RESOURCE_IN_USE = "10021"
INVALID_JSON = "10023"


def errors_of(response: httpx.Response, status: int) -> list[dict[str, Any]]:
    """The envelope's errors, after checking what every error response must carry."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    if 400 <= status < 500:
        # Nothing here is transient: the official SDKs must not retry it.
        assert response.headers.get("x-should-retry") == "false", response.headers
    body = response.json()
    assert set(body) == {"errors"}, body
    errors: list[dict[str, Any]] = body["errors"]
    assert errors, body
    for error in errors:
        assert set(error) <= {"code", "title", "detail", "source"}, error
        assert isinstance(error["code"], str), error
        assert error["code"].isdigit(), error
        assert error["title"], error
        assert error["detail"], error
    return errors


def assert_error(
    response: httpx.Response,
    status: int,
    code: str | None = None,
    *,
    pointer: str | None = None,
    parameter: str | None = None,
) -> dict[str, Any]:
    """The one error (or the one naming `pointer`/`parameter`) has this status and code."""
    errors = errors_of(response, status)
    if pointer is not None or parameter is not None:
        source = {"pointer": pointer} if pointer is not None else {"parameter": parameter}
        matching = [e for e in errors if e.get("source") == source]
        assert len(matching) == 1, f"expected one error at {source}, got {errors}"
        error = matching[0]
    else:
        assert len(errors) == 1, errors
        error = errors[0]
    if code is not None:
        assert error["code"] == code, error
    return error
