from __future__ import annotations

import pytest

from tests.conftest import Api
from tests.contract.resources import Setup


@pytest.fixture
def setup(api: Api, other_api: Api) -> Setup:
    return Setup(api, other_api)
