"""A PostgreSQL database of the benchmarks' own: created afresh for a run, dropped after it.

The server must be on loopback, and the database must not be one that something else owns
(`test` is the test suite's, which wipes it; `postgres` and the templates are the server's).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from bench.harness import BenchError

DEFAULT_SERVER = os.environ.get("OUTBOUND_PROFILES_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
PROTECTED = frozenset({"test", "postgres", "template0", "template1"})
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
SHOWN_SETTINGS = ("server_version", "shared_buffers", "synchronous_commit", "fsync", "max_connections")


def database_url(server: str, name: str) -> str:
    """The SQLAlchemy URL of database `name` on `server` (what the service is given)."""
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def conninfo(url: str) -> str:
    """A libpq connection string (what psycopg takes) for a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def check(server: str, name: str) -> None:
    url = make_url(server)
    if url.get_backend_name() != "postgresql":
        raise BenchError(f"not a PostgreSQL URL: {server}")
    if url.host not in LOOPBACK:
        raise BenchError(f"the benchmarks only use a PostgreSQL server on loopback, not {url.host!r}")
    if not _NAME.fullmatch(name) or name in PROTECTED:
        raise BenchError(f"refusing database name {name!r} (lower-case identifier, not one of {sorted(PROTECTED)})")


def _admin(server: str) -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(conninfo(database_url(server, "postgres")), autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise BenchError(f"PostgreSQL is not reachable at {make_url(server).render_as_string()}: {exc}") from exc


@contextmanager
def fresh_database(server: str, name: str, *, keep: bool = False) -> Iterator[str]:
    """Drop and create database `name` on `server`; yield its URL; drop it afterwards unless `keep`."""
    check(server, name)
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with _admin(server) as admin:
        admin.execute(drop)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield database_url(server, name)
    finally:
        if not keep:
            with _admin(server) as admin:
                admin.execute(drop)


def server_settings(url: str) -> dict[str, str]:
    """The server's version and the settings that bear on the figures."""
    shown: dict[str, str] = {}
    with psycopg.connect(conninfo(url), connect_timeout=10) as connection:
        for name in SHOWN_SETTINGS:
            row = connection.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()
            shown[name] = "?" if row is None else str(row[0])
        return shown


@dataclass(frozen=True)
class Activity:
    """Counters of one database (pg_stat_database): what the service's requests cost it."""

    sessions: int  # connections opened (a pool that opens and closes connections shows here)
    commits: int
    rollbacks: int

    def __sub__(self, other: Activity) -> Activity:
        return Activity(self.sessions - other.sessions, self.commits - other.commits, self.rollbacks - other.rollbacks)

    def __add__(self, other: Activity) -> Activity:
        return Activity(self.sessions + other.sessions, self.commits + other.commits, self.rollbacks + other.rollbacks)


def activity(connection: psycopg.Connection[tuple[object, ...]]) -> Activity:
    """The counters now (an autocommit connection, so each call sees fresh statistics)."""
    row = connection.execute(
        b"SELECT sessions, xact_commit, xact_rollback FROM pg_stat_database WHERE datname = current_database()"
    ).fetchone()
    if row is None:
        raise BenchError("no statistics for the benchmark's database")
    return Activity(int(str(row[0])), int(str(row[1])), int(str(row[2])))
