"""Applying migrations (Alembic), from code: at `serve`, from `db upgrade`, and in the tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

_SCRIPTS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(slug)s")
    return config


def upgrade(engine: Engine) -> None:
    config = alembic_config()
    # Not in a transaction of ours: Alembic begins its own, which a migration may leave for
    # statements that cannot run in one (PostgreSQL's CREATE INDEX CONCURRENTLY).
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        connection.commit()
