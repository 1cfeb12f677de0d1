from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from tests.conftest import Api


def test_update_changes_only_the_fields_sent(client: TestClient[Any], api: Api) -> None:
    connection = api.connection()
    profile = api.profile(connection_ids=[connection["id"]], name="before")

    response = client.put(f"/termination/endpoints/{profile['id']}", json={"ports": 5}, headers=api.tenant.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ports"] == 5
    assert body["name"] == "before"
    assert body["connection_id"] == connection["id"]
