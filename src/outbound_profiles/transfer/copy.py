"""Copying one resource into a tenant: created the first time, updated (or found unchanged) the
next, matched by its id at the source (an external reference). Every write goes through the same
service as the API's, so a copied resource obeys the same rules; one that breaks them is skipped,
with the reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Connection

from outbound_profiles.accounts.account import Account
from outbound_profiles.billing_groups import service as billing_groups
from outbound_profiles.connections import service as connections
from outbound_profiles.db.database import Database
from outbound_profiles.errors import ApiError, NotFound
from outbound_profiles.profiles import service as profiles
from outbound_profiles.profiles.schemas import FullProfileCreate, FullProfileUpdate
from outbound_profiles.transfer import references
from outbound_profiles.v2 import service as profiles_v2

Action = Literal["created", "updated", "unchanged", "skipped"]


@dataclass(frozen=True, slots=True)
class Outcome:
    resource: str  # "billing group", "connection", "profile"
    source_id: str
    name: str | None
    action: Action
    local_id: str | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "source_id": self.source_id,
            "name": self.name,
            "action": self.action,
            "id": self.local_id,
            "reason": self.reason,
        }


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, resource: str, action: Action) -> int:
        return sum(1 for o in self.outcomes if o.resource == resource and o.action == action)

    def lines(self) -> list[str]:
        lines = []
        for resource in dict.fromkeys(o.resource for o in self.outcomes):
            counts = ", ".join(f"{self.count(resource, a)} {a}" for a in ("created", "updated", "unchanged", "skipped"))
            lines.append(f"{resource}s: {counts}")
        for o in self.outcomes:
            if o.reason is not None:
                lines.append(f"  {o.resource} {o.source_id} ({o.name or 'no name'}) {o.action}: {o.reason}")
        return lines


Upsert = Callable[[Connection, Account, str | None], tuple[Action, str]]


def apply(
    database: Database, account: Account, resource: str, kind: str, source_id: str, name: str | None, upsert: Upsert
) -> Outcome:
    """Run `upsert` (given the local id the source id became, if any) in a transaction of its own,
    and record the reference; a resource the rules refuse is skipped and nothing of it is kept."""

    def work(connection: Connection) -> tuple[Action, str]:
        known = references.find(connection, account.id, kind, source_id)
        action, local_id = upsert(connection, account, known)
        references.put(connection, account.id, kind, source_id, local_id)
        return action, local_id

    try:
        action, local_id = database.run_sync(work, write=True)
    except ApiError as error:
        reason = "; ".join(
            f"{p.pointer or p.parameter}: {p.detail}" if (p.pointer or p.parameter) else p.detail
            for p in error.problems
        )
        return Outcome(resource, source_id, name, "skipped", reason=reason)
    return Outcome(resource, source_id, name, action, local_id)


def billing_group(body: dict[str, Any]) -> Upsert:
    def upsert(connection: Connection, account: Account, known: str | None) -> tuple[Action, str]:
        if known is not None:
            try:
                before = billing_groups.retrieve(connection, account, known)
            except NotFound:
                known = None  # deleted here since: copied afresh
            else:
                after = billing_groups.update(connection, account, known, body)
                return ("unchanged" if after.updated_at == before.updated_at else "updated"), known
        return "created", billing_groups.create(connection, account, body).id

    return upsert


def connection(body: dict[str, Any]) -> Upsert:
    def upsert(db: Connection, account: Account, known: str | None) -> tuple[Action, str]:
        if known is not None:
            try:
                connections.retrieve(db, account, known)
            except NotFound:
                pass
            else:
                return "unchanged", known  # connections have no update
        return "created", connections.create(db, account, body).id

    return upsert


def profile_v2(body: dict[str, Any]) -> Upsert:
    """A profile given in API v2's shape (as Telnyx's API v2 shows one)."""

    def upsert(connection: Connection, account: Account, known: str | None) -> tuple[Action, str]:
        if known is not None:
            try:
                _, before = profiles_v2.retrieve(connection, account, known)
            except NotFound:
                known = None
            else:
                _, after = profiles_v2.update(connection, account, known, body)
                return ("unchanged" if after == before else "updated"), known
        data, _ = profiles_v2.create(connection, account, body)
        return "created", data.data.id

    return upsert


def profile_v1(body: dict[str, Any]) -> Upsert:
    """A profile given in API v1's shape, `calling_window` included (as `export` writes one)."""

    def upsert(connection: Connection, account: Account, known: str | None) -> tuple[Action, str]:
        if known is not None:
            try:
                before = profiles.retrieve(connection, account, known).etag
            except NotFound:
                known = None
            else:
                after = profiles.update(connection, account, known, body, schema=FullProfileUpdate).etag
                return ("unchanged" if after == before else "updated"), known
        created = profiles.create(connection, account, body, schema=FullProfileCreate)
        return "created", str(created.profile.id)

    return upsert
