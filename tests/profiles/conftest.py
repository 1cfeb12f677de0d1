from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import Api
from tests.profiles.helpers import Endpoints


@pytest.fixture
def endpoints(client: TestClient[Any], api: Api) -> Endpoints:
    return Endpoints(client, api)


@pytest.fixture
def other_endpoints(client: TestClient[Any], other_api: Api) -> Endpoints:
    return Endpoints(client, other_api)
