"""Queries on billing groups. Every query names the tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import Connection, delete, exists, func, select, update

from outbound_profiles.models import billing_groups, outbound_profiles
from outbound_profiles.models.base import Record


def is_group_id(value: str) -> bool:
    """Whether `value` can be a group's id: a UUID in canonical form (ids are made as `str(uuid4())`).

    Anything else is no group, and never reaches the database (PostgreSQL refuses a NUL character
    in a text parameter, so a stray one would otherwise be a 500).
    """
    try:
        return len(value) == 36 and str(uuid.UUID(value)) == value
    except ValueError:
        return False


Lock = Literal["update", "key share"]


def get(connection: Connection, user_id: int, group_id: str, *, lock: Lock | None = None) -> Record | None:
    """The user's group; `lock` (PostgreSQL): "update" to change or delete it, "key share" to make a
    profile point at it (a delete then waits for that profile's transaction, and sees it)."""
    if not is_group_id(group_id):
        return None
    statement = select(billing_groups).where(billing_groups.c.user_id == user_id, billing_groups.c.id == group_id)
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
