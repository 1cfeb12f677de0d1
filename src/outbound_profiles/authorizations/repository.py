"""Queries of the data plane: the connection a call comes from, and the calls themselves."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from outbound_profiles.db.prepared import Prepared
from outbound_profiles.models import calls, connections, daily_spend, outbound_profiles, users
from outbound_profiles.models.base import Record

# The profile's columns a decision reads, in the order `ProfileSnapshot.of_fields` takes them.
PROFILE_COLUMNS = (
    "id",
    "active",
    "service_plan",
    "whitelisted_destinations",
    "max_destination_rate",
    "cps_limit",
    "cps_limit_increase",
    "ports",
    "usage_payment_method",
    "rate_deck_id",
    "call_recording_type",
    "call_recording_phone_numbers",
    "call_recording_format",
    "call_recording_channels",
    "billing_group_id",
    "calling_window_start_time",
    "calling_window_end_time",
    "calling_window_calls_per_cld",
    "daily_spend_limit_cents",
    "daily_spend_limit_enabled",
)

# Prepared: a miss of the data plane's targets cache reads it on the hot path.
_TARGET = Prepared(
    select(
        connections.c.id,
        connections.c.active,
        connections.c.user_id,
        users.c.concurrent_call_limit,
        *(outbound_profiles.c[name] for name in PROFILE_COLUMNS),
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


def target(connection: Connection, connection_id: int) -> tuple[Any, ...] | None:
    """The connection (id, active, its user), its user's concurrent call limit, then its profile's
    `PROFILE_COLUMNS` (nulls without a profile)."""
    return _TARGET.first(connection, {"connection_id": connection_id})


class CallRow(NamedTuple):
    """A row of `calls`, every column, as `get` reads it."""

    call_id: str
    user_id: int
    outbound_profile_id: int
    connection_id: int
    billing_group_id: str | None
    to_number: str
    from_number: str
    destination_country: str | None
    rate: str | None
    connect_fee: str | None
    initial_increment: int | None
    subsequent_increment: int | None
    started_at: datetime
    lease_expires_at: datetime
    last_keepalive_at: datetime
    max_duration_seconds: int | None
    decision: str
    ended_at: datetime | None
    duration_seconds: int | None
    end_reason: str | None
    billed_seconds: int | None
    cost_micros: int | None


class Started(NamedTuple):
    """The columns of a call that its allow writes and nothing changes after: what its end bills and
    answers from, with the `ENDED` columns."""

    call_id: str
    user_id: int
    outbound_profile_id: int
    connection_id: int
    billing_group_id: str | None
    to_number: str
    from_number: str
    destination_country: str | None
    rate: str | None
    connect_fee: str | None
    initial_increment: int | None
    subsequent_increment: int | None
    started_at: datetime


# The row's fields name the columns: a field no column has fails here, at import.
_BY_ID = Prepared(select(*(calls.c[name] for name in CallRow._fields)).where(calls.c.call_id == bindparam("call_id")))


def get(connection: Connection, call_id: str) -> CallRow | None:
    """The call with this id (prepared: an end reads it on the hot path)."""
    found = _BY_ID.first(connection, {"call_id": call_id})
    return None if found is None else CallRow(*found)


_DECISION = Prepared(select(calls.c.connection_id, calls.c.decision).where(calls.c.call_id == bindparam("call_id")))


def decision(connection: Connection, call_id: str) -> tuple[int, str] | None:
    """The connection and the recorded decision (JSON) of the call with this id, if it was allowed."""
    found = _DECISION.first(connection, {"call_id": call_id})
    return None if found is None else (int(found[0]), str(found[1]))


# What an allow writes (the other columns are the end's).
INSERTED = (
    "call_id",
    "user_id",
    "outbound_profile_id",
    "connection_id",
    "billing_group_id",
    "to_number",
    "from_number",
    "destination_country",
    "rate",
    "connect_fee",
    "initial_increment",
    "subsequent_increment",
    "started_at",
    "lease_expires_at",
    "last_keepalive_at",
    "max_duration_seconds",
    "decision",
)


def _insert_statement(insert: Any) -> Prepared:
    values: dict[str, Any] = {name: bindparam(name) for name in INSERTED}
    return Prepared(insert(calls).values(values).on_conflict_do_nothing(index_elements=["call_id"]))


_INSERT = {"sqlite": _insert_statement(sqlite.insert), "postgresql": _insert_statement(postgresql.insert)}


def insert(connection: Connection, values: dict[str, Any]) -> CallRow | None:
    """Insert the call; None if it is new, else the call that already has its id (a retry), unchanged."""
    if _INSERT[connection.dialect.name].execute(connection, values) == 1:
        return None
    return get(connection, values["call_id"])


ENDED = ("ended_at", "duration_seconds", "end_reason", "billed_seconds", "cost_micros")
_END = Prepared(
    update(calls)
    .where(calls.c.call_id == bindparam("key_call_id"), calls.c.ended_at.is_(None))
    .values({name: bindparam(name) for name in ENDED})
)


# The sweep's end: only while the lease is still over, so a keepalive that committed after the
# sweep read the call keeps it (and its port), as it was told.
_EXPIRE = Prepared(
    update(calls)
    .where(
        calls.c.call_id == bindparam("key_call_id"),
        calls.c.ended_at.is_(None),
        calls.c.lease_expires_at <= bindparam("expired_by"),
    )
    .values({name: bindparam(name) for name in ENDED})
)


def end(connection: Connection, call_id: str, values: dict[str, Any], *, expired_by: datetime | None = None) -> bool:
    """End an active call with `values` (the `ENDED` columns); False when no active call has this id
    (with `expired_by`: none whose lease had run out by then). The same statement adds the call's
    cost to its profile's spend for the day it started (a trigger: migration 0013)."""
    if expired_by is None:
        return _END.execute(connection, {"key_call_id": call_id, **values}) == 1
    return _EXPIRE.execute(connection, {"key_call_id": call_id, "expired_by": expired_by, **values}) == 1


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


