"""Running a request on one state twice, by Litestar alone and by the application (whose profile
updates `profiles/fast_update.py` answers before routing), and telling which path answered.

`Twice` runs the request first with the fast path switched off: that answer is the reference,
Litestar's own. It then puts every row of the database back as it was, over a connection of its
own (on SQLite the service then drops its caches, as for any other process's write), and runs the
request again as the application runs. The clock is held still for both, so `updated_at` is the
same. The two states left behind must be equal; `Paths` tells which path gave the second answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

import httpx
import pytest
from litestar.testing import TestClient
from litestar.types import Receive, Scope, Send
from sqlalchemy import Engine, select, update
from sqlalchemy.sql.elements import ColumnElement

from outbound_profiles.authorizations.fast import FastAuthorize
from outbound_profiles.models import metadata
from outbound_profiles.observability.middleware import ObservabilityMiddleware
from outbound_profiles.profiles import fast_update, service
from outbound_profiles.profiles.fast_update import FastUpdate
from outbound_profiles.profiles.router import updated
from tests.conftest import Tenant
from tests.profiles.helpers import Endpoints, url

T = TypeVar("T")
SERVER_HEADERS: Final = frozenset({b"date", b"server"})  # uvicorn adds them to every answer
FROZEN: Final = datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
REQUEST_ID: Final = "fast-update-test"
FAST: Final = "fast"
LITESTAR: Final = "litestar"

Headers = list[tuple[bytes, bytes]]
Message = dict[str, Any]  # an ASGI message
Answer = tuple[int, Headers, bytes]  # status, headers (less date and server), body
Rows = dict[str, dict[tuple[Any, ...], dict[str, Any]]]  # by table, by primary key


def answer(response: httpx.Response) -> Answer:
    headers = [(name.lower(), value) for name, value in response.headers.raw if name.lower() not in SERVER_HEADERS]
    return response.status_code, headers, response.content


class Tables:
    """Every row of every table, read and put back over a connection of its own as another process
    would (on SQLite the service then drops its caches, as it does for any other writer)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def rows(self) -> Rows:
        found: Rows = {}
        with self.engine.connect() as connection:
            for table in metadata.sorted_tables:
                keys = [c.name for c in table.primary_key.columns]
                result = connection.execute(select(table)).mappings()
                found[table.name] = {tuple(row[k] for k in keys): dict(row) for row in result}
        return found

    def put_back(self, rows: Rows) -> None:
        """Make every row as in `rows` (an update adds and removes no rows: that is checked)."""
        now = self.rows()
        with self.engine.begin() as connection:
            for table in metadata.sorted_tables:
                assert now[table.name].keys() == rows[table.name].keys(), f"rows of {table.name} came or went"
                for key, values in rows[table.name].items():
                    if now[table.name][key] != values:
                        where: list[ColumnElement[bool]] = [
                            column == part for column, part in zip(table.primary_key.columns, key, strict=True)
                        ]
                        connection.execute(update(table).where(*where).values(**values))
        assert self.rows() == rows


class Paths:
    """Which path answered: the fast path (the requests that reached it, the updates it ran, and those
    it answered with a 200), or Litestar (the requests the fast path passed on)."""

    def __init__(self, client: TestClient[Any], monkeypatch: pytest.MonkeyPatch) -> None:
        self.entered = self.attempts = self.fast = self.passed_on = 0
        middleware = client.app.asgi_handler
        assert isinstance(middleware, ObservabilityMiddleware)
        authorize = middleware.app  # the data plane's fast path, which passes updates on
        assert isinstance(authorize, FastAuthorize)
        layer = authorize.app
        assert isinstance(layer, FastUpdate)
        litestar = layer.app

        async def attempt(*args: Any, **kwargs: Any) -> Any:
            self.attempts += 1
            shown = await updated(*args, **kwargs)
            self.fast += 1
            return shown

        async def pass_on(scope: Scope, receive: Receive, send: Send) -> None:
            self.passed_on += 1
            await litestar(scope, receive, send)

        async def enter(scope: Scope, receive: Receive, send: Send) -> None:
            self.entered += 1
            await layer(scope, receive, send)

        monkeypatch.setattr(fast_update, "updated", attempt)
        monkeypatch.setattr(layer, "app", pass_on)
        monkeypatch.setattr(authorize, "app", enter)

    def reset(self) -> None:
        self.entered = self.attempts = self.fast = self.passed_on = 0

    def taken(self) -> str:
        """FAST or LITESTAR if that path answered every request since `reset`."""
        if self.entered and not self.passed_on:
            return FAST
        if self.passed_on and not self.attempts:
            return LITESTAR
        return f"mixed: {self.attempts} fast updates, {self.fast} fast 200s, {self.passed_on} passed on"


