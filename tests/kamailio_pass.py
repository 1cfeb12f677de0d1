"""The Kamailio pass: tests marked `kamailio` drive a real Kamailio (the configuration the README
ships) with SIPp on loopback. Without Kamailio, its modules or SIPp they are left out, and the run
says so in one line with the command that installs them; OUTBOUND_PROFILES_TEST_REQUIRE_KAMAILIO=1
(as CI sets) makes that an error. A plugin of the root conftest, like the Redis pass."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.integrations.kamailio import find_kamailio

REQUIRE_KAMAILIO = os.environ.get("OUTBOUND_PROFILES_TEST_REQUIRE_KAMAILIO") == "1"
_MISSING = pytest.StashKey[str]()
_LEFT_OUT = pytest.StashKey[int]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    marked = [item for item in items if item.get_closest_marker("kamailio") is not None]
    if not marked:
        return
    missing = find_kamailio()  # only when such a test is collected: it starts kamailio -c
    if missing is None:
        return
    if REQUIRE_KAMAILIO:
        raise pytest.UsageError(f"OUTBOUND_PROFILES_TEST_REQUIRE_KAMAILIO=1 but {missing}")
    config.hook.pytest_deselected(items=marked)
    items[:] = [item for item in items if item.get_closest_marker("kamailio") is None]
    config.stash[_MISSING] = missing
    config.stash[_LEFT_OUT] = len(marked)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    left_out = config.stash.get(_LEFT_OUT, 0)
    if left_out:
        reason = config.stash[_MISSING]
        terminalreporter.write_line(f"Kamailio pass NOT RUN ({left_out} tests left out): {reason}", yellow=True)
