"""The migration that gives every user a UUID (API v2's `organization_id`): users made before it
get one each, distinct and unique from then on, and nothing that references a user is lost (on
SQLite with foreign keys on, recreating `users` would have deleted their tokens)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from outbound_profiles.config import Settings
from outbound_profiles.db.engine import build_engine
from outbound_profiles.db.migrate import alembic_config


def _migrate(engine: sa.Engine, revision: str, *, down: bool = False) -> None:
    config = alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)
        connection.commit()


def test_users_made_before_the_migration_get_distinct_uuids_and_keep_their_tokens(tmp_path: Path) -> None:
    engine = build_engine(Settings(database_url=f"sqlite:///{tmp_path / 'old.db'}"))
    _migrate(engine, "0004")
    at = datetime.now(UTC)
    with engine.begin() as connection:
        for user_id in (1, 2, 3):
            connection.execute(
                sa.text(
                    "INSERT INTO users (id, email, default_cps, max_cps, created_at)"
                    " VALUES (:id, :email, 100, 1000, :at)"
                ),
                {"id": user_id, "email": f"u{user_id}@example.com", "at": at},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO api_tokens (id, user_id, secret_hash, kind, created_at)"
                    " VALUES (:id, :user_id, :hash, 'tenant', :at)"
                ),
                {"id": f"KEY{user_id}", "user_id": user_id, "hash": "0" * 64, "at": at},
            )

    _migrate(engine, "head")

    with engine.connect() as connection:
        assert connection.execute(sa.text("PRAGMA foreign_keys")).scalar_one() == 1
        ids = [row[0] for row in connection.execute(sa.text("SELECT organization_id FROM users ORDER BY id"))]
        assert len(set(ids)) == 3
        assert all(str(uuid.UUID(i)) == i for i in ids)
        assert connection.execute(sa.text("SELECT count(*) FROM api_tokens")).scalar_one() == 3
        with pytest.raises(sa.exc.IntegrityError):
            connection.execute(sa.text("UPDATE users SET organization_id = :same"), {"same": ids[0]})
        connection.rollback()

    _migrate(engine, "0004", down=True)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM api_tokens")).scalar_one() == 3
    engine.dispose()
