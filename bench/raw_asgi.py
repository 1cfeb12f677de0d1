"""The baseline of `put_ratio.py` and `pg_ratio.py`: a raw ASGI app (no framework), in memory.

`PUT /termination/endpoints/{id}` reads the whole body, decodes it with msgspec's JSON decoder
(the library the service itself uses for bodies and responses), merges it into an in-memory dict
of profiles keyed by id, encodes the merged dict with msgspec and answers 200 application/json.
`GET /termination/endpoints/{id}` encodes the stored dict with msgspec and answers 200 (404 for an
id it does not hold). `POST /termination/authorizations` decodes the call and answers an allow of
the service's shape (`authorize_ratio.py`'s floor), and `POST .../{call_id}/end` answers a call record
of the service's shape. Anything else is a 404 (or 405 for another
method on that path). No auth,
no validation, no database: the cost of the HTTP server plus the JSON work, which is the floor
under any framework.

With `RAW_ASGI_CALLS_DB` naming a SQLite file, the app is `authorize_ratio.py --floor`'s durable
floor: an authorize also inserts its call as a row of a table shaped as the service's `calls` (its
columns and indexes), and an end updates that row, each before it answers. The writes of one turn of
the event loop share one COMMIT (WAL, `synchronous=NORMAL`, on the loop's thread), as the service
commits them. It is the least a service that records every allowed call durably must do.

The dict starts empty, or with the profiles of the JSON object (id -> profile) in the file named by
`RAW_ASGI_PROFILES`, read by each worker at start-up: with several workers each has its own dict,
so `pg_ratio.py` seeds them all with the service's own answers for its GET load.

Run it the way the benchmark does (same uvicorn options as `outbound-profiles serve`):

    .venv/bin/python -m uvicorn --app-dir bench raw_asgi:app --workers 1 --no-access-log --log-level warning
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import msgspec

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

PREFIX = "/termination/endpoints/"
_JSON_HEADERS = [(b"content-type", b"application/json")]
_decoder = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder()
_profiles: dict[str, dict[str, Any]] = {}
AUTHORIZE = "/termination/authorizations"
_SEED = os.environ.get("RAW_ASGI_PROFILES")
if _SEED:
    _profiles.update(msgspec.json.decode(Path(_SEED).read_bytes(), type=dict[str, dict[str, Any]]))

_CALLS_TABLE = """
CREATE TABLE IF NOT EXISTS calls (
    call_id VARCHAR(255) PRIMARY KEY, user_id BIGINT NOT NULL, outbound_profile_id BIGINT NOT NULL,
    connection_id BIGINT NOT NULL, billing_group_id VARCHAR(36), to_number VARCHAR(32) NOT NULL,
    from_number VARCHAR(64) NOT NULL, destination_country VARCHAR(2), rate VARCHAR(40),
    connect_fee VARCHAR(20), initial_increment INTEGER, subsequent_increment INTEGER,
    started_at DATETIME NOT NULL, lease_expires_at DATETIME NOT NULL, last_keepalive_at DATETIME NOT NULL,
    max_duration_seconds INTEGER, decision TEXT NOT NULL, ended_at DATETIME, duration_seconds INTEGER,
    end_reason VARCHAR(32), billed_seconds INTEGER, cost_micros BIGINT);
CREATE INDEX IF NOT EXISTS ix_calls_active_lease ON calls (lease_expires_at) WHERE ended_at IS NULL;
CREATE INDEX IF NOT EXISTS ix_calls_active_user ON calls (user_id, outbound_profile_id) WHERE ended_at IS NULL;
CREATE INDEX IF NOT EXISTS ix_calls_user_id_started_at ON calls (user_id, started_at);
CREATE INDEX IF NOT EXISTS ix_calls_profile_started_at ON calls (outbound_profile_id, started_at);
"""
_INSERT = (
    "INSERT INTO calls VALUES (?, 1, 1, ?, NULL, ?, ?, 'US', '0.01', '0', 6, 6, ?, ?, ?, NULL, ?,"
    " NULL, NULL, NULL, NULL, NULL)"
)
_END = (
    "UPDATE calls SET ended_at = ?, duration_seconds = ?, end_reason = 'completed', billed_seconds = 60,"
    " cost_micros = 10000 WHERE call_id = ? AND ended_at IS NULL"
)


class _Calls:
    """The durable floor's store: one sqlite3 connection, the writes of a loop turn in one transaction."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_CALLS_TABLE)
        self.waiters: list[asyncio.Future[None]] = []

    async def write(self, sql: str, values: tuple[Any, ...]) -> None:
        loop = asyncio.get_running_loop()
        if not self.waiters:
            self.db.execute("BEGIN IMMEDIATE")
            loop.call_soon(self._commit)
        self.db.execute(sql, values)
        waiter = loop.create_future()
        self.waiters.append(waiter)
        await waiter

    def _commit(self) -> None:
        waiters, self.waiters = self.waiters, []
        self.db.execute("COMMIT")
        for waiter in waiters:
            waiter.set_result(None)


