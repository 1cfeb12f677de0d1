"""A write's body is read as JSON whatever its Content-Type says: curl's `-d` sends
`application/x-www-form-urlencoded`, and the README's examples rely on it. A body that is not JSON
is a 400 10023 under any type."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import Api

TYPES = [
    None,
    "application/json",
    "application/json; charset=utf-8",
    "application/x-www-form-urlencoded",
    "text/plain",
    "application/octet-stream",
    "multipart/form-data; boundary=x",
    "nonsense",
]


@pytest.mark.parametrize("content_type", TYPES)
def test_a_json_body_is_read_under_any_content_type(
    client: TestClient[Any], api: Api, content_type: str | None
) -> None:
    headers = {**api.tenant.headers, **({"Content-Type": content_type} if content_type else {})}

    response = client.post("/billing_groups", content=b'{"name": "typed"}', headers=headers)

    assert response.status_code == 200, response.text
    assert response.json()["name"] == "typed"


@pytest.mark.parametrize("content_type", TYPES)
def test_a_body_that_is_not_json_is_invalid_json_under_any_content_type(
    client: TestClient[Any], api: Api, content_type: str | None
) -> None:
    headers = {**api.tenant.headers, **({"Content-Type": content_type} if content_type else {})}

    response = client.post("/billing_groups", content=b"name=typed", headers=headers)

    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]] == ["10023"]
