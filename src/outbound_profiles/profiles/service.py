"""The rules of outbound profiles: create, read, update (partial, atomic), delete, attach, detach.

Each function runs inside the request's one transaction and raises instead of writing when
anything is wrong, so a refused request changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import Connection

from outbound_profiles.accounts.account import Account
from outbound_profiles.billing_groups import repository as billing_groups
from outbound_profiles.connections import repository as connections
from outbound_profiles.domain.ids import new_id, parse_id
from outbound_profiles.domain.timestamps import now
from outbound_profiles.errors import NotFound, Problems, ResourceInUse
from outbound_profiles.http.body import convert_fields
from outbound_profiles.http.query import SortKey
from outbound_profiles.profiles import repository, rules
from outbound_profiles.profiles.model import Profile, from_row, new_profile, to_row
from outbound_profiles.profiles.normalize import Changes, normalize
from outbound_profiles.profiles.schemas import READ_ONLY_FIELDS, ConnectionIds, ProfileCreate, ProfileUpdate

Wanted = tuple[str, int]  # (pointer into the body, connection id)


@dataclass(frozen=True, slots=True)
class ProfileView:
    profile: Profile
    connections: Sequence[Any]


def create(connection: Connection, account: Account, body: dict[str, Any]) -> ProfileView:
    problems = Problems()
    changes = _read_changes(body, ProfileCreate, problems)
    profile = new_profile(new_id(), account, changes.fields, now())
    rules.check(profile, account, changes, problems)
    _check_billing_group(connection, account, changes, problems)
    wanted = _check_connections(connection, account, profile.id, changes, problems)
    problems.raise_if_any()
    repository.insert(connection, to_row(profile))
    _attach(connection, account, profile.id, wanted, start=0)
    return _view(connection, profile)


def retrieve(connection: Connection, account: Account, profile_id: str) -> ProfileView:
    return _view(connection, _load(connection, account, profile_id))


def update(connection: Connection, account: Account, profile_id: str, body: dict[str, Any]) -> ProfileView:
    current = _load(connection, account, profile_id, for_update=True)
    problems = Problems()
    changes = _read_changes(body, ProfileUpdate, problems)
    merged = msgspec.structs.replace(current, **changes.fields)
    rules.check(merged, account, changes, problems)
    _check_billing_group(connection, account, changes, problems)
    wanted = _check_connections(connection, account, current.id, changes, problems)
    problems.raise_if_any()
    if changes.connection_ids is not None:
        connections.detach(connection, account.id, current.id, keep=[i for _, i in wanted])
        _attach(connection, account, current.id, wanted, start=0)
    if merged != current:
        merged = msgspec.structs.replace(merged, version=current.version + 1, updated_at=now())
        repository.save(connection, account.id, current.id, _changed_columns(current, merged))
    return _view(connection, merged)


def delete(connection: Connection, account: Account, profile_id: str) -> ProfileView:
    view = _view(connection, _load(connection, account, profile_id, for_update=True))
    if view.connections:
        ids = ", ".join(str(c.id) for c in view.connections)
        raise ResourceInUse(f"The outbound profile still has connections attached ({ids}); detach them first.")
    repository.remove(connection, account.id, view.profile.id)
    return view


def attach_connections(connection: Connection, account: Account, profile_id: str, body: dict[str, Any]) -> ProfileView:
    profile = _load(connection, account, profile_id, for_update=True)
    problems = Problems()
    changes = _read_changes(body, ConnectionIds, problems)
    wanted = _check_connections(connection, account, profile.id, changes, problems)
    problems.raise_if_any()
    already = {c.id for c in connections.attached_to(connection, [profile.id])}
    new = [(pointer, c) for pointer, c in wanted if c not in already]
    _attach(connection, account, profile.id, new, start=connections.next_position(connection, profile.id))
    return _view(connection, profile)


def detach_connections(connection: Connection, account: Account, profile_id: str, body: dict[str, Any]) -> ProfileView:
    profile = _load(connection, account, profile_id, for_update=True)
    problems = Problems()
    changes = _read_changes(body, ConnectionIds, problems)
    requested = changes.connection_ids or []
    found = connections.owned(connection, account.id, [i for _, i in requested if i is not None])
    for pointer, connection_id in requested:
        if connection_id is None or connection_id not in found:
            problems.add(pointer, f"No connection with id {_shown(body, pointer)!r}.")
    problems.raise_if_any()
    # Detaching a connection that is not on this profile is a no-op, so a retried detach succeeds.
    connections.detach(connection, account.id, profile.id, only=list(found))
    return _view(connection, profile)


def list_page(
    connection: Connection,
    account: Account,
    *,
    name_contains: str | None,
    sort: Sequence[SortKey],
    offset: int,
    limit: int,
) -> tuple[list[ProfileView], int]:
    rows = repository.page(connection, account.id, name_contains=name_contains, sort=sort, offset=offset, limit=limit)
    total = repository.count(connection, account.id, name_contains=name_contains)
    profiles = [from_row(row) for row in rows]
    by_profile: dict[int, list[Any]] = {p.id: [] for p in profiles}
    for attached in connections.attached_to(connection, list(by_profile)):
        by_profile[attached.outbound_profile_id].append(attached)
    return [ProfileView(p, by_profile[p.id]) for p in profiles], total


def _load(connection: Connection, account: Account, profile_id: str, *, for_update: bool = False) -> Profile:
    number = parse_id(profile_id)
    row = None if number is None else repository.get(connection, account.id, number, for_update=for_update)
    if row is None:
        raise NotFound(f"No outbound profile with id {profile_id!r}.")
    return from_row(row)


def _view(connection: Connection, profile: Profile) -> ProfileView:
    return ProfileView(profile, connections.attached_to(connection, [profile.id]))


def _read_changes(body: dict[str, Any], schema: type[msgspec.Struct], problems: Problems) -> Changes:
    plan = body.get("service_plan")
    if type(plan) is int and plan in rules.RETIRED_SERVICE_PLANS:
        problems.add("/service_plan", rules.RETIRED_SERVICE_PLANS[plan])
        body = {k: v for k, v in body.items() if k != "service_plan"}
        converted = convert_fields(body, schema, problems, ignored=READ_ONLY_FIELDS)
        return normalize(body | {"service_plan": plan}, converted, problems)
    converted = convert_fields(body, schema, problems, ignored=READ_ONLY_FIELDS)
    return normalize(body, converted, problems)


def _check_billing_group(connection: Connection, account: Account, changes: Changes, problems: Problems) -> None:
    group_id = changes.fields.get("billing_group_id")
    if group_id is not None and billing_groups.get(connection, account.id, group_id) is None:
        problems.add("/billing_group_id", f"No billing group with id {group_id!r}.")


def _check_connections(
    connection: Connection, account: Account, profile_id: int, changes: Changes, problems: Problems
) -> list[Wanted]:
    """SPEC §5 rule 8: the requested connections exist, are the user's, and are free or already ours."""
    requested = changes.connection_ids or []
    found = connections.owned(connection, account.id, [i for _, i in requested if i is not None])
    wanted: list[Wanted] = []
    for pointer, connection_id in requested:
        row = None if connection_id is None else found.get(connection_id)
        if row is None:
            problems.add(pointer, "No such connection.")
        elif row.outbound_profile_id not in (None, profile_id):
            problems.add(pointer, _held_by(row.id, row.outbound_profile_id))
        else:
            wanted.append((pointer, row.id))
    return wanted


def _attach(connection: Connection, account: Account, profile_id: int, wanted: Sequence[Wanted], *, start: int) -> None:
    for position, (pointer, connection_id) in enumerate(wanted, start=start):
        if not connections.attach(connection, account.id, profile_id, connection_id, position):
            # Another request took or deleted it after our check: report it as rule 8 (the
            # transaction rolls back, so nothing of this request stays).
            holder = connections.get(connection, account.id, connection_id)
            problems = Problems()
            problems.add(pointer, _held_by(connection_id, None if holder is None else holder.outbound_profile_id))
            problems.raise_if_any()


def _held_by(connection_id: int, profile_id: int | None) -> str:
    if profile_id is None:
        return f"Connection {connection_id} no longer exists."
    return (
        f"Connection {connection_id} is attached to outbound profile {profile_id}; "
        "a connection has at most one outbound profile (detach it there first)."
    )


def _changed_columns(before: Profile, after: Profile) -> dict[str, Any]:
    old, new = to_row(before), to_row(after)
    return {name: value for name, value in new.items() if old[name] != value}


def _shown(body: dict[str, Any], pointer: str) -> Any:
    return body["connection_ids"][int(pointer.rsplit("/", 1)[1])]
