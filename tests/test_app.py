"""The application as `serve` runs it, against the one the tests build (`app.py`)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from litestar.testing import TestClient

from outbound_profiles import app as app_module
from outbound_profiles.config import Settings


@pytest.fixture
def tuning(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[object]:
    """Calls of gc.freeze and gc.set_threshold (not really made: frozen objects would stay for the
    rest of the tests, and the tests' own collections would change)."""
    monkeypatch.setenv("OUTBOUND_PROFILES_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    calls: list[object] = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(gc, "set_threshold", lambda *thresholds: calls.append(thresholds))
    return calls


def test_the_served_application_tunes_the_garbage_collector_once_started(tuning: list[object]) -> None:
    served = app_module.create_served_app()
    assert tuning == []
    with TestClient(served) as client:
        assert tuning == ["freeze", (app_module.GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])]
        assert client.get("/healthz").status_code == 200


def test_an_application_built_by_create_app_leaves_the_garbage_collector_alone(
    tuning: list[object], tmp_path: Path
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'other.sqlite'}")
    with TestClient(app_module.create_app(settings)):
        pass
    assert tuning == []
