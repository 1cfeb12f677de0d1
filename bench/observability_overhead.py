"""What the observability middleware costs a request, measured in-process (not a test).

    .venv/bin/python bench/observability_overhead.py [--requests 20000] [--rounds 40]

Two measurements, both in CPU time of the calling thread (`time.thread_time`), so that other
processes on a shared machine do not count:

1. The middleware alone, around an ASGI app that only answers: its own cost per request, with a
   generated request id, with the client's, and with the access log on (JSON lines to /dev/null:
   all of the work but the terminal's). Best of 5 runs.
2. `PUT /termination/endpoints/{id}` (the benchmark's 20-field body, two bodies alternately so each
   PUT writes) straight through the application's ASGI callable on a fresh SQLite database, in
   rounds that alternate the application with and without the middleware (access log off, as with
   OUTBOUND_PROFILES_LOG_LEVEL=warning, and on). The median of the rounds' paired differences; on
   a busy machine its noise is tens of microseconds, which is why (1) is there.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec
from litestar import Litestar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/...` finds `bench`

from bench.put_ratio import put_bodies
from outbound_profiles.accounts import service as accounts
from outbound_profiles.app import create_app
from outbound_profiles.config import Settings
from outbound_profiles.db.database import Database
from outbound_profiles.db.engine import build_engine
from outbound_profiles.db.migrate import upgrade
from outbound_profiles.observability.logs import ACCESS_LOGGER, JsonFormatter
from outbound_profiles.observability.metrics import Metrics
from outbound_profiles.observability.middleware import ObservabilityMiddleware

Asgi = Callable[[Any, Any, Any], Awaitable[None]]


@contextmanager
def access_log(enabled: bool) -> Iterator[None]:
    """The access log on (JSON lines to /dev/null, all of the work but the terminal's) or off."""
    logger = logging.getLogger(ACCESS_LOGGER)
    with open(os.devnull, "w") as devnull:
        sink = logging.StreamHandler(devnull)
        sink.setFormatter(JsonFormatter())
        if enabled:
            logger.addHandler(sink)
        logger.setLevel(logging.INFO if enabled else logging.WARNING)
        try:
            yield
        finally:
            logger.removeHandler(sink)
            logger.setLevel(logging.NOTSET)


class Client:
    """HTTP/1.1 requests as ASGI calls, the way uvicorn makes them (lower-case header names)."""

    def __init__(self, app: Litestar, token: str) -> None:
        self.app = app
        self.headers = [
            (b"host", b"127.0.0.1:8000"),
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {token}".encode()),
        ]

    async def call(self, handler: Asgi, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [*self.headers, (b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await handler(scope, receive, send)
        return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])

    async def json(self, method: str, path: str, body: object) -> dict[str, Any]:
        status, raw = await self.call(self.app, method, path, msgspec.json.encode(body))
        assert status == 200, raw
        answer: dict[str, Any] = msgspec.json.decode(raw)
        return answer


async def measure(requests: int, rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{Path(tmp) / 'overhead.db'}")
        database = Database(build_engine(settings))
        upgrade(database.engine)
        token = database.run_sync(lambda c: accounts.create_user(c, "overhead@example.com"), write=True).token
        app = create_app(settings, database)
        database.start_checkpoints()  # as the application's startup does
        client = Client(app, token)
        connection_ids = [
            (await client.json("POST", "/security/connections", {"connection_name": f"c{n}"}))["id"] for n in (1, 2)
        ]
        group = (await client.json("POST", "/billing_groups", {"name": "g"}))["id"]
        profile = (await client.json("POST", "/termination/endpoints", {"connection_ids": connection_ids}))["id"]
        bodies = [msgspec.json.encode(body) for body in put_bodies(group, connection_ids)]
        path = f"/termination/endpoints/{profile}"

        # Every request goes through Litestar.__call__; what differs is the handler it calls.
        wrapped = app.asgi_handler
        assert isinstance(wrapped, ObservabilityMiddleware)
        handlers: dict[str, Asgi] = {"without": wrapped.app, "middleware": wrapped, "middleware+access log": wrapped}

        timings: dict[str, list[float]] = {name: [] for name in handlers}
        per_round = max(1, requests // rounds)
        names = list(handlers)
        for round_ in range(rounds + 1):  # round 0 warms up
            # A different order each round, so no variant always runs first or last.
            for name in names[round_ % 3 :] + names[: round_ % 3]:
                app.asgi_handler = handlers[name]
                with access_log(name.endswith("access log")):
                    start = time.thread_time()
                    for i in range(per_round):
                        status, raw = await client.call(app, "PUT", path, bodies[i % 2])
                        assert status == 200, raw
                    if round_:
                        timings[name].append((time.thread_time() - start) / per_round * 1e6)
        app.asgi_handler = wrapped
        database.dispose()
    # Rounds of each variant alternate, so each round's difference is paired against the same
    # moment's baseline; the median of those differences resists the noise of a shared machine.
    base = timings["without"]
    return {
        name: statistics.median(value - b for value, b in zip(values, base, strict=True))
        for name, values in timings.items()
    } | {"baseline": statistics.median(base)}


async def measure_alone(requests: int) -> dict[str, float]:
    """The middleware around an application that does nothing but answer (what Litestar's router
    leaves in the scope included): its own cost, without the PUT's noise around it."""

    async def bare(scope: Any, receive: Any, send: Any) -> None:
        scope["path_template"] = "/termination/endpoints/{profile_id}"
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b"{}", "more_body": False})

    with tempfile.TemporaryDirectory() as tmp:
        database = Database(build_engine(Settings(database_url=f"sqlite:///{Path(tmp) / 'x.db'}")))
        wrapped = ObservabilityMiddleware(bare, Metrics(database))
        headers = [(b"host", b"127.0.0.1"), (b"authorization", b"Bearer x"), (b"content-length", b"2")]
        results: dict[str, float] = {}
        client_id = [(b"x-request-id", b"0123456789abcdef0123456789abcdef")]
        cases: list[tuple[str, Asgi, list[tuple[bytes, bytes]], bool]] = [
            ("bare", bare, [], False),
            ("middleware", wrapped, [], False),
            ("middleware, client's id", wrapped, client_id, False),
            ("middleware+access log", wrapped, [], True),
        ]
        for name, handler, extra, logged in cases:
            best = float("inf")
            for _ in range(5):
                with access_log(logged):
                    start = time.thread_time()
                    for _ in range(requests):
                        scope = {
                            "type": "http",
                            "method": "PUT",
                            "path": "/termination/endpoints/1",
                            "headers": [*headers, *extra],
                        }
                        await handler(scope, _receive, _discard)
                    best = min(best, (time.thread_time() - start) / requests * 1e6)
            results[name] = best
        database.dispose()
    return results


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"{}", "more_body": False}


async def _discard(message: Any) -> None:
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20_000, help="PUTs per variant (default 20000)")
    parser.add_argument("--rounds", type=int, default=40, help="alternating rounds (default 40)")
    args = parser.parse_args(argv)
    alone = asyncio.run(measure_alone(args.requests))
    print(f"The middleware alone (best of 5 x {args.requests} calls around an app that only answers):")
    for name, value in alone.items():
        print(f"  {name:>24}: {value:6.2f} us/request  ({value - alone['bare']:+5.2f} us)")
    paired = asyncio.run(measure(args.requests, args.rounds))
    print(f"PUT /termination/endpoints/{{id}} through the whole application ({args.rounds} alternating rounds):")
    print(f"  {'without the middleware':>24}: {paired.pop('baseline'):6.1f} us/request (median)")
    for name, value in paired.items():
        if name != "without":
            print(f"  {name:>24}: {value:+6.1f} us/request (median of the rounds' differences)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
