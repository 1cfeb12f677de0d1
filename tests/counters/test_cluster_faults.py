"""The counters and the service on a Redis Cluster in trouble: unreachable, down, a node paused, restarted
or missing its scripts. Each test starts, stops and pauses a cluster of its own."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from litestar.testing import TestClient
from redis.crc import key_slot

from outbound_profiles.accounts import service as accounts
from outbound_profiles.app import create_app
from outbound_profiles.config import Settings
from outbound_profiles.counters import Admission, CountersUnavailable, Held
from outbound_profiles.counters.redis import RedisCounters
from outbound_profiles.db.database import Database
from tests.authorizations.conftest import Switch
from tests.conftest import Api, TenantFactory
from tests.counters import harness
from tests.counters.conftest import UNCLOSED_SOCKETS
from tests.counters.harness import PrivateCluster, free_port
from tests.redis_pass import installed

pytestmark = [pytest.mark.redis, UNCLOSED_SOCKETS]  # collected as each test ends (`own_cluster`)
T0 = 1_800_000_000_000


@pytest.fixture
def own_cluster(tmp_path: Path) -> Iterator[PrivateCluster]:
    """A cluster of the test's own, created but not started: the test starts, pauses and kills it."""
    server, cli = installed("redis-server", "redis-cli")
    cluster = PrivateCluster(server, cli, str(tmp_path))
    try:
        yield cluster
    finally:
        for process in cluster.processes:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGCONT)
        cluster.stop()
        gc.collect()


def _owner(cluster: PrivateCluster, key: str) -> int:
    """The port of the node that holds key's slot."""
    client = redis.Redis(port=cluster.ports[0])
    try:
        slots: Any = client.cluster("SLOTS")
    finally:
        client.close()
    slot = key_slot(key.encode())
    return next(int(node[1]) for low, high, node, *_ in slots if low <= slot <= high)


def _admission(account: int, call_id: str) -> Admission:
    return Admission(call_id, account, 3, 1000, 100, None, None, None, None, T0)


def test_a_cluster_unreachable_at_start_is_counters_unavailable(own_cluster: PrivateCluster) -> None:
    """Nothing listens yet at the URL (the service started before the cluster): CountersUnavailable,
    as for a single Redis, then the counters work once the cluster is up."""

    async def scenario() -> None:
        counters = RedisCounters.from_url(own_cluster.url, cluster=True)
        try:
            with pytest.raises(CountersUnavailable):
                await counters.admit(_admission(1, "a"))
            own_cluster.start()
            await counters.restore(1, [], T0)
            assert await counters.admit(_admission(1, "a")) is None
        finally:
            await counters.close()

    asyncio.run(scenario())


def test_while_the_cluster_is_down_calls_are_refused_and_ends_answered(
    settings: Settings, database: Database, make_tenant: TenantFactory, own_cluster: PrivateCluster
) -> None:
    own_cluster.start()
    on_cluster = Settings(database_url=settings.database_url, redis_url=own_cluster.url, redis_cluster=True)
    token = database.run_sync(accounts.create_switch_token, write=True).token
    with TestClient(create_app(on_cluster, database), raise_server_exceptions=False) as client:
        switch = Switch(client, {"Authorization": f"Bearer {token}"})
        api = Api(client, make_tenant())
        connection = api.connection()
        api.profile(connection_ids=[connection["id"]], ports=2)
        first = switch.authorize(connection["id"])
        assert first["decision"] == "allow"
        for process in own_cluster.processes:  # every node gone (a restart of the cluster, a network cut)
            process.kill()
            process.wait()
        body = {"call_id": "down-1", "connection_id": connection["id"], "to": "+12025550123", "from": "+13125550100"}
        response = client.post("/termination/authorizations", json=body, headers=switch.headers)
        # As with one Redis: the refusal counters_unavailable (sip_code 503) in a 200.
        assert response.status_code == 200, (response.status_code, response.text[:300])
        assert response.json()["reason"] == "counters_unavailable"
        ended = switch.end(first["call_id"], 5)  # its release is tried again later
        assert ended.status_code == 200, (ended.status_code, ended.text[:200])
        assert ended.json()["end_reason"] == "completed"


