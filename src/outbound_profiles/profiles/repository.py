"""Queries on outbound profiles. Every query names the tenant."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, func, select, update

from outbound_profiles.http.query import SortKey
from outbound_profiles.models import outbound_profiles as profiles
from outbound_profiles.models.base import Record

# Sortable fields (SPEC §2), each with its column.
SORTABLE = {
    name: profiles.c[name]
    for name in ("active", "created_at", "name", "service_plan", "traffic_type", "usage_payment_method")
}


def get(connection: Connection, user_id: int, profile_id: int, *, for_update: bool = False) -> Record | None:
    statement = select(profiles).where(profiles.c.user_id == user_id, profiles.c.id == profile_id)
    if for_update:
        statement = statement.with_for_update()
    return connection.execute(statement).first()


def _filters(user_id: int, name_contains: str | None) -> list[ColumnElement[bool]]:
    conditions = [profiles.c.user_id == user_id]
    if name_contains:
        conditions.append(func.lower(profiles.c.name).contains(name_contains.lower(), autoescape=True))
    return conditions


def page(
    connection: Connection,
    user_id: int,
    *,
    name_contains: str | None,
    sort: Sequence[SortKey],
    offset: int,
    limit: int,
) -> Sequence[Record]:
    order: list[Any] = []
    for key in sort:
        column = SORTABLE[key.field]
        # NULLs sort first ascending and last descending on every database.
        order.append(column.desc().nulls_last() if key.descending else column.asc().nulls_first())
    order.append(profiles.c.id.asc())
    statement = select(profiles).where(*_filters(user_id, name_contains)).order_by(*order).offset(offset).limit(limit)
    return connection.execute(statement).all()


def count(connection: Connection, user_id: int, *, name_contains: str | None) -> int:
    statement = select(func.count()).select_from(profiles).where(*_filters(user_id, name_contains))
    return int(connection.execute(statement).scalar_one())


def insert(connection: Connection, values: dict[str, Any]) -> None:
    connection.execute(profiles.insert().values(values))


def save(connection: Connection, user_id: int, profile_id: int, values: dict[str, Any]) -> None:
    connection.execute(
        update(profiles).where(profiles.c.user_id == user_id, profiles.c.id == profile_id).values(values)
    )


def remove(connection: Connection, user_id: int, profile_id: int) -> None:
    connection.execute(delete(profiles).where(profiles.c.user_id == user_id, profiles.c.id == profile_id))
