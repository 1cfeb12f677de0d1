"""The official `telnyx` SDK pointed at a running server (SPEC §11)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient
from telnyx import Telnyx

from outbound_profiles.app import create_app
from outbound_profiles.config import Settings
from outbound_profiles.db.database import Database
from tests.live import LiveServer


@dataclass(frozen=True)
class Surfaces:
    """One user of a running server, through the SDK (v2) and through plain HTTP (v1)."""

    sdk: Telnyx
    v1: httpx.Client
    token: str
    base_url: str


def sdk_client(server: LiveServer, token: str) -> Telnyx:
    # max_retries=0: an error is raised at once (the service also says x-should-retry: false).
    return Telnyx(api_key=token, base_url=f"{server.base_url}/v2", max_retries=0, timeout=10)


@pytest.fixture
def surfaces(server: LiveServer) -> Iterator[Surfaces]:
    token = server.new_user("sdk@example.com")["token"]
    headers = {"Authorization": f"Bearer {token}"}
    with sdk_client(server, token) as sdk, httpx.Client(base_url=server.base_url, headers=headers, timeout=10) as v1:
        yield Surfaces(sdk, v1, token, server.base_url)


def v1_json(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def strict_client(settings: Settings, database: Database) -> Iterator[TestClient[Any]]:
    """The app with OUTBOUND_PROFILES_V2_UNKNOWN_FIELDS=refuse, on the same database as `client`."""
    strict = dataclasses.replace(settings, v2_unknown_fields="refuse")
    with TestClient(create_app(strict, database)) as test_client:
        yield test_client
