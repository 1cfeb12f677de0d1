"""The counters' tests run on both backends: in process, and on Redis at OUTBOUND_PROFILES_TEST_REDIS_URL
(redis://127.0.0.1:6379/9 by default). Without a Redis there, the Redis tests are left out and the run says so
in one line; OUTBOUND_PROFILES_TEST_REQUIRE_REDIS=1 (as CI sets) makes that an error."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from tests.counters.harness import Backend, PrivateCluster, PrivateRedis, private_redis, redis_url
from tests.redis_pass import installed

# redis-py may drop a connection to a cluster node without closing its socket: the sockets are collected
# as each cluster test ends, and their warnings left unsaid, not blamed on whichever test comes next.
UNCLOSED_SOCKETS = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture(
    params=[
        "memory",
        pytest.param("redis", marks=pytest.mark.redis),
        pytest.param("cluster", marks=[pytest.mark.redis, UNCLOSED_SOCKETS]),
    ]
)
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "memory":
        yield Backend("memory")
        return
    if request.param == "cluster":
        cluster: PrivateCluster = request.getfixturevalue("redis_cluster")
        found = Backend("cluster", cluster.url, cluster=True)
    else:
        found = Backend("redis", redis_url())
    yield found
    found.delete_keys()
    gc.collect()


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateCluster]:
    """A Redis Cluster of three nodes, for the run; left out when Redis is not installed (an error when
    Redis is required)."""
    server, cli = installed("redis-server", "redis-cli")
    cluster = PrivateCluster(server, cli, str(tmp_path_factory.mktemp("redis-cluster")))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def redis_backend() -> Iterator[Backend]:
    found = Backend("redis", redis_url())
    yield found
    found.delete_keys()


@pytest.fixture
def own_redis() -> Iterator[PrivateRedis]:
    """A redis-server of this test's own; left out when none is installed (an error when Redis is required)."""
    installed("redis-server")
    with private_redis() as server:
        yield server
