"""External references: which resource here a copied one became, by its id at the source."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select

from outbound_profiles.domain.timestamps import now
from outbound_profiles.models import external_references as refs


def find(connection: Connection, user_id: int, kind: str, external_id: str) -> str | None:
    found = connection.execute(
        select(refs.c.local_id).where(refs.c.user_id == user_id, refs.c.kind == kind, refs.c.external_id == external_id)
    ).scalar_one_or_none()
    return None if found is None else str(found)


def put(connection: Connection, user_id: int, kind: str, external_id: str, local_id: str) -> None:
    connection.execute(
        delete(refs).where(refs.c.user_id == user_id, refs.c.kind == kind, refs.c.external_id == external_id)
    )
    connection.execute(
        insert(refs).values(user_id=user_id, kind=kind, external_id=external_id, local_id=local_id, updated_at=now())
    )
