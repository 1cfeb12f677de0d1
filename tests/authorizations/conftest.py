from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import TestClient

from outbound_profiles.accounts import service as accounts
from outbound_profiles.db.database import Database
from tests.conftest import Api


@pytest.fixture
def switch_headers(database: Database) -> dict[str, str]:
    issued = database.run_sync(accounts.create_switch_token, write=True)
    return {"Authorization": f"Bearer {issued.token}"}


@dataclass
class Switch:
    """The switch's side of the data plane, over HTTP."""

    client: TestClient[Any]
    headers: dict[str, str]
    count: int = 0

    def authorize(
        self, connection_id: str, to: str = "+12025550123", *, call_id: str | None = None, caller: str = "+13125550100"
    ) -> dict[str, Any]:
        if call_id is None:
            self.count += 1
            call_id = f"call-{self.count}"
        response = self.client.post(
            "/termination/authorizations",
            json={"call_id": call_id, "connection_id": connection_id, "to": to, "from": caller},
            headers=self.headers,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def wait_for_default_deck(self) -> None:
        """Until the server has a default deck in effect (it looks twice a second)."""
        decks = self.client.app.state.data_plane.decks
        deadline = time.monotonic() + 10
        while decks.current() is None:
            assert time.monotonic() < deadline, "the default deck never came into effect"
            time.sleep(0.05)

    def end(self, call_id: str, duration_seconds: int | None = None) -> Any:
        body = {} if duration_seconds is None else {"duration_seconds": duration_seconds}
        return self.client.post(f"/termination/authorizations/{call_id}/end", json=body, headers=self.headers)


@pytest.fixture
def switch(client: TestClient[Any], switch_headers: dict[str, str]) -> Switch:
    return Switch(client, switch_headers)


@dataclass
class Line:
    """A tenant's connection with a profile attached."""

    connection_id: str
    profile: dict[str, Any]


@pytest.fixture
def line(api: Api) -> Line:
    connection = api.connection()
    profile = api.profile(connection_ids=[connection["id"]], name="line")
    return Line(connection["id"], profile)
