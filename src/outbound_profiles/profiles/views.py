"""A profile with its attached connections, read through the process's cache.

The per-call decision of the data plane and the control plane's hot path both read profiles
from memory: a view is cached once read (on SQLite, once written too), dropped by any change to the
profile or its connections in this process, and, when another process writes, dropped (a change of
the profile) or cleared with the whole cache (a change of connections; anything on SQLite) within
a second (see `db/cache.py`). Views are immutable; a change makes a new one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import Connection

from outbound_profiles.accounts.account import Account
from outbound_profiles.connections import repository as connections
from outbound_profiles.db.cache import Cache
from outbound_profiles.db.database import changed, database_of, fill, wrote
from outbound_profiles.domain.ids import parse_id
from outbound_profiles.errors import NotFound
from outbound_profiles.http.conditional import Condition
from outbound_profiles.profiles import repository
from outbound_profiles.profiles.model import Profile, from_row
from outbound_profiles.profiles.schemas import AttachedConnection


@dataclass(frozen=True, slots=True)
class Attached:
    """A profile's attached connections in the order they were attached, read once per load and
    shared by every answer and update that leaves them as they are."""

    ids: tuple[int, ...]
    shown: tuple[AttachedConnection, ...]  # as the API shows them
    tag: bytes  # what the ETag covers of them

    @classmethod
    def of(cls, rows: Iterable[Any]) -> Attached:
        """From connection rows (id, connection_name, active)."""
        ids: list[int] = []
        shown: list[AttachedConnection] = []
        tag = ""
        for row in rows:
            ids.append(row.id)
            shown.append(AttachedConnection(id=str(row.id), connection_name=row.connection_name, active=row.active))
            tag += f"|{row.id}:{row.active}:{row.connection_name}"
        return cls(tuple(ids), tuple(shown), tag.encode())

    def __len__(self) -> int:
        return len(self.ids)


class ProfileView(msgspec.Struct, frozen=True):
    """A profile with its attached connections (a Struct: made on every update, at a fifth of a
    frozen dataclass's cost)."""

    profile: Profile
    connections: Attached

    @property
    def connection_ids(self) -> tuple[int, ...]:
        return self.connections.ids

    @property
    def etag(self) -> str:
        """A strong ETag of what the API shows: the profile's version (bumped by every change of the
        profile, its connection list included) and the attached connections as shown, which can
        change on their own (a connection renamed or deleted). The same in every destination format."""
        seen = f"{self.profile.id}:{self.profile.version}".encode() + self.connections.tag
        return f'"{hashlib.blake2b(seen, digest_size=8).hexdigest()}"'

    def require(self, precondition: Condition | None) -> ProfileView:
        """This view, if the request's If-Match (if any) names it; a 412 otherwise."""
        if precondition is not None:
            precondition.require(self.etag)
        return self


def _cache(connection: Connection) -> Cache[int, ProfileView]:
    return database_of(connection).cache(
        "profile_views", depends_on=("outbound_profiles", "connections"), keyed_by="outbound_profiles", parse_key=int
    )


def load(connection: Connection, account: Account, profile_id: str, *, for_update: bool = False) -> ProfileView:
    """The user's profile, or a 404 (another tenant's profile is not found either).

    Call it before the request writes anything, so what it caches is not the request's own
    (uncommitted) change. On PostgreSQL `for_update` reads the database (the row lock is the point).
    """
    number = parse_id(profile_id)
    cache = _cache(connection)
    cached = not for_update or database_of(connection).is_sqlite
    view = None if number is None or not cached else cache.get(number)
    if view is None and number is not None:
        row = repository.get(connection, account.id, number, for_update=for_update)
        if row is not None:
            view = with_connections(connection, from_row(row))
            if cached:
                fill(connection, cache, number, view)
    if view is None or view.profile.user_id != account.id:
        raise NotFound(f"No outbound profile with id {profile_id!r}.")
    return view


def with_connections(connection: Connection, profile: Profile) -> ProfileView:
    return ProfileView(profile, Attached.of(connections.attached_to(connection, [profile.id])))


def remember(connection: Connection, view: ProfileView) -> ProfileView:
    """Cache the view the request's transaction has just written (on SQLite at once, on PostgreSQL
    its entry is invalidated when the transaction ends: `db.database.wrote`). If the request's work
    rolls back, its entry goes; if a whole commit fails, the Database clears every cache."""
    wrote(connection, _cache(connection), view.profile.id, view)
    return view


def forget(connection: Connection, profile_id: int) -> None:
    changed(connection, _cache(connection), profile_id)
