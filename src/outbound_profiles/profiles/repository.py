"""Queries on outbound profiles. Every query names the tenant."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Final

from sqlalchemy import ColumnElement, Connection, bindparam, delete, func, select, update

from outbound_profiles.db.database import table_written
from outbound_profiles.db.prepared import Prepared
from outbound_profiles.http.query import SortKey
from outbound_profiles.models import outbound_profiles as profiles
from outbound_profiles.models.base import Record

# Sortable fields, each with its column.
SORTABLE = {
    name: profiles.c[name]
    for name in ("active", "created_at", "name", "service_plan", "traffic_type", "usage_payment_method")
}


# The statements of the hot path are built once: building one costs more than running it.
_THIS = (profiles.c.user_id == bindparam("key_user_id"), profiles.c.id == bindparam("key_id"))
_GET = select(profiles).where(*_THIS)
_GET_FOR_UPDATE = _GET.with_for_update()
WRITABLE: Final = frozenset(c.name for c in profiles.c if c.name not in ("id", "user_id", "created_at"))
# One UPDATE per set of columns written, built on first use; past this many sets (clients that
# change ever new combinations of fields), a save writes every writable column.
_MAX_SAVE_STATEMENTS = 512
_saves: dict[frozenset[str], Prepared] = {}
_INSERT = profiles.insert()
_REMOVE = delete(profiles).where(*_THIS)


def get(connection: Connection, user_id: int, profile_id: int, *, for_update: bool = False) -> Record | None:
    return connection.execute(
        _GET_FOR_UPDATE if for_update else _GET, {"key_user_id": user_id, "key_id": profile_id}
    ).first()


def _filters(user_id: int, name_contains: str | None) -> list[ColumnElement[bool]]:
    conditions = [profiles.c.user_id == user_id]
    if name_contains:
        # Both sides lowered by the database (PostgreSQL's lower() and Python's, which SQLite gets in
        # db/engine.py, disagree on a few letters, e.g. a final sigma); wildcards are taken literally.
        escaped = name_contains.replace("/", "//").replace("%", "/%").replace("_", "/_")
        conditions.append(func.lower(profiles.c.name).like(func.lower(f"%{escaped}%"), escape="/"))
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
        column: Any = SORTABLE[key.field]
        if key.field == "name" and connection.dialect.name == "postgresql":
            # Code-point order, as SQLite's BINARY sorts, whatever the database's locale (migration 0004
            # gives the index the same collation).
            column = column.collate("C")
        if not SORTABLE[key.field].nullable:  # a plain ORDER BY, which the (user_id, field, id) index serves
            order.append(column.desc() if key.descending else column.asc())
        else:  # NULLs sort first ascending and last descending on every database
            order.append(column.desc().nulls_last() if key.descending else column.asc().nulls_first())
    order.append(profiles.c.id.asc())
    statement = select(profiles).where(*_filters(user_id, name_contains)).order_by(*order).offset(offset).limit(limit)
    return connection.execute(statement).all()


def count(connection: Connection, user_id: int, *, name_contains: str | None) -> int:
    statement = select(func.count()).select_from(profiles).where(*_filters(user_id, name_contains))
    return int(connection.execute(statement).scalar_one())


def insert(connection: Connection, row: dict[str, Any]) -> None:
    table_written(connection, "outbound_profiles", row["id"])
    connection.execute(_INSERT, row)


def save(connection: Connection, row: dict[str, Any], columns: Collection[str]) -> None:
    """Write the named columns of a whole row.

    Only what changed: each column written costs its bind processing (JSON, timestamps) and, for an
    indexed column, an index update, whether or not its value is new."""
    table_written(connection, "outbound_profiles", row["id"])
    written = frozenset(columns)
    statement = _saves.get(written)
    if statement is None:
        if len(_saves) >= _MAX_SAVE_STATEMENTS:
            written = WRITABLE
        statement = _save_statement(written)
    statement.execute(connection, {"key_user_id": row["user_id"], "key_id": row["id"], **{c: row[c] for c in written}})


def _save_statement(columns: frozenset[str]) -> Prepared:
    if not columns <= WRITABLE:
        raise ValueError(f"not writable: {sorted(columns - WRITABLE)}")
    statement = _saves.get(columns)
    if statement is None:
        values: dict[str, Any] = {name: bindparam(name) for name in sorted(columns)}
        statement = _saves.setdefault(columns, Prepared(update(profiles).where(*_THIS).values(values)))
    return statement


def remove(connection: Connection, user_id: int, profile_id: int) -> None:
    table_written(connection, "outbound_profiles", profile_id)
    connection.execute(_REMOVE, {"key_user_id": user_id, "key_id": profile_id})
