"""Alembic environment: runs on the connection the application hands over, or on the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from outbound_profiles.models import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    from outbound_profiles.config import Settings
    from outbound_profiles.db.engine import build_engine

    engine = build_engine(Settings.from_env())
    with engine.connect() as own_connection:
        _run(own_connection)
        own_connection.commit()
    engine.dispose()
else:
    _run(connection)
