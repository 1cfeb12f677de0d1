"""The Redis pass: tests marked `redis` run on the Redis at OUTBOUND_PROFILES_TEST_REDIS_URL
(redis://127.0.0.1:6379/9 by default). Without one they are left out, and the run says so in one
line; OUTBOUND_PROFILES_TEST_REQUIRE_REDIS=1 (as CI sets) makes that an error. A plugin of the root
conftest, so that it applies to every directory's tests."""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

from tests.counters.harness import find_redis, redis_url

REQUIRE_REDIS = os.environ.get("OUTBOUND_PROFILES_TEST_REQUIRE_REDIS") == "1"
_MISSING = pytest.StashKey[str | None]()
_LEFT_OUT = pytest.StashKey[int]()


def installed(*commands: str) -> list[str]:
    """The paths of Redis's own commands a test starts itself (its private servers); without them the test
    is left out, saying what to install (an error when the Redis pass is required)."""
    paths = [shutil.which(command) for command in commands]
    missing = [command for command, path in zip(commands, paths, strict=True) if path is None]
    if missing:
        why = f"{' and '.join(missing)} not installed (apt-get install redis-server)"
        if REQUIRE_REDIS:
            pytest.fail(f"OUTBOUND_PROFILES_TEST_REQUIRE_REDIS=1 but {why}")
        pytest.skip(f"this test starts Redis servers of its own: {why}")
    return [path for path in paths if path is not None]


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_MISSING] = find_redis(redis_url())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = config.stash.get(_MISSING, None)
    if missing is None:
        return
    left_out = [item for item in items if item.get_closest_marker("redis") is not None]
    if not left_out:
        return
    if REQUIRE_REDIS:
        raise pytest.UsageError(f"OUTBOUND_PROFILES_TEST_REQUIRE_REDIS=1 but {missing}")
    config.hook.pytest_deselected(items=left_out)
    items[:] = [item for item in items if item.get_closest_marker("redis") is None]
    config.stash[_LEFT_OUT] = len(left_out)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    left_out = config.stash.get(_LEFT_OUT, 0)
    if left_out:
        reason = config.stash[_MISSING]
        terminalreporter.write_line(f"Redis pass NOT RUN ({left_out} tests left out): {reason}", yellow=True)
