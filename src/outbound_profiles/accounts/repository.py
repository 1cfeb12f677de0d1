from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update

from outbound_profiles.db.database import table_written
from outbound_profiles.models import api_tokens, users
from outbound_profiles.models.base import Record

_CREDENTIALS = (
    select(
        users.c.id,
        users.c.email,
        users.c.concurrent_call_limit,
        users.c.default_cps,
        users.c.max_cps,
        api_tokens.c.secret_hash,
        api_tokens.c.kind,
        api_tokens.c.last_used_at,
    )
    # Outer: a switch token belongs to no user.
    .select_from(api_tokens.outerjoin(users, users.c.id == api_tokens.c.user_id))
    .where(
        api_tokens.c.revoked_at.is_(None),
        users.c.disabled_at.is_(None),
        api_tokens.c.id == bindparam("token_id"),
    )
)


def find_credentials(connection: Connection, token_id: str) -> Record | None:
    return connection.execute(_CREDENTIALS, {"token_id": token_id}).first()


def find_user_by_email(connection: Connection, email: str) -> Record | None:
    return connection.execute(select(users).where(func.lower(users.c.email) == email.lower())).first()


def insert_user(connection: Connection, values: dict[str, Any]) -> None:
    connection.execute(users.insert().values(values))


def insert_token(connection: Connection, values: dict[str, Any]) -> None:
    connection.execute(api_tokens.insert().values(values))


def revoke_token(connection: Connection, token_id: str, at: datetime) -> bool:
    result = connection.execute(
        update(api_tokens).where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None)).values(revoked_at=at)
    )
    return result.rowcount == 1


def organization_id(connection: Connection, user_id: int) -> str:
    """The user's UUID (API v2 shows it as a billing group's `organization_id`)."""
    value: str = connection.execute(select(users.c.organization_id).where(users.c.id == user_id)).scalar_one()
    return value


def list_users(connection: Connection) -> list[Record]:
    active_tokens = (
        select(func.count())
        .where(api_tokens.c.user_id == users.c.id, api_tokens.c.revoked_at.is_(None))
        .scalar_subquery()
        .label("active_tokens")
    )
    return list(connection.execute(select(users, active_tokens).order_by(users.c.created_at, users.c.id)))


def update_user(connection: Connection, user_id: int, values: dict[str, Any]) -> None:
    table_written(connection, "users", user_id)
    connection.execute(update(users).where(users.c.id == user_id).values(values))


def list_tokens(connection: Connection, user_id: int | None) -> list[Record]:
    query = (
        select(
            api_tokens.c.id,
            api_tokens.c.created_at,
            api_tokens.c.last_used_at,
            api_tokens.c.revoked_at,
            api_tokens.c.kind,
            users.c.email,
        )
        .select_from(api_tokens.outerjoin(users, users.c.id == api_tokens.c.user_id))
        .order_by(api_tokens.c.created_at, api_tokens.c.id)
    )
    if user_id is not None:
        query = query.where(api_tokens.c.user_id == user_id)
    return list(connection.execute(query))


def touch_token(connection: Connection, token_id: str, at: datetime) -> None:
    connection.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=at))
