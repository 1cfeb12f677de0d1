"""Engines for SQLite and PostgreSQL with the settings each needs."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import unquote, urlsplit

import msgspec
from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool, StaticPool

from outbound_profiles.config import Settings

_json_encoder = msgspec.json.Encoder()
WAL_AUTOCHECKPOINT_PAGES = 50_000


def _json_serializer(value: Any) -> str:
    return _json_encoder.encode(value).decode()


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_file(url: str | URL) -> str | None:
    """The file a SQLite URL names (a URI filename's path too: `sqlite:///file:x.db?uri=true`); None
    in memory, or not on SQLite."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or database in (None, "", ":memory:"):
        return None
    if parsed.query.get("uri") != "true" or not database.startswith("file:"):
        return database
    uri = urlsplit(database)
    if uri.path in ("", ":memory:") or "mode=memory" in uri.query or parsed.query.get("mode") == "memory":
        return None
    return unquote(uri.path)


def is_memory(url: str | URL) -> bool:
    """An in-memory SQLite database: it lives as long as the engine that made it, in one process."""
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and sqlite_file(parsed) is None


def build_engine(settings: Settings) -> Engine:
    url = settings.database_url
    if is_sqlite(url):
        return _sqlite_engine(url, settings.sqlite_synchronous)
    # A fixed pool, no overflow: Database lets only as many requests into the database at once as
    # there are connections (the rest wait on the event loop), so connections are never opened and
    # closed under load, and none is made to wait for one while holding a thread.
    engine = create_engine(url, pool_size=settings.database_pool_size, **_POSTGRES_OPTIONS)
    _ping_when_idle(engine)
    return engine


_POSTGRES_OPTIONS: dict[str, Any] = {
    "max_overflow": 0,
    "json_serializer": _json_serializer,
    "json_deserializer": msgspec.json.decode,
}


def async_engine_like(engine: Engine) -> AsyncEngine:
    """PostgreSQL: the asynchronous engine of the same database, with the same pool and options; a
    request waits on the event loop for a free connection."""
    pool_size = engine.pool.size() if isinstance(engine.pool, QueuePool) else 1
    async_engine = create_async_engine(engine.url, pool_size=pool_size, **_POSTGRES_OPTIONS)
    _ping_when_idle(async_engine.sync_engine)
    return async_engine


PING_AFTER_IDLE_S = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use only if it has sat idle: SQLAlchemy's pre-ping costs a
    round trip on every checkout, though a connection in use a moment ago is as good as checked.
    One that fails the ping is replaced before the request sees it (a restarted server, a dropped
    link), as with the pre-ping."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return  # new, or used a moment ago
        try:
            cursor = dbapi_connection.cursor()  # the driver's, or its asynchronous one adapted
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.rollback()
        except Exception as error:
            raise DisconnectionError(f"the pooled connection failed its ping: {error}") from error


def _lower(value: str | None) -> str | None:
    # casefold: full Unicode case folding (a final sigma folds like any other), close to what
    # PostgreSQL's lower() does with a UTF-8 locale.
    return None if value is None else value.casefold()


def _sqlite_engine(url: str, synchronous: str) -> Engine:
    memory = is_memory(url)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False},
        json_serializer=_json_serializer,
        json_deserializer=msgspec.json.decode,
        # In memory, every connection would be a database of its own: one connection, shared.
        **({"poolclass": StaticPool} if memory else {}),
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take transaction control from the driver, so BEGIN is ours (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # A request's savepoint (db/group_commit.py) keeps the pages it changes in a sub-journal:
        # in memory, not in a temporary file written on every change.
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.execute("PRAGMA busy_timeout=10000")
        # Checkpoints (and with them the fsyncs) run in the background (Database.start_checkpoints);
        # the large automatic threshold is only a backstop for processes that do not run them.
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cursor.close()
        # SQLite's lower() folds ASCII only; PostgreSQL's folds all of Unicode. Python's does too,
        # so a case-insensitive filter (both sides lowered by the database) works alike on both.
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        driver = connection.connection.driver_connection
        if driver.in_transaction:  # begun on the driver by Database (see Database._run_on_driver)
            return
        # Requests' writes begin on the driver, with BEGIN IMMEDIATE (Database._run_inline); what
        # begins here is a read on a connection of its own (a deck's load, a migration's check).
        driver.execute("BEGIN")

    return engine
