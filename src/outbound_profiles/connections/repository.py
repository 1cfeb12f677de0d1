"""Queries on connections. Every query names the tenant."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, or_, select, update

from outbound_profiles.db.database import table_written
from outbound_profiles.models import connections
from outbound_profiles.models.base import Record

# The statements of the hot path are built once: building one costs more than running it.
_USER = connections.c.user_id == bindparam("key_user_id")
_GET = select(connections).where(_USER, connections.c.id == bindparam("key_connection_id"))
_OWNED = select(connections.c.id, connections.c.outbound_profile_id).where(
    _USER, connections.c.id.in_(bindparam("ids", expanding=True))
)
# PostgreSQL: every request locks the connection rows it may change in one statement, in id order,
# so two requests that want overlapping sets wait for each other instead of deadlocking.
_OWNED_LOCKED = _OWNED.order_by(connections.c.id).with_for_update()
_ATTACHED_TO = (
    select(connections.c.id, connections.c.connection_name, connections.c.active, connections.c.outbound_profile_id)
    .where(connections.c.outbound_profile_id.in_(bindparam("profile_ids", expanding=True)))
    .order_by(connections.c.attach_position, connections.c.id)
)
_NEXT_POSITION = select(func.max(connections.c.attach_position)).where(
    connections.c.outbound_profile_id == bindparam("key_profile_id")
)
_ATTACH = (
    update(connections)
    .where(
        _USER,
        connections.c.id == bindparam("key_connection_id"),
        or_(
            connections.c.outbound_profile_id.is_(None),
            connections.c.outbound_profile_id == bindparam("key_profile_id"),
        ),
    )
    .values(outbound_profile_id=bindparam("key_profile_id"), attach_position=bindparam("position"))
)
_ON_PROFILE = (_USER, connections.c.outbound_profile_id == bindparam("key_profile_id"))
_DETACHED = {"outbound_profile_id": None, "attach_position": None}
_DETACH_ALL_BUT = (
    update(connections)
    .where(*_ON_PROFILE, connections.c.id.not_in(bindparam("ids", expanding=True)))
    .values(_DETACHED)
    .returning(connections.c.id)
)
_DETACH_ONLY = (
    update(connections)
    .where(*_ON_PROFILE, connections.c.id.in_(bindparam("ids", expanding=True)))
    .values(_DETACHED)
    .returning(connections.c.id)
)


_GET_FOR_UPDATE = _GET.with_for_update()


def get(connection: Connection, user_id: int, connection_id: int, *, for_update: bool = False) -> Record | None:
    statement = _GET_FOR_UPDATE if for_update else _GET
    return connection.execute(statement, {"key_user_id": user_id, "key_connection_id": connection_id}).first()


def owned(
    connection: Connection, user_id: int, ids: Iterable[int], *, also_locking: Iterable[int] = ()
) -> dict[int, Record]:
    """The user's connections among `ids`, by id (another tenant's are simply not there), locked
    for the rest of the transaction together with `also_locking` (the rows the request may change).

    SQLite has one writer at a time and no row locks: there it is a plain read of `ids`.
    """
    wanted = list(ids)
    if connection.dialect.name == "sqlite":
        if not wanted:
            return {}
        return {row.id: row for row in connection.execute(_OWNED, {"key_user_id": user_id, "ids": wanted}).all()}
    locked = sorted({*wanted, *also_locking})
    if not locked:
        return {}
    rows = connection.execute(_OWNED_LOCKED, {"key_user_id": user_id, "ids": locked}).all()
    chosen = set(wanted)
    return {row.id: row for row in rows if row.id in chosen}


def attached_to(connection: Connection, profile_ids: Sequence[int]) -> Sequence[Record]:
    """The connections of these profiles, in the order they were attached."""
    if not profile_ids:
        return []
    return connection.execute(_ATTACHED_TO, {"profile_ids": list(profile_ids)}).all()


def next_position(connection: Connection, profile_id: int) -> int:
    current = connection.execute(_NEXT_POSITION, {"key_profile_id": profile_id}).scalar_one()
    return 0 if current is None else int(current) + 1


def attach(connection: Connection, user_id: int, profile_id: int, connection_id: int, position: int) -> bool:
    """Point the connection at the profile unless another profile holds it. False when it lost."""
    table_written(connection, "connections", connection_id)
    result = connection.execute(
        _ATTACH,
        {
            "key_user_id": user_id,
            "key_connection_id": connection_id,
            "key_profile_id": profile_id,
            "position": position,
        },
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
    statement, ids = (_DETACH_ALL_BUT, list(keep)) if only is None else (_DETACH_ONLY, list(only))
    detached = connection.execute(statement, {"key_user_id": user_id, "key_profile_id": profile_id, "ids": ids})
    for (connection_id,) in detached:
        table_written(connection, "connections", connection_id)


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
    table_written(connection, "connections", values["id"])
    connection.execute(connections.insert().values(values))


def remove(connection: Connection, user_id: int, connection_id: int) -> bool:
    """Delete the connection; False when it was not there (any more)."""
    table_written(connection, "connections", connection_id)
    result = connection.execute(
        delete(connections).where(connections.c.user_id == user_id, connections.c.id == connection_id)
    )
    return result.rowcount == 1
