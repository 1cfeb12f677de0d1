"""The data plane as it is served: exact admission under a burst (one process; two processes sharing
Redis), a SIGKILL that loses no active call, and Redis emptied under a running service."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from outbound_profiles.accounts import service as accounts
from outbound_profiles.config import Settings
from outbound_profiles.db.database import Database
from tests.counters.harness import redis_url
from tests.live import LiveServer, crash, live_server, live_servers

BURST = 120
PORTS = 7


class Scene:
    """A tenant with one connection under a profile of `PORTS` ports, and the switch's token."""

    def __init__(self, base_url: str, database: Database) -> None:
        user = database.run_sync(lambda c: accounts.create_user(c, "burst@example.com"), write=True)
        self.account_id = int(user.user_id)
        self.tenant = tenant = {"Authorization": f"Bearer {user.token}"}
        switch = database.run_sync(accounts.create_switch_token, write=True)
        self.switch = {"Authorization": f"Bearer {switch.token}"}
        connection = httpx.post(
            f"{base_url}/security/connections", json={"connection_name": "trunk"}, headers=tenant
        ).json()
        self.connection_id = connection["id"]
        profile = httpx.post(
            f"{base_url}/termination/endpoints",
            json={"connection_ids": [self.connection_id], "ports": PORTS, "cps_limit_increase": 900},
            headers=tenant,
        )
        assert profile.status_code == 200, profile.text

    def body(self, call_id: str) -> dict[str, str]:
        return {"call_id": call_id, "connection_id": self.connection_id, "to": "+12025550123", "from": "+13125550100"}


async def _burst(base_urls: list[str], scene: Scene, count: int) -> list[dict[str, Any]]:
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def one(index: int) -> dict[str, Any]:
            url = f"{base_urls[index % len(base_urls)]}/termination/authorizations"
            for _ in range(5):
                response = await client.post(url, json=scene.body(f"burst-{index}"), headers=scene.switch)
                assert response.status_code == 200, response.text
                answer: dict[str, Any] = response.json()
                # Redis slower than its timeout on a loaded machine: the switch asks again, as it would.
                if answer["reason"] != "counters_unavailable":
                    break
                await asyncio.sleep(0.2)
            return answer

        return list(await asyncio.gather(*(one(i) for i in range(count))))


def _decisions(answers: list[dict[str, Any]]) -> dict[str, int]:
    counted: dict[str, int] = {}
    for answer in answers:
        key = answer["reason"] or "allow"
        counted[key] = counted.get(key, 0) + 1
    return counted


def test_a_burst_admits_exactly_the_ports_in_one_process(
    settings: Settings, database: Database, tmp_path: Path
) -> None:
    with live_server(settings.database_url, tmp_path) as server:
        scene = Scene(server.base_url, database)
        answers = asyncio.run(_burst([server.base_url], scene, BURST))
    assert _decisions(answers) == {"allow": PORTS, "profile_ports_exhausted": BURST - PORTS}


@pytest.fixture
def redis_env() -> dict[str, str]:
    return {"OUTBOUND_PROFILES_REDIS_URL": redis_url()}


@pytest.mark.redis
def test_a_burst_over_two_processes_sharing_redis_admits_exactly_the_ports(
    settings: Settings, database: Database, tmp_path: Path, redis_env: dict[str, str]
) -> None:
    with live_servers(settings.database_url, tmp_path, 2, env=redis_env) as servers:
        scene = Scene(servers[0].base_url, database)
        answers = asyncio.run(_burst([s.base_url for s in servers], scene, BURST))
    assert _decisions(answers) == {"allow": PORTS, "profile_ports_exhausted": BURST - PORTS}


def _authorize(server: LiveServer, scene: Scene, call_id: str) -> dict[str, Any]:
    response = httpx.post(
        f"{server.base_url}/termination/authorizations", json=scene.body(call_id), headers=scene.switch
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_a_sigkill_loses_no_active_call_and_no_port(settings: Settings, database: Database, tmp_path: Path) -> None:
    with live_server(settings.database_url, tmp_path) as server:
        scene = Scene(server.base_url, database)
        allowed = [_authorize(server, scene, f"kept-{i}")["decision"] for i in range(PORTS)]
        assert allowed == ["allow"] * PORTS
        crash(server)
    with live_server(settings.database_url, tmp_path) as server:
        assert _authorize(server, scene, "after")["reason"] == "profile_ports_exhausted"
        # The first decision is still the answer to a retry, and the calls can be ended.
        assert _authorize(server, scene, "kept-0")["decision"] == "allow"
        ended = httpx.post(f"{server.base_url}/termination/authorizations/kept-0/end", json={}, headers=scene.switch)
        assert ended.status_code == 200
        assert _authorize(server, scene, "after-end")["decision"] == "allow"


@pytest.mark.redis
def test_counters_emptied_in_redis_are_rebuilt_from_the_active_calls(
    settings: Settings, database: Database, tmp_path: Path, redis_env: dict[str, str]
) -> None:
    with live_servers(settings.database_url, tmp_path, 2, env=redis_env) as servers:
        scene = Scene(servers[0].base_url, database)
        for i in range(PORTS):
            assert _authorize(servers[i % 2], scene, f"held-{i}")["decision"] == "allow"
        client = redis.Redis.from_url(redis_url())
        try:
            keys = list(client.scan_iter(match=f"*{{acct:{scene.account_id}}}*"))
            assert keys, "the counters keep the tenant's state in Redis"
            client.delete(*keys)  # what a restart of Redis, which keeps nothing on disk, leaves
        finally:
            client.close()
        assert _authorize(servers[1], scene, "after-loss")["reason"] == "profile_ports_exhausted"
        assert _authorize(servers[0], scene, "after-loss-2")["reason"] == "profile_ports_exhausted"


def test_a_profile_change_on_one_node_reaches_the_others_decisions_within_a_second(
    settings: Settings, database: Database, tmp_path: Path
) -> None:
    with live_servers(settings.database_url, tmp_path, 2) as (changer, decider):
        scene = Scene(changer.base_url, database)
        # The deciding node has the connection and its profile in memory.
        assert _authorize(decider, scene, "warm-1")["decision"] == "allow"
        assert _authorize(decider, scene, "warm-2")["decision"] == "allow"
        profile_id = _authorize(decider, scene, "warm-3")["outbound_profile_id"]
        changed = httpx.put(
            f"{changer.base_url}/termination/endpoints/{profile_id}", json={"active": False}, headers=scene.tenant
        )
        assert changed.status_code == 200
        started = time.monotonic()
        attempt = 0
        while _authorize(decider, scene, f"after-{attempt}")["reason"] != "profile_inactive":
            attempt += 1
            time.sleep(0.02)
        assert time.monotonic() - started < 1.0
