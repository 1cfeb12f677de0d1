from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update

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
    )
    .join(users, users.c.id == api_tokens.c.user_id)
    .where(api_tokens.c.revoked_at.is_(None), api_tokens.c.id == bindparam("token_id"))
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
