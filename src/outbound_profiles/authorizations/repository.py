"""Queries of the data plane: the connection a call comes from, and the calls themselves."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from outbound_profiles.models import calls, connections, outbound_profiles, users
from outbound_profiles.models.base import Record

_TARGET = (
    select(
        connections.c.id.label("connection_id"),
        connections.c.active.label("connection_active"),
        connections.c.user_id.label("connection_user_id"),
        users.c.concurrent_call_limit,
        outbound_profiles,
    )
    .select_from(
        connections.join(users, users.c.id == connections.c.user_id).outerjoin(
            outbound_profiles,
            (outbound_profiles.c.id == connections.c.outbound_profile_id)
            & (outbound_profiles.c.user_id == connections.c.user_id),
        )
    )
    .where(connections.c.id == bindparam("connection_id"))
)


def target(connection: Connection, connection_id: int) -> Record | None:
    """The connection with its user's limit and its profile's columns (null without a profile)."""
    return connection.execute(_TARGET, {"connection_id": connection_id}).first()


_BY_ID = select(calls).where(calls.c.call_id == bindparam("call_id"))


def get(connection: Connection, call_id: str) -> Record | None:
    return connection.execute(_BY_ID, {"call_id": call_id}).first()


_INSERT = {
    "sqlite": sqlite.insert(calls).on_conflict_do_nothing(index_elements=["call_id"]),
    "postgresql": postgresql.insert(calls).on_conflict_do_nothing(index_elements=["call_id"]),
}


def insert(connection: Connection, values: dict[str, Any]) -> Record | None:
    """Insert the call; None if it is new, else the call that already has its id (a retry), unchanged."""
    if connection.execute(_INSERT[connection.dialect.name], values).rowcount == 1:
        return None
    return get(connection, values["call_id"])


_END = (
    update(calls)
    .where(calls.c.call_id == bindparam("key_call_id"), calls.c.ended_at.is_(None))
    .values(
        ended_at=bindparam("ended_at"),
        duration_seconds=bindparam("duration_seconds"),
        end_reason=bindparam("end_reason"),
    )
    .returning(calls)
)


def end(connection: Connection, call_id: str, at: datetime, duration_seconds: int, reason: str) -> Record | None:
    """End an active call; None when there is no active call with this id."""
    return connection.execute(
        _END,
        {"key_call_id": call_id, "ended_at": at, "duration_seconds": duration_seconds, "end_reason": reason},
    ).first()


_KEEPALIVE = (
    update(calls)
    .where(calls.c.call_id == bindparam("key_call_id"), calls.c.ended_at.is_(None))
    .values(last_keepalive_at=bindparam("at"), lease_expires_at=bindparam("lease_expires_at"))
    .returning(calls)
)


def keepalive(connection: Connection, call_id: str, at: datetime, lease_expires_at: datetime) -> Record | None:
    return connection.execute(
        _KEEPALIVE, {"key_call_id": call_id, "at": at, "lease_expires_at": lease_expires_at}
    ).first()


def expire(connection: Connection, now: datetime, limit: int) -> Sequence[Record]:
    """End the active calls whose lease has run out (at most `limit`), billed to their last keepalive."""
    due = (
        select(calls.c.call_id)
        .where(calls.c.ended_at.is_(None), calls.c.lease_expires_at <= now)
        .order_by(calls.c.lease_expires_at)
        .limit(limit)
    )
    expired = []
    for row in connection.execute(due).all():
        current = get(connection, row.call_id)
        if current is None or current.ended_at is not None:
            continue
        duration = max(0, int((current.last_keepalive_at - current.started_at).total_seconds()))
        ended = end(connection, row.call_id, now, duration, "lease_expired")
        if ended is not None:
            expired.append(ended)
    return expired


def active(connection: Connection, user_id: int | None = None) -> Sequence[Record]:
    """The active calls (of one user, or of everyone), for the counters to be rebuilt from."""
    query = select(calls.c.call_id, calls.c.user_id, calls.c.outbound_profile_id, calls.c.started_at).where(
        calls.c.ended_at.is_(None)
    )
    if user_id is not None:
        query = query.where(calls.c.user_id == user_id)
    return connection.execute(query).all()


def count_active(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).where(calls.c.ended_at.is_(None))).scalar_one())
