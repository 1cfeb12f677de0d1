"""Queries on billing groups. Every query names the tenant."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import Connection, delete, exists, func, select, update

from outbound_profiles.domain.ids import canonical_uuid
from outbound_profiles.models import billing_groups, outbound_profiles
from outbound_profiles.models.base import Record

Lock = Literal["update", "key share"]


def get(connection: Connection, user_id: int, group_id: str, *, lock: Lock | None = None) -> Record | None:
    """The user's group; `lock` (PostgreSQL): "update" to change or delete it, "key share" to make a
    profile point at it (a delete then waits for that profile's transaction, and sees it)."""
    # Only a UUID (in any case: RFC 9562) can be a group; anything else never reaches the database
    # (PostgreSQL refuses a NUL character in a text parameter, so a stray one would be a 500).
    canonical = canonical_uuid(group_id)
    if canonical is None:
        return None
    statement = select(billing_groups).where(billing_groups.c.user_id == user_id, billing_groups.c.id == canonical)
    if lock is not None:
        statement = statement.with_for_update(key_share=lock == "key share")
    return connection.execute(statement).first()


def page(connection: Connection, user_id: int, *, offset: int, limit: int) -> Sequence[Record]:
    return connection.execute(
        select(billing_groups)
        .where(billing_groups.c.user_id == user_id)
        .order_by(billing_groups.c.created_at, billing_groups.c.id)
        .offset(offset)
        .limit(limit)
    ).all()


def count(connection: Connection, user_id: int) -> int:
    return int(
        connection.execute(
            select(func.count()).select_from(billing_groups).where(billing_groups.c.user_id == user_id)
        ).scalar_one()
    )


def in_use(connection: Connection, user_id: int, group_id: str) -> bool:
    return bool(
        connection.execute(
            select(
                exists().where(outbound_profiles.c.user_id == user_id, outbound_profiles.c.billing_group_id == group_id)
            )
        ).scalar_one()
    )


def insert(connection: Connection, values: dict[str, Any]) -> None:
    connection.execute(billing_groups.insert().values(values))


def save(connection: Connection, user_id: int, group_id: str, values: dict[str, Any]) -> None:
    connection.execute(
        update(billing_groups)
        .where(billing_groups.c.user_id == user_id, billing_groups.c.id == group_id)
        .values(values)
    )


def remove(connection: Connection, user_id: int, group_id: str) -> bool:
    """Delete the group; False when it was not there (any more)."""
    result = connection.execute(
        delete(billing_groups).where(billing_groups.c.user_id == user_id, billing_groups.c.id == group_id)
    )
    return result.rowcount == 1
