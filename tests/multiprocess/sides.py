"""Two processes of one service, each reached through a client pinned to it.

A `Side` sends requests to one given server process and checks that every answer came from it
(`answered_by`), so a test that writes on one side and reads on the other really crosses from one
process to the other, and from one process's in-process caches to the other's. Two independent
`serve` processes on the same database give two sides; so do the two workers of one
`serve --workers 2`, behind one port, where the kernel hands each new connection to either worker:
a side keeps a connection that landed on its worker, and opens new ones until one does again if
the server closed it while idle.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from tests.live import LiveServer, answered_by, live_server, live_servers

PROFILES = "/termination/endpoints"
CONNECTIONS = "/security/connections"
IDLE = 1.0  # seconds after which a kept connection is checked again (uvicorn closes idle ones after 5)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Pinned:
    """An HTTP client whose requests all reach one process of the server."""

    def __init__(self, name: str, server: LiveServer, pid: int) -> None:
        self.name = name
        self.server = server
        self.pid = pid
        self._http = httpx.Client(base_url=server.base_url, timeout=30)
        self._last_used = 0.0

    def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        if time.monotonic() - self._last_used > IDLE:
            self._reconnect()
        response = self._http.request(method, path, **options)
        self._last_used = time.monotonic()
        assert answered_by(self.server, response) == self.pid, f"{self.name}: answered by another process"
        return response

    def _reconnect(self) -> None:
        for _ in range(100):
            if answered_by(self.server, self._http.get("/healthz")) == self.pid:
                return
            self._http.close()
            self._http = httpx.Client(base_url=self.server.base_url, timeout=30)
        raise AssertionError(f"{self.name}: no new connection reached process {self.pid}")

    def close(self) -> None:
        self._http.close()


@dataclass(frozen=True)
class Side:
    process: Pinned
    token: str = ""

    @property
    def name(self) -> str:
        return self.process.name

    def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **options: Any
    ) -> httpx.Response:
        """A request with the side's user's token, unless `headers` bring other credentials."""
        return self.process.request(method, path, headers=bearer(self.token) if headers is None else headers, **options)

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        response = self.request(method, path, json=body)
        assert response.status_code == 200, f"{self.name}: {method} {path}: {response.text}"
        return response.json()


@dataclass(frozen=True)
class Pair:
    """The two sides, the server whose command line manages users and tokens, and the sides' user."""

    a: Side
    b: Side
    server: LiveServer
    email: str = ""

    @property
    def both(self) -> tuple[Side, Side]:
        return self.a, self.b

    def as_user(self, email: str) -> Pair:
        """The same two sides, used by a new user (made with the command line)."""
        token = self.server.new_user(email)["token"]
        return Pair(replace(self.a, token=token), replace(self.b, token=token), self.server, email)


@contextmanager
def two_servers(database_url: str, workdir: Path) -> Iterator[Pair]:
    """Two independent `serve` processes on one database."""
    with ExitStack() as stack:
        first, second = stack.enter_context(live_servers(database_url, workdir, 2))
        a = Pinned("A", first, first.process.pid)
        b = Pinned("B", second, second.process.pid)
        stack.callback(a.close)
        stack.callback(b.close)
        yield Pair(Side(a), Side(b), first)


@contextmanager
def two_workers(database_url: str, workdir: Path) -> Iterator[Pair]:
    """The two workers of one `serve --workers 2`, behind one port."""
    with ExitStack() as stack:
        server = stack.enter_context(live_server(database_url, workdir, workers=2))
        pids: set[int] = set()
        for _ in range(100):
            with httpx.Client(base_url=server.base_url, timeout=30) as http:
                pids.add(answered_by(server, http.get("/healthz")))
            if len(pids) == 2:
                break
        assert len(pids) == 2, f"every new connection went to the same worker: {pids}"
        a, b = (Pinned(f"worker {name}", server, pid) for name, pid in zip("AB", sorted(pids), strict=True))
        stack.callback(a.close)
        stack.callback(b.close)
        yield Pair(Side(a), Side(b), server)
