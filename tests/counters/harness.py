"""The two backends as the counters' tests see them, and a private Redis server the tests may stop and restart.

Each test's Redis state lives in the logical database of OUTBOUND_PROFILES_TEST_REDIS_URL (db 9 by default,
not the db 0 others use) under a key prefix of its own, so runs never touch each other's keys; "losing" the
state deletes that prefix's keys (FLUSHDB is used only on the private server).
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

import redis

from outbound_profiles.counters import Counters, MemoryCounters
from outbound_profiles.counters.redis import RedisCounters

DEFAULT_URL = "redis://127.0.0.1:6379/9"
T = TypeVar("T")


def redis_url() -> str:
    return os.environ.get("OUTBOUND_PROFILES_TEST_REDIS_URL") or DEFAULT_URL


def find_redis(url: str) -> str | None:
    """None when Redis answers at url, else why not."""
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        return f"no Redis at {url} ({error}); set OUTBOUND_PROFILES_TEST_REDIS_URL=redis://HOST:PORT/DB"
    finally:
        client.close()
    return None


@dataclass
class Backend:
    """How a test opens the counters of one backend, and simulates the loss of their state."""

    name: str
    url: str | None = None
    prefix: str = field(default_factory=lambda: f"test-{uuid.uuid4().hex[:12]}")
    cluster: bool = False  # url names a node of a Redis Cluster

    def open(self) -> Counters:
        if self.url is None:
            return MemoryCounters()
        # A generous timeout: 120 concurrent admits open 120 connections on a machine that may be busy.
        return RedisCounters.from_url(self.url, prefix=self.prefix, socket_timeout=5, cluster=self.cluster)

    async def lose(self, counters: Counters) -> Counters:
        """The counters as after a restart of their store: a new process, or an emptied Redis."""
        if self.url is None:
            await counters.close()
            return MemoryCounters()
        self.delete_keys()
        return counters

    def delete_keys(self) -> None:
        if self.url is None:
            return
        client = redis.RedisCluster.from_url(self.url) if self.cluster else redis.Redis.from_url(self.url)
        try:
            for key in list(client.scan_iter(match=f"{self.prefix}:*", count=1000)):
                client.delete(key)  # one at a time: a cluster's keys are in many slots
        finally:
            client.close()

    def run(self, scenario: Callable[[Counters], Awaitable[T]]) -> T:
        """The scenario on freshly opened counters, in an event loop of its own."""

        async def main() -> T:
            counters = self.open()
            try:
                return await scenario(counters)
            finally:
                await counters.close()

        return asyncio.run(main())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PrivateRedis:
    """A redis-server of the test's own (in memory only), to restart, pause and empty at will."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while find_redis(self.url) is not None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis(shutil.which("redis-server") or "redis-server")
    server.start()
    try:
        yield server
    finally:
        server.stop()


class PrivateCluster:
    """A Redis Cluster of the test run's own: three masters (redis-server in cluster mode, in memory only),
    its slots shared out by `redis-cli --cluster create`."""

    def __init__(self, server: str, cli: str, folder: str) -> None:
        self.server, self.cli, self.folder = server, cli, folder
        self.ports = _cluster_ports(3)
        self.processes: list[subprocess.Popen[bytes]] = []

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    def start(self) -> None:
        for port in self.ports:
            self.processes.append(
                subprocess.Popen(
                    [
                        *(self.server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
                        *("--cluster-enabled", "yes", "--cluster-config-file", f"{self.folder}/nodes-{port}.conf"),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        for port in self.ports:
            _wait_for(partial(_answers, f"redis://127.0.0.1:{port}/0"), f"node {port} to start")
        nodes = [f"127.0.0.1:{port}" for port in self.ports]
        subprocess.run(
            [self.cli, "--cluster", "create", *nodes, "--cluster-replicas", "0", "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        client = redis.Redis(port=self.ports[0], decode_responses=True)
        try:
            _wait_for(lambda: "'cluster_state': 'ok'" in str(client.cluster("INFO")), "the cluster to be ready")
        finally:
            client.close()

    def stop(self) -> None:
        for process in self.processes:
            process.kill()
            process.wait(timeout=10)
        self.processes = []


def _answers(url: str) -> bool:
    return find_redis(url) is None


def _cluster_ports(count: int) -> list[int]:
    """Free ports for `count` nodes, each with its cluster bus port (10,000 more, so at most 65,535) free
    too, and none of them another node's bus port."""
    while True:
        ports = [random.randint(20_000, 55_535) for _ in range(count)]
        taken = [*ports, *(port + 10_000 for port in ports)]
        if len(set(taken)) == len(taken) and all(map(_free, taken)):
            return ports


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_for(ready: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 20
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.05)
