"""What only the Redis backend has to show: exact admission from several OS processes, one hash slot per tenant,
and how it fails and recovers when Redis is unreachable, paused, restarted or emptied."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import socket
import time
from collections import Counter as Tally
from multiprocessing.synchronize import Barrier
from typing import Any

import pytest
import redis
from redis.crc import key_slot

from outbound_profiles.counters import Admission, Counters, CountersLost, CountersUnavailable, Held, Usage
from outbound_profiles.counters.redis import RedisCounters
from tests.counters.harness import Backend, PrivateRedis, free_port, redis_url

pytestmark = pytest.mark.redis

ACCOUNT = 42
PROFILE = 3
T0 = 1_800_000_000_000


def ports_7(call_id: str, now_ms: int = T0) -> Admission:
    return Admission(call_id, ACCOUNT, PROFILE, 1000, 7, None, None, None, None, now_ms)


def _admit_many(url: str, prefix: str, side: int, barrier: Barrier) -> list[str | None]:
    """One process: its own event loop and client, 60 concurrent admits once both processes are ready."""

    async def main() -> list[str | None]:
        counters = RedisCounters.from_url(url, prefix=prefix, socket_timeout=5)
        try:
            await counters.usage(ACCOUNT, PROFILE, T0)  # connected before the start
            barrier.wait(timeout=30)
            return list(await asyncio.gather(*(counters.admit(ports_7(f"p{side}-{n}")) for n in range(60))))
        finally:
            await counters.close()

    return asyncio.run(main())


def test_two_processes_admit_exactly(redis_backend: Backend) -> None:
    assert redis_backend.url is not None

    async def prepare(counters: Counters) -> None:
        await counters.restore(ACCOUNT, [], T0)

    redis_backend.run(prepare)
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(2) as pool:
        barrier = manager.Barrier(2)
        sides = [pool.apply_async(_admit_many, (redis_backend.url, redis_backend.prefix, n, barrier)) for n in (0, 1)]
        answers = Tally(answer for side in sides for answer in side.get(timeout=120))
    assert answers == {None: 7, "profile_ports_exhausted": 113}

    async def usage(counters: Counters) -> Usage:
        return await counters.usage(ACCOUNT, PROFILE, T0)

    assert redis_backend.run(usage).profile_calls == 7


def test_a_tenants_keys_share_one_hash_slot(redis_backend: Backend) -> None:
    assert redis_backend.url is not None

    async def scenario(counters: Counters) -> None:
        await counters.restore(ACCOUNT, [Held("a", PROFILE, T0)], T0)
        admission = Admission("b", ACCOUNT, PROFILE + 1, 10, None, None, "+1", 1, T0 + 1000, T0)
        assert await counters.admit(admission) is None

    redis_backend.run(scenario)
    client = redis.Redis.from_url(redis_backend.url)
    keys = set(client.scan_iter(match=f"{redis_backend.prefix}:*"))
    client.close()
    # Outside any tenant's slot: the list of tenants, which no script touches (it is read and added to alone).
    keys.remove(f"{redis_backend.prefix}:tenants".encode())
    assert len(keys) >= 7  # meta, calls, stamps, ports, the set of CPS logs, two CPS logs, a per-number count
    assert {key_slot(key) for key in keys} == {key_slot(f"{{acct:{ACCOUNT}}}".encode())}


def test_the_tenants_listed_are_those_of_the_prefix_as_written() -> None:
    """A prefix holding glob's special characters names itself only, not the prefixes it would match."""
    base = f"t{os.getpid()}-{time.monotonic_ns()}"
    odd = RedisCounters.from_url(redis_url(), prefix=f"{base}[x]*")
    other = RedisCounters.from_url(redis_url(), prefix=f"{base}x-more")  # what the odd prefix matches as a glob

    async def scenario() -> None:
        try:
            await odd.restore(ACCOUNT, [], T0)
            await other.restore(ACCOUNT + 1, [], T0)
            assert await odd.accounts() == [ACCOUNT]
            assert await other.accounts() == [ACCOUNT + 1]
        finally:
            client = redis.Redis.from_url(redis_url())
            client.delete(*client.scan_iter(match=f"{base}*"))
            client.close()
            await odd.close()
            await other.close()

    asyncio.run(scenario())


def test_unreachable_redis_is_unavailable() -> None:
    async def scenario() -> None:
        counters = RedisCounters.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_timeout=0.2)
        started = time.monotonic()
        with pytest.raises(CountersUnavailable):
            await counters.admit(ports_7("a"))
        with pytest.raises(CountersUnavailable):
            await counters.usage(ACCOUNT, PROFILE, T0)
        with pytest.raises(CountersUnavailable):
            await counters.release(ACCOUNT, PROFILE, "a")
        with pytest.raises(CountersUnavailable):
            await counters.restore(ACCOUNT, [], T0)
        with pytest.raises(CountersUnavailable):
            await counters.accounts()
        with pytest.raises(CountersUnavailable):
            await counters.held(ACCOUNT)
        assert time.monotonic() - started < 5
        await counters.close()

    asyncio.run(scenario())


