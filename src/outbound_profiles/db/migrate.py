"""Applying migrations (Alembic), from code: at `serve`, from `db upgrade`, and in the tests."""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from outbound_profiles.db.engine import sqlite_file

_SCRIPTS = Path(__file__).parent / "migrations"
# PostgreSQL's advisory lock taken while migrating: any number that no other application on the
# database uses for one ("outbound-profiles migrations" in a 64-bit signed integer).
MIGRATION_LOCK = 0x6F75_7462_6D69_6772
LOCK_RETRY_S = 0.2


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(slug)s")
    return config


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> list[str]:
    """Apply the pending migrations; which ones, oldest first ("0005 account administration")."""
    config = alembic_config()
    scripts = ScriptDirectory.from_config(config)
    # Not in a transaction of ours: Alembic begins its own, which a migration may leave for
    # statements that cannot run in one (PostgreSQL's CREATE INDEX CONCURRENTLY).
    with engine.connect() as connection, _migrating(connection):
        before = _revision(connection)
        connection.rollback()  # the read began a transaction; Alembic begins its own
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        connection.commit()
    applied: list[str] = []
    for script in scripts.walk_revisions():  # newest first, down to the one the database was at
        if script.revision == before:
            break
        applied.append(f"{script.revision} ({script.doc})")
    return applied[::-1]


@contextmanager
def _migrating(connection: Connection) -> Iterator[None]:
    """One process at a time migrates a database, from reading its revision to the last migration:
    nodes started together would otherwise both see a migration pending and both apply it, and all
    but one fail halfway ("relation already exists"). The others wait, then find nothing to do."""
    if connection.dialect.name == "postgresql":
        # Asked again and again, outside any transaction between tries: a session waiting in
        # pg_advisory_lock() holds a snapshot, which a migration's CREATE INDEX CONCURRENTLY waits
        # for, a deadlock PostgreSQL ends by aborting one of the two.
        while not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": MIGRATION_LOCK}).scalar():
            connection.rollback()
            time.sleep(LOCK_RETRY_S)
        connection.commit()  # the lock is the session's: it outlasts the transaction that took it
        try:
            yield
        except BaseException:
            connection.invalidate()  # the session ends, and its lock with it, whatever state it is in
            raise
        connection.rollback()
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
        connection.commit()
        return
    path = sqlite_file(connection.engine.url)
    if path is None:
        yield  # in memory: the database is this process's alone
        return
    # SQLite's own locks last one transaction, and Alembic commits each migration on its own: a lock
    # file beside the database (processes sharing a SQLite file share a machine).
    with open(f"{path}-migrations.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def current(engine: Engine) -> str:
    """Where the database stands: its migration, and how many are pending."""
    scripts = ScriptDirectory.from_config(alembic_config())
    head = scripts.get_current_head()
    with engine.connect() as connection:
        revision = _revision(connection)
    if revision is None:
        pending = len(list(scripts.walk_revisions()))
        return f"database has no migration applied; {pending} pending: run `outbound-profiles db upgrade`"
    script = scripts.get_revision(revision)
    doc = script.doc if script is not None else "unknown to this version"
    if revision == head:
        return f"database is at migration {revision} ({doc}), the latest"
    return f"database is at migration {revision} ({doc}); the latest is {head}: run `outbound-profiles db upgrade`"