def test_a_paused_node_is_unavailable_within_the_socket_timeout(own_cluster: PrivateCluster) -> None:
    own_cluster.start()

    async def scenario() -> float:
        counters = RedisCounters.from_url(own_cluster.url, cluster=True, socket_timeout=0.5)
        try:
            victim = _account_on(own_cluster, own_cluster.ports[1])
            await counters.restore(victim, [], T0)
            assert await counters.admit(_admission(victim, "a")) is None
            os.kill(own_cluster.processes[1].pid, signal.SIGSTOP)
            started = time.monotonic()
            with pytest.raises(CountersUnavailable):
                await counters.admit(_admission(victim, "b"))
            return time.monotonic() - started
        finally:
            os.kill(own_cluster.processes[1].pid, signal.SIGCONT)
            await counters.close()

    took = asyncio.run(scenario())
    # One socket timeout (0.5 s), as with a single Redis: a timeout is not tried again.
    assert took < 0.8, f"an admit on a paused node took {took:.2f} s"


def test_the_tenants_listed_survive_the_restart_of_the_node_that_holds_the_list(own_cluster: PrivateCluster) -> None:
    own_cluster.start()
    listing = _owner(own_cluster, "op:tenants")
    elsewhere = next(n for n in range(1, 100) if _owner(own_cluster, f"op:{{acct:{n}}}:meta") not in (listing,))

    async def scenario() -> None:
        counters = RedisCounters.from_url(own_cluster.url, cluster=True)
        try:
            await counters.restore(elsewhere, [Held("leaked", 3, T0)], T0)
            assert await counters.accounts() == [elsewhere]
            # The node of the list restarts (in memory only: empty); the tenant's own node keeps its state.
            node = redis.asyncio.Redis(port=listing)
            await node.flushall()
            await node.aclose()
            assert await counters.held(elsewhere) is not None  # its state, and the leaked call, are there
            assert await counters.accounts() == [elsewhere], "the reconcile would never look at this tenant again"
        finally:
            await counters.close()

    asyncio.run(scenario())


def _account_on(cluster: PrivateCluster, port: int) -> int:
    return next(n for n in range(1, 1000) if _owner(cluster, f"op:{{acct:{n}}}:meta") == port)


def test_a_script_missing_on_a_node_is_loaded_there_whatever_the_other_nodes(own_cluster: PrivateCluster) -> None:
    own_cluster.start()
    home, other = own_cluster.ports[0], own_cluster.ports[2]
    account = _account_on(own_cluster, home)

    async def scenario() -> None:
        counters = RedisCounters.from_url(own_cluster.url, cluster=True)
        try:
            await counters.restore(account, [], T0)
            assert await counters.admit(_admission(account, "a")) is None
            # The tenant's node lost its scripts (restarted, failed over to a replica: the script cache is
            # not replicated); it keeps its data here, so only the scripts are missing.
            node = redis.Redis(port=home)
            node.script_flush()
            node.close()
            os.kill(own_cluster.processes[2].pid, signal.SIGSTOP)  # another node is slow for a moment
            try:
                assert await counters.admit(_admission(account, "b")) is None
            finally:
                os.kill(own_cluster.processes[2].pid, signal.SIGCONT)
        finally:
            await counters.close()

    assert other != home
    asyncio.run(scenario())


def test_a_cluster_is_found_through_any_node_the_url_names(own_cluster: PrivateCluster) -> None:
    """The first address answers nothing (a node gone for good, a wrong address): the next one is asked."""
    own_cluster.start()
    account = _account_on(own_cluster, own_cluster.ports[1])

    async def scenario() -> None:
        url = f"redis://127.0.0.1:{free_port()},127.0.0.1:{own_cluster.ports[1]}/0"
        counters = RedisCounters.from_url(url, cluster=True)  # a fresh process
        try:
            await counters.restore(account, [], T0)
            assert await counters.admit(_admission(account, "a")) is None
        finally:
            await counters.close()

    asyncio.run(scenario())


def test_the_harness_never_gives_a_node_the_bus_port_of_another(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import random

    # Free when probed one at a time, but 40,123 is 30,123's bus port; then three that fit together.
    picks = iter([30_123, 40_123, 45_000, 30_124, 30_125, 30_126])
    monkeypatch.setattr(random, "randint", lambda low, high: next(picks))
    # Every port is taken to be free: the rule under test is the bus ports', and a port the machine
    # happened to use (40,124 to 40,126 are ephemeral ports) asked for a seventh pick.
    monkeypatch.setattr(harness, "_free", lambda port: True)
    cluster = PrivateCluster("redis-server", "redis-cli", str(tmp_path))
    ports = set(cluster.ports) | {port + 10_000 for port in cluster.ports}
    assert len(ports) == 6, f"ports {cluster.ports}: a node's port is another's bus port, and it cannot start"
