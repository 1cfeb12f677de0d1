"""Queries on connections. Every query names the tenant."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, and_, delete, func, or_, select, update

from outbound_profiles.models import connections
from outbound_profiles.models.base import Record


def get(connection: Connection, user_id: int, connection_id: int) -> Record | None:
    return connection.execute(
        select(connections).where(connections.c.user_id == user_id, connections.c.id == connection_id)
    ).first()


def owned(connection: Connection, user_id: int, ids: Iterable[int]) -> dict[int, Record]:
    """The user's connections among `ids`, by id (another tenant's are simply not there)."""
    wanted = list(ids)
    if not wanted:
        return {}
    rows = connection.execute(
        select(connections.c.id, connections.c.outbound_profile_id).where(
            connections.c.user_id == user_id, connections.c.id.in_(wanted)
        )
    ).all()
    return {row.id: row for row in rows}


def attached_to(connection: Connection, profile_ids: Sequence[int]) -> Sequence[Record]:
    """The connections of these profiles, in the order they were attached."""
    if not profile_ids:
        return []
    return connection.execute(
        select(
            connections.c.id,
            connections.c.connection_name,
            connections.c.active,
            connections.c.outbound_profile_id,
        )
        .where(connections.c.outbound_profile_id.in_(profile_ids))
        .order_by(connections.c.attach_position, connections.c.id)
    ).all()


def next_position(connection: Connection, profile_id: int) -> int:
    current = connection.execute(
        select(func.max(connections.c.attach_position)).where(connections.c.outbound_profile_id == profile_id)
    ).scalar_one()
    return 0 if current is None else int(current) + 1


def attach(connection: Connection, user_id: int, profile_id: int, connection_id: int, position: int) -> bool:
    """Point the connection at the profile unless another profile holds it. False when it lost."""
    result = connection.execute(
        update(connections)
        .where(
            connections.c.user_id == user_id,
            connections.c.id == connection_id,
            or_(connections.c.outbound_profile_id.is_(None), connections.c.outbound_profile_id == profile_id),
        )
        .values(outbound_profile_id=profile_id, attach_position=position)
    )
    return result.rowcount == 1


def detach(
    connection: Connection,
    user_id: int,
    profile_id: int,
    *,
    keep: Iterable[int] = (),
    only: Iterable[int] | None = None,
) -> None:
    """Detach the profile's connections: all but `keep`, or only those in `only`."""
    condition = and_(connections.c.user_id == user_id, connections.c.outbound_profile_id == profile_id)
    kept = list(keep)
    if kept:
        condition = and_(condition, connections.c.id.not_in(kept))
    if only is not None:
        condition = and_(condition, connections.c.id.in_(list(only)))
    connection.execute(update(connections).where(condition).values(outbound_profile_id=None, attach_position=None))


def page(connection: Connection, user_id: int, *, offset: int, limit: int) -> Sequence[Record]:
    return connection.execute(
        select(connections)
        .where(connections.c.user_id == user_id)
        .order_by(connections.c.id)
        .offset(offset)
        .limit(limit)
    ).all()


def count(connection: Connection, user_id: int) -> int:
    return int(
        connection.execute(
            select(func.count()).select_from(connections).where(connections.c.user_id == user_id)
        ).scalar_one()
    )


def insert(connection: Connection, values: dict[str, Any]) -> None:
    connection.execute(connections.insert().values(values))


def remove(connection: Connection, user_id: int, connection_id: int) -> None:
    connection.execute(delete(connections).where(connections.c.user_id == user_id, connections.c.id == connection_id))
