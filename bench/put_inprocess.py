"""Microseconds per `PUT /termination/endpoints/{id}` inside one process, without HTTP or wrk.

The service's own share of a PUT (routing, auth, validation, rules, the SQLite transaction,
rendering), measured by calling the ASGI application directly with the bodies `put_ratio.py`
sends. It moves with the code, not with the load of the machine as much as wrk's figures do;
use it to see where a change helps, `put_ratio.py` to check the target.

    .venv/bin/python bench/put_inprocess.py [--requests 20000] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from outbound_profiles.accounts import service as accounts
from outbound_profiles.app import create_app
from outbound_profiles.config import Settings
from outbound_profiles.db.database import Database
from outbound_profiles.db.engine import build_engine
from outbound_profiles.db.migrate import upgrade

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.put_ratio import put_bodies


class Asgi:
    """Calls an ASGI app the way uvicorn does."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.headers = [(b"authorization", f"Bearer {token}".encode()), (b"content-type", b"application/json")]

    async def call(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [*self.headers, (b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        chunks: list[bytes] = []
        status = 0

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)

    async def expect(self, method: str, path: str, body: object = None) -> dict[str, Any]:
        status, answer = await self.call(method, path, b"" if body is None else json.dumps(body).encode())
        if status != 200:
            raise SystemExit(f"{method} {path}: {status} {answer!r}")
        decoded: dict[str, Any] = json.loads(answer)
        return decoded


async def run(requests: int, profile: bool, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        settings = Settings(database_url=f"sqlite:///{workdir}/bench.db")
        database = Database(build_engine(settings))
        upgrade(database.engine)
        credentials = database.run_sync(lambda c: accounts.create_user(c, "bench@example.com"), write=True)
        app = create_app(settings, database)
        async with app.lifespan():
            client = Asgi(app, credentials.token)
            group = await client.expect("POST", "/billing_groups", {"name": "bench"})
            connections = [
                (await client.expect("POST", "/security/connections", {"connection_name": f"c{i}"}))["id"]
                for i in range(2)
            ]
            created = await client.expect("POST", "/termination/endpoints", {"name": "bench", "connection_ids": []})
            path = f"/termination/endpoints/{created['id']}"
            bodies = [json.dumps(b).encode() for b in put_bodies(group["id"], connections)]
            for body in bodies:
                await client.expect("PUT", path, json.loads(body))

            async def one_client(n: int) -> None:
                for i in range(n):
                    status, answer = await client.call("PUT", path, bodies[i & 1])
                    if status != 200:
                        raise SystemExit(f"PUT: {status} {answer!r}")

            async def load(n: int) -> tuple[float, float]:
                started, cpu = time.perf_counter(), time.process_time()
                await asyncio.gather(*(one_client(n // concurrency) for _ in range(concurrency)))
                return time.perf_counter() - started, time.process_time() - cpu

            await load(min(2000, requests))  # warm-up
            profiler = cProfile.Profile() if profile else None
            if profiler:
                profiler.enable()
            elapsed, cpu = await load(requests)
            if profiler:
                profiler.disable()
        database.dispose()
    print(
        f"{requests} PUTs (in-process, SQLite): {elapsed / requests * 1e6:.0f} µs per PUT, "
        f"{cpu / requests * 1e6:.0f} µs of CPU (the machine's other load shows in the first figure)"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the measured PUTs")
    parser.add_argument(
        "--concurrency", type=int, default=1, help="clients sending at once (their writes share commits)"
    )
    args = parser.parse_args(argv)
    asyncio.run(run(args.requests, args.profile, args.concurrency))
    return 0


if __name__ == "__main__":
    sys.exit(main())
