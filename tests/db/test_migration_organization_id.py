"""The migration that gives every user a UUID (API v2's `organization_id`): users made before it
get one each, distinct, and it is required and unique from then on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from outbound_profiles.db.migrate import alembic_config


def _upgrade(engine: sa.Engine, revision: str) -> None:
    config = alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.commit()


def test_users_made_before_the_migration_get_distinct_uuids(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    _upgrade(engine, "0004")
    with engine.begin() as connection:
        for user_id in (1, 2, 3):
            connection.execute(
                sa.text(
                    "INSERT INTO users (id, email, default_cps, max_cps, created_at)"
                    " VALUES (:id, :email, 100, 1000, :at)"
                ),
                {"id": user_id, "email": f"u{user_id}@example.com", "at": datetime.now(UTC)},
            )

    _upgrade(engine, "head")

    with engine.connect() as connection:
        ids = [row[0] for row in connection.execute(sa.text("SELECT organization_id FROM users ORDER BY id"))]
        assert len(set(ids)) == 3
        assert all(str(uuid.UUID(i)) == i for i in ids)
        with pytest.raises(sa.exc.IntegrityError):
            connection.execute(sa.text("UPDATE users SET organization_id = :same"), {"same": ids[0]})
    engine.dispose()
