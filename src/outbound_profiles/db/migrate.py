"""Applying migrations (Alembic), from code: at `serve`, from `db upgrade`, and in the tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

_SCRIPTS = Path(__file__).parent / "migrations"


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
    with engine.connect() as connection:
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