_CALLS_DB = os.environ.get("RAW_ASGI_CALLS_DB")
_calls = _Calls(_CALLS_DB) if _CALLS_DB else None


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b""
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _answer(send: Send, status: int, body: bytes) -> None:
    headers = [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _authorize(receive: Receive, send: Send) -> None:
    """`authorize_ratio.py`'s floor: decode the call, answer an allow of the service's shape."""
    try:
        call = _decoder.decode(await _read_body(receive))
    except msgspec.DecodeError:
        call = None
    if not isinstance(call, dict):
        await _answer(send, 400, b'{"errors":[{"code":"10023","title":"Invalid JSON"}]}')
        return
    answer = {
        "call_id": call.get("call_id"),
        "decision": "allow",
        "reason": None,
        "sip_code": 200,
        "telnyx_cause": None,
        "detail": "",
        "outbound_profile_id": call.get("connection_id"),
        "billing_group_id": None,
        "destination_country": "US",
        "rate": "0.01",
        "max_duration_seconds": None,
        "record": False,
        "recording": {"format": "wav", "channels": "single"},
        "lease_expires_at": "2026-01-01T00:00:00Z",
    }
    body = _encoder.encode(answer)
    if _calls is not None:
        now = _now()
        row = (call.get("call_id"), call.get("connection_id"), call.get("to"), call.get("from"), now, now, now, body)
        await _calls.write(_INSERT, row)
    await _answer(send, 200, body)


async def _end(path: str, receive: Receive, send: Send) -> None:
    """The floor of an end: decode the body, answer a call record of the service's shape."""
    try:
        body = _decoder.decode(await _read_body(receive) or b"{}")
    except msgspec.DecodeError:
        body = None
    if not isinstance(body, dict):
        await _answer(send, 400, b'{"errors":[{"code":"10023","title":"Invalid JSON"}]}')
        return
    record = {
        "call_id": path[len(AUTHORIZE) + 1 : -len("/end")],
        "outbound_profile_id": "1",
        "connection_id": "1",
        "billing_group_id": None,
        "to": "+12025550123",
        "from": "+13125550100",
        "destination_country": "US",
        "rate": "0.01",
        "started_at": "2026-01-01T00:00:00Z",
        "lease_expires_at": None,
        "ended_at": "2026-01-01T00:01:00Z",
        "duration_seconds": body.get("duration_seconds"),
        "billed_seconds": 60,
        "connect_fee": "0",
        "cost": "0.010000",
        "end_reason": "completed",
    }
    if _calls is not None:
        await _calls.write(_END, (_now(), body.get("duration_seconds"), record["call_id"]))
    await _answer(send, 200, _encoder.encode(record))


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if scope["type"] != "http":
        return
    path: str = scope["path"]
    if path == AUTHORIZE and scope["method"] == "POST":
        await _authorize(receive, send)
        return
    if path.startswith(AUTHORIZE + "/") and path.endswith("/end") and scope["method"] == "POST":
        await _end(path, receive, send)
        return
    profile_id = path[len(PREFIX) :] if path.startswith(PREFIX) else ""
    if not profile_id or "/" in profile_id:
        await _answer(send, 404, b'{"errors":[{"code":"10005","title":"Resource not found"}]}')
        return
    if scope["method"] == "GET":
        stored = _profiles.get(profile_id)
        if stored is None:
            await _answer(send, 404, b'{"errors":[{"code":"10005","title":"Resource not found"}]}')
        else:
            await _answer(send, 200, _encoder.encode(stored))
        return
    if scope["method"] != "PUT":
        await _answer(send, 405, b'{"errors":[{"code":"10015","title":"Method not allowed"}]}')
        return
    try:
        changes = _decoder.decode(await _read_body(receive))
    except msgspec.DecodeError:
        changes = None
    if not isinstance(changes, dict):
        await _answer(send, 400, b'{"errors":[{"code":"10023","title":"Invalid JSON"}]}')
        return
    profile = _profiles.setdefault(profile_id, {"id": profile_id})
    profile.update(changes)
    await _answer(send, 200, _encoder.encode(profile))
