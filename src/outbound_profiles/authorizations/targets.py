"""The connections a decision is for, held in memory: each one's account and profile.

Three caches, one per table a target is read from, each keyed by that table's row id: a change of a
profile (in this process, or on PostgreSQL in any) drops that profile's snapshot and nothing else,
and so does a change of a connection or of an account. A target is put together from the three on
each call; when one of them lacks its part, the connection's row is read joined with its account and
profile, and fills all three. Connection ids no connection has are held apart, fewer of them.

`warm` fills them from the database ahead of the calls, as many entries as they hold: a service
whose caches hold every connection decides the first call of each as fast as the next ones, however
many profiles there are. It runs when the data plane starts and, on PostgreSQL, again whenever the
caches were cleared whole (the listener reconnected, or one statement changed more than 100 rows);
on SQLite another process's commit clears them, and they fill again call by call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

import msgspec
from sqlalchemy import Connection, bindparam, select

from outbound_profiles.authorizations import repository
from outbound_profiles.db.cache import Cache
from outbound_profiles.db.database import Database, fill
from outbound_profiles.models import connections, outbound_profiles, users
from outbound_profiles.policy.decide import ProfileSnapshot, Target
from outbound_profiles.profiles.model import rate_of, spend_limit_of

logger = logging.getLogger("outbound_profiles.data_plane")
T = TypeVar("T")

TABLES: Final = ("connections", "outbound_profiles", "users")
UNKNOWN: Final = Target(0, False, 0, None, None)  # the target of a connection id no connection has
MAX_SHARED: Final = 100_000
WARM_BATCH: Final = 500  # rows read at a time while warming: each batch holds the event loop a few ms
_RATE: Final = repository.PROFILE_COLUMNS.index("max_destination_rate")
_SPEND_LIMIT: Final = repository.PROFILE_COLUMNS.index("daily_spend_limit_cents")


class Link(msgspec.Struct, frozen=True, gc=False):
    """A connection as a decision reads it: whose it is, and its profile (if it has one of its owner's)."""

    active: bool
    account_id: int
    profile_id: int | None


class Limit(msgspec.Struct, frozen=True, gc=False):
    """An account's concurrent call limit (a struct: the cache's "no entry" is None)."""

    ports: int | None


_NO_CONNECTION: Final = Link(False, 0, None)
# Connection ids no connection has are held apart, fewer: a switch calling from ids made up pushes
# no connection out.
UNKNOWN_ENTRIES: Final = 10_000


class Targets:
    def __init__(self, database: Database, *, max_entries: int) -> None:
        self.database = database
        self.max_entries = max_entries
        self.links: Cache[int, Link] = self._cache("decision_connections", "connections")
        self.profiles: Cache[int, ProfileSnapshot] = self._cache("decision_profiles", "outbound_profiles")
        self.accounts: Cache[int, Limit] = self._cache("decision_accounts", "users")
        self.unknown: Cache[int, Link] = self._cache("decision_unknown_connections", "connections", UNKNOWN_ENTRIES)
        self.caches = (self.links, self.profiles, self.accounts, self.unknown)
        self._warming: asyncio.Task[None] | None = None
        self._warmed_from = 0  # when the caches were last emptied whole, as the last warm began
        self._running = False
        if not database.is_sqlite:
            database.on_change(TABLES, self._maybe_warm)

    def start(self) -> None:
        self._running = True
        self._warm_soon()

    async def stop(self) -> None:
        self._running = False
        warming, self._warming = self._warming, None
        if warming is not None and not warming.done():
            warming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await warming

    def _maybe_warm(self) -> None:
        if self._running and self._emptied():
            self._warm_soon()  # a warm running now goes round again when it ends

    def _emptied(self) -> bool:
        """PostgreSQL: whether a cache was emptied whole since the last warm began."""
        return not self.database.is_sqlite and max(cache.emptied_at for cache in self.caches) > self._warmed_from

    def _warm_soon(self) -> None:
        if self._warming is None or self._warming.done():
            self._warming = asyncio.get_running_loop().create_task(self._warm_logged(), name="decision-caches-warm")

    async def _warm_logged(self) -> None:
        try:
            await self.warm()
            while self._running and self._emptied():
                await self.warm()
        except Exception:  # the calls fill them one by one meanwhile
            logger.exception("the decision caches could not be warmed; they fill call by call")

    def _cache(self, name: str, table: str, max_entries: int | None = None) -> Cache[Any, Any]:
        return self.database.cache(
            name,
            depends_on=(table,),
            keyed_by=table,
            parse_key=int,
            max_entries=max_entries or self.max_entries,
            cleared_by_writes=True,
        )

    def get(self, connection_id: int) -> Target | None:
        """The connection's target from memory (`UNKNOWN` for no such connection); None when a part of
        it is not held."""
        link = self.links.get(connection_id)
        if link is None:
            return None if self.unknown.get(connection_id) is None else UNKNOWN
        limit = self.accounts.get(link.account_id)
        if limit is None:
            return None
        profile = None
        if link.profile_id is not None:
            profile = self.profiles.get(link.profile_id)
            if profile is None:
                return None
        return Target(connection_id, link.active, link.account_id, limit.ports, profile)

    def load(self, connection: Connection, connection_id: int) -> Target:
        """Read the connection's target (`UNKNOWN` for no such connection) and hold its parts."""
        row = repository.target(connection, connection_id)
        if row is None:
            fill(connection, self.unknown, connection_id, _NO_CONNECTION)
            return UNKNOWN
        target = target_of(row)
        profile = target.profile
        link = Link(target.active, target.account_id, None if profile is None else profile.id)
        fill(connection, self.links, connection_id, link)
        fill(connection, self.accounts, target.account_id, Limit(target.account_ports))
        if profile is not None:
            fill(connection, self.profiles, profile.id, profile)
        return target

    def entries(self) -> dict[str, int]:
        """How many entries each cache holds, by table."""
        return {"connections": len(self.links), "outbound_profiles": len(self.profiles), "users": len(self.accounts)}

    def clear(self) -> None:
        for cache in self.caches:
            cache.clear()

    async def warm(self) -> None:
        """Fill the caches from the database, each table in the order of its ids, until it is read or its
        cache is full; a few hundred rows at a time, each in a read of its own."""
        self._warmed_from = max(cache.emptied_at for cache in self.caches)
        began = time.monotonic()
        await self._warm(_LINKS, self.links, _link)
        await self._warm(_ACCOUNTS, self.accounts, _limit)
        await self._warm(_PROFILES, self.profiles, _snapshot)
        held = self.entries()
        logger.info(
            "decision caches warmed in %.1f s: %d connections, %d accounts, %d profiles",
            time.monotonic() - began,
            held["connections"],
            held["users"],
            held["outbound_profiles"],
        )

    async def _warm(self, statement: Any, cache: Cache[int, Any], build: Callable[[Sequence[Any]], Any]) -> None:
        after, count = -1, 0
        # Disabled (PostgreSQL, no listener): nothing read would be kept; the listener's return warms them.
        while count < self.max_entries and cache.enabled:
            size = min(WARM_BATCH, self.max_entries - count)

            def batch(connection: Connection, after: int = after, size: int = size) -> Sequence[Any]:
                rows = connection.execute(statement, {"after": after, "size": size}).all()
                for row in rows:
                    fill(connection, cache, row[0], build(row))
                return rows

            rows = await self.database.read(batch, filling=self.caches)
            if not rows:
                break
            count += len(rows)
            after = rows[-1][0]
            await asyncio.sleep(0)  # the calls waiting meanwhile go first


def target_of(row: Sequence[Any]) -> Target:
    """A `repository.target` row as a `Target`: the profile's snapshot straight from its columns."""
    connection_id, active, account_id, account_ports, *columns = row
    return Target(
        connection_id, active, account_id, account_ports, _snapshot(columns) if columns[0] is not None else None
    )


def _snapshot(columns: Sequence[Any]) -> ProfileSnapshot:
    values = list(columns)
    rate, cents = values[_RATE], values[_SPEND_LIMIT]
    values[_RATE] = None if rate is None else _shared(("rate", rate), rate_of, rate)
    values[_SPEND_LIMIT] = None if cents is None else _shared(("cents", cents), spend_limit_of, cents)
    for index in _STRING_COLUMNS:
        if values[index] is not None:
            values[index] = _shared(values[index], str, values[index])
    for index in _SET_COLUMNS:
        values[index] = _shared(("set", *values[index]), dict.fromkeys, values[index])
    return ProfileSnapshot.of_fields(*values)


class _Shared:
    """One object for equal values across the profiles held (strings, rates, sets of destinations or
    numbers): a million profiles mostly repeat a few of each, and each copy costs 50-200 bytes. Past
    `MAX_SHARED` distinct values, a value is kept as it comes."""

    def __init__(self) -> None:
        self._values: dict[Any, Any] = {}

    def __call__(self, key: Any, make: Callable[[Any], T], argument: Any) -> T:
        found: T | None = self._values.get(key)
        if found is None:
            found = make(argument)
            if len(self._values) < MAX_SHARED:
                self._values[key] = found
        return found


_shared = _Shared()
_STRING_COLUMNS: Final = tuple(
    repository.PROFILE_COLUMNS.index(name)
    for name in (
        "usage_payment_method",
        "call_recording_type",
        "call_recording_format",
        "call_recording_channels",
        "billing_group_id",
    )
)
_SET_COLUMNS: Final = tuple(
    repository.PROFILE_COLUMNS.index(name) for name in ("whitelisted_destinations", "call_recording_phone_numbers")
)


def _link(row: Sequence[Any]) -> Link:
    return Link(row[1], row[2], row[3])


def _limit(row: Sequence[Any]) -> Limit:
    return Limit(row[1])


_AFTER: Final[Any] = bindparam("after")
_SIZE: Final[Any] = bindparam("size")
_LINKS = (
    select(connections.c.id, connections.c.active, connections.c.user_id, outbound_profiles.c.id)
    .select_from(
        connections.outerjoin(
            outbound_profiles,
            (outbound_profiles.c.id == connections.c.outbound_profile_id)
            & (outbound_profiles.c.user_id == connections.c.user_id),
        )
    )
    .where(connections.c.id > _AFTER)
    .order_by(connections.c.id)
    .limit(_SIZE)
)
_ACCOUNTS = (
    select(users.c.id, users.c.concurrent_call_limit).where(users.c.id > _AFTER).order_by(users.c.id).limit(_SIZE)
)
_PROFILES = (
    select(*(outbound_profiles.c[name] for name in repository.PROFILE_COLUMNS))
    .where(outbound_profiles.c.id > _AFTER)
    .order_by(outbound_profiles.c.id)
    .limit(_SIZE)
)
