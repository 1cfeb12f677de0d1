"""Admission counters: admits per second on each backend, from one task and from N concurrent tasks, and what
the Redis round trip costs per decision (its admit's latency less the in-process admit's).

    .venv/bin/python bench/counters.py [--redis redis://127.0.0.1:6379/9] [--admits 20000] [--tasks 32]

Redis keys go under a prefix of this run's own, deleted at the end; without Redis only the in-process figures.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

import redis

from outbound_profiles.counters import Admission, Counters, MemoryCounters
from outbound_profiles.counters.redis import RedisCounters

T0 = 1_800_000_000_000


async def admits_per_second(counters: Counters, account: int, admits: int, tasks: int) -> float:
    await counters.restore(account, [], T0)
    per_task = admits // tasks

    async def one(task: int) -> None:
        for n in range(per_task):
            now = T0 + n  # one millisecond per admit: the CPS log trims as it goes
            admission = Admission(f"{task}-{n}", account, 1, 1_000_000, None, None, "+1", 1_000_000, T0 + 10**9, now)
            assert await counters.admit(admission) is None
            await counters.release(account, 1, admission.call_id)

    started = time.perf_counter()
    await asyncio.gather(*(one(task) for task in range(tasks)))
    return per_task * tasks / (time.perf_counter() - started)


async def ping_us(url: str, rounds: int) -> float:
    client = redis.asyncio.Redis.from_url(url)
    started = time.perf_counter()
    for _ in range(rounds):
        await client.ping()  # type: ignore[misc]
    elapsed = time.perf_counter() - started
    await client.aclose()
    return elapsed / rounds * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--admits", type=int, default=20_000)
    parser.add_argument("--tasks", type=int, default=32)
    options = parser.parse_args()
    print(f"each decision: admit (all four limits) + release; {options.admits} decisions")
    memory: dict[int, float] = {}
    for tasks in (1, options.tasks):
        memory[tasks] = await admits_per_second(MemoryCounters(), tasks, options.admits, tasks)
        print(f"memory  {tasks:>3} tasks: {memory[tasks]:>10,.0f} decisions/s")
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    counters = RedisCounters.from_url(options.redis, prefix=prefix, socket_timeout=5)
    try:
        for tasks in (1, options.tasks):
            rate = await admits_per_second(counters, 100 + tasks, options.admits // 4, tasks)
            print(f"redis   {tasks:>3} tasks: {rate:>10,.0f} decisions/s")
            if tasks == 1:
                extra = (1 / rate - 1 / memory[1]) * 1e6
                print(f"redis round trips per decision (admit + release), cost over in-process: {extra:,.0f} us")
                print(f"redis PING round trip: {await ping_us(options.redis, 2000):,.0f} us")
    except redis.RedisError as error:
        print(f"redis: not measured ({error})")
    finally:
        await counters.close()
        client = redis.Redis.from_url(options.redis)
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()


if __name__ == "__main__":
    asyncio.run(main())
