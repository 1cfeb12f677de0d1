"""The application as `serve` runs it, against the one the tests build (`app.py`)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from litestar.testing import TestClient

from outbound_profiles import app as app_module
from outbound_profiles.config import Settings


@pytest.fixture
def freezes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[int]:
    """Calls of gc.freeze (not really frozen: frozen objects would stay for the rest of the tests)."""
    monkeypatch.setenv("OUTBOUND_PROFILES_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    calls: list[int] = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append(1))
    return calls


def test_the_served_application_freezes_its_start_up_objects_once_started(freezes: list[int]) -> None:
    served = app_module.create_served_app()
    assert freezes == []
    with TestClient(served) as client:
        assert freezes == [1]
        assert client.get("/healthz").status_code == 200


def test_an_application_built_by_create_app_freezes_nothing(freezes: list[int], tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'other.sqlite'}")
    with TestClient(app_module.create_app(settings)):
        pass
    assert freezes == []
