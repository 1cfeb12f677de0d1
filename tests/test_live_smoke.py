from __future__ import annotations

import httpx

from tests.live import LiveServer


def test_a_user_made_with_the_cli_can_use_the_running_server(server: LiveServer) -> None:
    credentials = server.new_user("live@example.com")

    response = httpx.get(
        f"{server.base_url}/termination/endpoints", headers={"Authorization": f"Bearer {credentials['token']}"}
    )

    assert response.status_code == 200
    assert response.json() == []
    assert response.headers["X-Total-Count"] == "0"
