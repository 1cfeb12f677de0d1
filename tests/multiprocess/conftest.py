from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.live_database import DATABASES, live_database_url
from tests.multiprocess.sides import Pair, two_servers, two_workers


@pytest.fixture(scope="module", params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    return live_database_url(request, tmp_path_factory.mktemp("live"))


@pytest.fixture(scope="module", params=["two servers", "two workers"])
def processes(
    request: pytest.FixtureRequest, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pair]:
    """Two processes of the service on one database (started once per module, database and kind)."""
    start = two_servers if request.param == "two servers" else two_workers
    with start(database_url, tmp_path_factory.mktemp("serve")) as running:
        yield running


@pytest.fixture
def pair(processes: Pair) -> Pair:
    """The two processes, used by a user of this test's own."""
    return processes.as_user(f"{uuid.uuid4().hex}@example.com")
