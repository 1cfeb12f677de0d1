"""Queries on idempotency keys. Every query names the user."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from outbound_profiles.models import idempotency_keys as keys
from outbound_profiles.models.base import Record


def claim(connection: Connection, user_id: int, key: str, fingerprint: str, now: datetime, expires: datetime) -> bool:
    """Take the key for this request; False when the user already holds it.

    `ON CONFLICT DO NOTHING` waits, on PostgreSQL, for a concurrent transaction holding the same key
    to finish: it either committed (the key is taken: its answer can be read) or rolled back (the key
    is ours). On SQLite writers run one at a time anyway.
    """
    values: dict[str, Any] = {
        "user_id": user_id,
        "key": key,
        "fingerprint": fingerprint,
        "status_code": 0,
        "response": b"",
        "created_at": now,
        "expires_at": expires,
    }
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(keys)
        .values(values)
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(keys.c.key)  # rowcount is not reliable here on every driver
    )
    return connection.execute(statement).first() is not None


def get(connection: Connection, user_id: int, key: str) -> Record | None:
    return connection.execute(select(keys).where(keys.c.user_id == user_id, keys.c.key == key)).first()


def answer(connection: Connection, user_id: int, key: str, status_code: int, response: bytes) -> None:
    connection.execute(
        update(keys)
        .where(keys.c.user_id == user_id, keys.c.key == key)
        .values(status_code=status_code, response=response)
    )


def forget_expired(connection: Connection, user_id: int, now: datetime) -> None:
    connection.execute(delete(keys).where(keys.c.user_id == user_id, keys.c.expires_at <= now))
