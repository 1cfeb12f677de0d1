from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from outbound_profiles.config import Settings
from outbound_profiles.db.database import Database
from outbound_profiles.db.engine import build_engine


def test_healthz_answers_without_credentials(client: TestClient[Any]) -> None:
    response = client.get("/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_is_ready_when_the_database_answers(client: TestClient[Any]) -> None:
    response = client.get("/readyz")

    assert (response.status_code, response.json()) == (200, {"status": "ready"})


def test_readyz_is_503_when_the_database_does_not_answer(client: TestClient[Any]) -> None:
    unreachable = Database(build_engine(Settings(database_url="sqlite:////nonexistent/dir/db.sqlite")))
    working = client.app.state.database
    client.app.state.database = unreachable
    try:
        response = client.get("/readyz")
    finally:
        client.app.state.database = working
        unreachable.dispose()

    assert (response.status_code, response.json()) == (503, {"status": "database unreachable"})
