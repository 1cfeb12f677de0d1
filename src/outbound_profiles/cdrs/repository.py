"""Queries on call records (ended calls). Every query names the tenant, and takes only the records
that had ended by `as_of`, so that every read of one answer sees the same records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, Select, and_, func, or_, select

from outbound_profiles.models import calls
from outbound_profiles.models.base import Record

# What a record shows (not the decision the switch was given, the largest column).
_COLUMNS = (
    calls.c.call_id,
    calls.c.outbound_profile_id,
    calls.c.connection_id,
    calls.c.billing_group_id,
    calls.c.to_number,
    calls.c.from_number,
    calls.c.destination_country,
    calls.c.started_at,
    calls.c.ended_at,
    calls.c.duration_seconds,
    calls.c.billed_seconds,
    calls.c.rate,
    calls.c.connect_fee,
    calls.c.cost_micros,
    calls.c.end_reason,
)


@dataclass(frozen=True, slots=True)
class Filters:
    """What the caller asked for, checked: each None means "any"."""

    outbound_profile_id: int | None = None
    billing_group_id: str | None = None
    started_at_gte: datetime | None = None
    started_at_lt: datetime | None = None


def _where(user_id: int, filters: Filters, as_of: datetime) -> list[ColumnElement[bool]]:
    conditions = [calls.c.user_id == user_id, calls.c.ended_at.is_not(None), calls.c.ended_at <= as_of]
    if filters.outbound_profile_id is not None:
        conditions.append(calls.c.outbound_profile_id == filters.outbound_profile_id)
    if filters.billing_group_id is not None:
        conditions.append(calls.c.billing_group_id == filters.billing_group_id)
    if filters.started_at_gte is not None:
        conditions.append(calls.c.started_at >= filters.started_at_gte)
    if filters.started_at_lt is not None:
        conditions.append(calls.c.started_at < filters.started_at_lt)
    return conditions


def _ordered(user_id: int, filters: Filters, as_of: datetime) -> Select[tuple[object, ...]]:
    return select(*_COLUMNS).where(*_where(user_id, filters, as_of)).order_by(calls.c.started_at, calls.c.call_id)


def page(
    connection: Connection, user_id: int, filters: Filters, as_of: datetime, *, offset: int, limit: int
) -> Sequence[Record]:
    return connection.execute(_ordered(user_id, filters, as_of).offset(offset).limit(limit)).all()


def count(connection: Connection, user_id: int, filters: Filters, as_of: datetime) -> int:
    statement = select(func.count()).select_from(calls).where(*_where(user_id, filters, as_of))
    return int(connection.execute(statement).scalar_one())


def after(
    connection: Connection,
    user_id: int,
    filters: Filters,
    as_of: datetime,
    last: tuple[datetime, str] | None,
    limit: int,
) -> Sequence[Record]:
    """The next `limit` records after `last` (a record's `started_at` and `call_id`) in their order:
    a keyset read, as fast for the millionth record as for the first."""
    statement = _ordered(user_id, filters, as_of)
    if last is not None:
        started_at, call_id = last
        # Written so that the index on started_at bounds the scan (a row-value comparison may not).
        statement = statement.where(
            calls.c.started_at >= started_at,
            or_(calls.c.started_at > started_at, and_(calls.c.started_at == started_at, calls.c.call_id > call_id)),
        )
    return connection.execute(statement.limit(limit)).all()