def test_a_silent_redis_times_out() -> None:
    """A server that accepts connections and never answers: the socket timeout bounds the wait."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)

        async def scenario() -> float:
            counters = RedisCounters.from_url(f"redis://127.0.0.1:{silent.getsockname()[1]}/0", socket_timeout=0.3)
            started = time.monotonic()
            try:
                with pytest.raises(CountersUnavailable):
                    await counters.admit(ports_7("a"))
                return time.monotonic() - started
            finally:
                await counters.close()

        assert 0.25 < asyncio.run(scenario()) < 3


def test_restart_pause_and_flush_of_redis(own_redis: PrivateRedis) -> None:
    async def scenario() -> None:
        counters = RedisCounters.from_url(own_redis.url, socket_timeout=0.3)
        await counters.restore(ACCOUNT, [], T0)
        assert await counters.admit(ports_7("a")) is None

        # Restarted (in memory only, so empty): the pooled connection is broken, the client reconnects by
        # itself, and the script finds the tenant's marker gone.
        own_redis.stop()
        with pytest.raises(CountersUnavailable):
            await counters.admit(ports_7("b"))
        own_redis.start()
        with pytest.raises(CountersLost):
            await counters.admit(ports_7("b"))
        await counters.restore(ACCOUNT, [Held("a", PROFILE, T0)], T0)
        assert await counters.admit(ports_7("b")) is None
        assert await counters.usage(ACCOUNT, PROFILE, T0) == Usage(2, 2, 2, None)

        # Paused: the command times out; once it answers again no late reply is taken for another's.
        assert own_redis.process is not None
        os.kill(own_redis.process.pid, signal.SIGSTOP)
        try:
            with pytest.raises(CountersUnavailable):
                await counters.admit(ports_7("c"))
        finally:
            os.kill(own_redis.process.pid, signal.SIGCONT)
        # The timed-out admit may or may not have run: asking again with its call_id settles it.
        assert await counters.admit(ports_7("c")) in (None, "held")
        assert await counters.usage(ACCOUNT, PROFILE, T0) == Usage(3, 3, 3, None)
        assert await counters.release(ACCOUNT, PROFILE, "c") is True

        # Emptied (FLUSHDB on this server of the test's own).
        flusher = redis.asyncio.Redis.from_url(own_redis.url)
        await flusher.flushdb()
        await flusher.aclose()
        with pytest.raises(CountersLost):
            await counters.admit(ports_7("d"))
        with pytest.raises(CountersLost):
            await counters.usage(ACCOUNT, PROFILE, T0)
        await counters.restore(ACCOUNT, [Held("a", PROFILE, T0), Held("b", PROFILE, T0)], T0 + 500)
        assert await counters.usage(ACCOUNT, PROFILE, T0 + 500) == Usage(2, 2, 2, None)
        await counters.close()

    asyncio.run(scenario())


def test_a_stamp_of_no_held_call_is_dropped_when_the_reconcile_tries_it(redis_backend: Backend) -> None:
    """An older version's release left the stamp of a call it released: listed, tried once, then gone."""
    assert redis_backend.url is not None

    async def scenario(counters: Counters) -> None:
        await counters.restore(ACCOUNT, [], T0)
        client = redis.Redis.from_url(str(redis_backend.url))
        client.hset(f"{redis_backend.prefix}:{{acct:{ACCOUNT}}}:stamps", "gone", "1:1")
        client.close()
        assert await counters.held(ACCOUNT) == {"gone": "1:1"}
        assert await counters.release_reservation(ACCOUNT, "gone", "1:1") is False
        assert await counters.held(ACCOUNT) == {}

    redis_backend.run(scenario)


def test_a_tenant_its_restore_could_not_list_is_found_by_the_next_listing(redis_backend: Backend) -> None:
    """On a cluster the list of tenants may be on a node that is down while the tenant's own node is up:
    the restore goes on, and the process's next listing scans for the tenants instead of trusting it."""

    async def scenario(counters: Counters) -> None:
        assert isinstance(counters, RedisCounters)
        await counters.restore(ACCOUNT, [], T0)
        assert await counters.accounts() == [ACCOUNT]  # the list is whole now
        client: Any = counters._client
        real = client.sadd

        async def list_node_down(*args: Any) -> Any:
            raise redis.ConnectionError("the node of the list is down")

        client.sadd = list_node_down
        await counters.restore(ACCOUNT + 1, [], T0)
        client.sadd = real
        assert await counters.accounts() == [ACCOUNT, ACCOUNT + 1]

    redis_backend.run(scenario)
