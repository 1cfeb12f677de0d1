"""Connections: created, listed, read and deleted by their owner. Deleting one that is attached
detaches it (the profile simply loses it); nothing points at a deleted connection."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from outbound_profiles.accounts.account import Account
from outbound_profiles.connections import repository
from outbound_profiles.connections.schemas import READ_ONLY_FIELDS, ConnectionCreate, ConnectionOut
from outbound_profiles.domain.ids import new_id, parse_id
from outbound_profiles.domain.timestamps import iso8601, now
from outbound_profiles.errors import NotFound, Problems
from outbound_profiles.http.body import convert_fields
from outbound_profiles.models.base import Record
from outbound_profiles.profiles import views


def render(row: Record) -> ConnectionOut:
    profile = row.outbound_profile_id
    return ConnectionOut(
        id=str(row.id),
        connection_name=row.connection_name,
        active=row.active,
        outbound_profile_id=None if profile is None else str(profile),
        created_at=iso8601(row.created_at),
    )


def create(connection: Connection, account: Account, body: dict[str, Any]) -> ConnectionOut:
    problems = Problems()
    fields = convert_fields(body, ConnectionCreate, problems, ignored=READ_ONLY_FIELDS)
    problems.raise_if_any()
    connection_id = new_id()
    repository.insert(
        connection,
        {
            "id": connection_id,
            "user_id": account.id,
            "connection_name": fields["connection_name"],
            "active": fields.get("active", True),
            "outbound_profile_id": None,
            "attach_position": None,
            "created_at": now(),
        },
    )
    return retrieve(connection, account, str(connection_id))


def retrieve(connection: Connection, account: Account, connection_id: str) -> ConnectionOut:
    return render(_load(connection, account, connection_id))


def delete(connection: Connection, account: Account, connection_id: str) -> ConnectionOut:
    # Locked: a concurrent delete of the same connection waits, then finds it gone (404).
    row = _load(connection, account, connection_id, for_update=True)
    if not repository.remove(connection, account.id, row.id):
        raise NotFound(f"No connection with id {connection_id!r}.")
    if row.outbound_profile_id is not None:
        views.forget(connection, row.outbound_profile_id)
    return render(row)


def list_page(
    connection: Connection, account: Account, *, offset: int, limit: int
) -> tuple[Sequence[ConnectionOut], int]:
    rows = repository.page(connection, account.id, offset=offset, limit=limit)
    return [render(row) for row in rows], repository.count(connection, account.id)


def _load(connection: Connection, account: Account, connection_id: str, *, for_update: bool = False) -> Record:
    number = parse_id(connection_id)
    row = None if number is None else repository.get(connection, account.id, number, for_update=for_update)
    if row is None:
        raise NotFound(f"No connection with id {connection_id!r}.")
    return row