def expired(connection: Connection, now: datetime, limit: int) -> Sequence[Record]:
    """Active calls whose lease has run out (at most `limit`), the longest expired first."""
    return connection.execute(
        select(calls.c.call_id)
        .where(calls.c.ended_at.is_(None), calls.c.lease_expires_at <= now)
        .order_by(calls.c.lease_expires_at)
        .limit(limit)
    ).all()


_SETTLED = select(daily_spend.c.settled_micros).where(
    daily_spend.c.outbound_profile_id == bindparam("profile_id"), daily_spend.c.day == bindparam("day")
)
_RUNNING = select(
    calls.c.started_at, calls.c.rate, calls.c.connect_fee, calls.c.initial_increment, calls.c.subsequent_increment
).where(
    calls.c.ended_at.is_(None),
    calls.c.user_id == bindparam("user_id"),
    calls.c.outbound_profile_id == bindparam("profile_id"),
    calls.c.started_at >= bindparam("since"),
)


def spend(connection: Connection, user_id: int, profile_id: int, day: date) -> tuple[int, Sequence[Record]]:
    """A profile's spend on a UTC day as stored: what its ended calls cost (micro-USD), and its
    calls of that day still running, with their tariffs (for what they have cost so far)."""
    since = datetime(day.year, day.month, day.day, tzinfo=UTC)
    settled = connection.execute(_SETTLED, {"profile_id": profile_id, "day": day}).scalar_one_or_none()
    running = connection.execute(_RUNNING, {"user_id": user_id, "profile_id": profile_id, "since": since}).all()
    return settled or 0, running


def counts(connection: Connection, user_id: int, profile_id: int, since: datetime) -> tuple[int, int]:
    """A profile's active calls, and its calls allowed since `since`."""
    mine = (calls.c.user_id == user_id) & (calls.c.outbound_profile_id == profile_id)
    active_calls = connection.execute(select(func.count()).where(mine, calls.c.ended_at.is_(None))).scalar_one()
    started = connection.execute(select(func.count()).where(mine, calls.c.started_at >= since)).scalar_one()
    return int(active_calls), int(started)


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