class Twice:
    """Runs requests on one state twice: by Litestar alone, then as the application does."""

    def __init__(self, tables: Tables, paths: Paths, monkeypatch: pytest.MonkeyPatch) -> None:
        self.tables = tables
        self.paths = paths
        self.monkeypatch = monkeypatch
        self.before: Rows = {}
        self.after: Rows = {}

    def __call__(self, send: Callable[[], T]) -> tuple[T, T]:
        """(Litestar's result, the application's), the two states after them checked to be equal
        (`before` and `after` keep them); `paths` tells which path gave the application's."""
        self.before = self.tables.rows()
        with self.monkeypatch.context() as patch:
            patch.setattr(service, "now", lambda: FROZEN)
            patch.setattr(fast_update, "profile_updated", lambda scope: None)
            self.paths.reset()
            reference = send()
            assert self.paths.attempts == 0, "the reference went through the fast path"
        self.after = self.tables.rows()
        self.tables.put_back(self.before)
        with self.monkeypatch.context() as patch:
            patch.setattr(service, "now", lambda: FROZEN)
            self.paths.reset()
            actual = send()
        assert self.tables.rows() == self.after, "the two paths left different states"
        return reference, actual


class World:
    """A profile with two of three connections and a billing group; the ids to update it with."""

    def __init__(self, endpoints: Endpoints) -> None:
        self.a, self.b, self.c = (endpoints.connection_id(name) for name in ("a", "b", "c"))
        self.group: str = endpoints.api.billing_group(name="first")["id"]
        self.other_group: str = endpoints.api.billing_group(name="second")["id"]
        self.profile = endpoints.profile(
            name="office",
            connection_ids=[self.a, self.b],
            billing_group_id=self.group,
            ports=4,
            tag_list=["x"],
            translation_rule="rule",
            max_destination_rate=0.5,
            daily_spend_limit="10.00",
            daily_spend_limit_enabled=True,
            whitelisted_destinations=["US", "CA"],
        )
        self.id: str = self.profile["id"]
        self.path = url(self.id)


def request(
    endpoints: Endpoints,
    method: str,
    path: str,
    *,
    body: Any = None,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> Callable[[], httpx.Response]:
    """A request as a callable for `Twice`: JSON `body` (or raw `content`), the tenant's credentials
    unless `headers` says otherwise, and a fixed X-Request-Id (which both paths echo)."""
    sent = {"Content-Type": "application/json", "X-Request-Id": REQUEST_ID}
    sent.update(endpoints.headers if headers is None else headers)
    raw = json.dumps(body).encode() if content is None else content
    return lambda: endpoints.client.request(method, path, content=raw, headers=sent, params=params)


class Asgi:
    """Calls the application as uvicorn does, with the request body in the messages given; for
    what the test client cannot send (a body in several messages, repeated headers)."""

    def __init__(self, client: TestClient[Any]) -> None:
        self.client = client
        self.receives = 0  # how many times the application called `receive` in the last call

    def __call__(
        self, method: str, path: str, messages: Iterable[Message], headers: Headers, query_string: bytes = b""
    ) -> Answer:
        scope: Any = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query_string,
            "root_path": "",
            "headers": [(b"host", b"testserver"), (b"x-request-id", REQUEST_ID.encode()), *headers],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "state": {},
        }
        pending = iter(messages)
        self.receives = 0
        status = 0
        sent_headers: Headers = []
        chunks: list[bytes] = []

        async def receive() -> Any:
            self.receives += 1
            return next(pending, {"type": "http.disconnect"})

        async def send(message: Any) -> None:
            nonlocal status, sent_headers
            if message["type"] == "http.response.start":
                status, sent_headers = message["status"], list(message["headers"])
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        self.client.blocking_portal.call(self.client.app, scope, receive, send)
        return status, sent_headers, b"".join(chunks)


def body_messages(*chunks: bytes) -> list[Message]:
    return [
        {"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
        for index, chunk in enumerate(chunks)
    ]


def bearer(tenant: Tenant) -> Headers:
    return [(b"authorization", f"Bearer {tenant.token}".encode()), (b"content-type", b"application/json")]
