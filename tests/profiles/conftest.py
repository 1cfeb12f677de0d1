from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from outbound_profiles.config import Settings
from outbound_profiles.db.engine import build_engine
from tests.conftest import Api
from tests.profiles.differential import Paths, Tables, Twice, World
from tests.profiles.helpers import Endpoints


@pytest.fixture
def endpoints(client: TestClient[Any], api: Api) -> Endpoints:
    return Endpoints(client, api)


@pytest.fixture
def other_endpoints(client: TestClient[Any], other_api: Api) -> Endpoints:
    return Endpoints(client, other_api)


# The fast path against Litestar (tests/profiles/test_fast_update*.py).


@pytest.fixture
def tables(settings: Settings) -> Iterator[Tables]:
    engine = build_engine(settings)
    yield Tables(engine)
    engine.dispose()


@pytest.fixture
def paths(client: TestClient[Any], monkeypatch: pytest.MonkeyPatch) -> Paths:
    return Paths(client, monkeypatch)


@pytest.fixture
def twice(tables: Tables, paths: Paths, monkeypatch: pytest.MonkeyPatch) -> Twice:
    return Twice(tables, paths, monkeypatch)


@pytest.fixture
def world(endpoints: Endpoints) -> World:
    return World(endpoints)
