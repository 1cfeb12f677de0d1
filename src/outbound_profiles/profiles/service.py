"""The rules of outbound profiles: create, read, update (partial, atomic), delete, attach, detach.

Each function runs inside the request's one transaction and raises instead of writing when
anything is wrong, so a refused request changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import Connection

from outbound_profiles.accounts.account import Account
from outbound_profiles.billing_groups import repository as billing_groups
from outbound_profiles.connections import repository as connections
from outbound_profiles.domain.ids import new_id
from outbound_profiles.domain.timestamps import now
from outbound_profiles.errors import Problems, ResourceInUse
from outbound_profiles.http.body import convert_fields
from outbound_profiles.http.conditional import Condition
from outbound_profiles.http.query import SortKey
from outbound_profiles.profiles import repository, rules, views
from outbound_profiles.profiles.model import Profile, changed_columns, from_row, new_profile, to_row
from outbound_profiles.profiles.normalize import Changes, normalize
from outbound_profiles.profiles.schemas import (
    MAX_CONNECTION_IDS,
    READ_ONLY_FIELDS,
    ConnectionIds,
    ProfileCreate,
    ProfileUpdate,
)
from outbound_profiles.profiles.views import Attached, ProfileView

Wanted = tuple[str, int]  # (pointer into the body, connection id)
_EVERY_SAVE = ("version", "updated_at")  # what changes whenever a profile is saved


def create(
    connection: Connection,
    account: Account,
    body: dict[str, Any],
    *,
    schema: type[ProfileCreate] = ProfileCreate,
    problems: Problems | None = None,
) -> ProfileView:
    """`schema`: the fields the body may hold (API v2 adds `calling_window`); `problems`: what the
    caller already found in the body (a rule reading a field reported there is skipped)."""
    problems = Problems() if problems is None else problems
    changes = _read_changes(body, schema, problems)
    profile = new_profile(new_id(), account, changes.fields, now())
    rules.check(profile, account, changes, problems)
    _check_billing_group(connection, account, None, changes, problems)
    wanted = _check_connections(connection, account, profile.id, (), changes, problems)
    problems.raise_if_any()
    repository.insert(connection, to_row(profile))
    _attach(connection, account, profile.id, wanted, start=0)
    return views.remember(connection, views.with_connections(connection, profile))


def retrieve(connection: Connection, account: Account, profile_id: str) -> ProfileView:
    return views.load(connection, account, profile_id)


def update(
    connection: Connection,
    account: Account,
    profile_id: str,
    body: dict[str, Any],
    *,
    schema: type[ProfileUpdate] = ProfileUpdate,
    problems: Problems | None = None,
    if_match: Condition | None = None,
    current: ProfileView | None = None,
) -> ProfileView:
    """Partial update; `schema` and `problems` as for `create`; `if_match`: the version the client
    last saw, if it named one (a 412 if that is no longer current); `current`: the profile as the
    caller has already loaded it for update in this transaction, if it has."""
    if current is None:
        current = views.load(connection, account, profile_id, for_update=True).require(if_match)
    problems = Problems() if problems is None else problems
    changes = _read_changes(body, schema, problems)
    # The next version and time are set at once (the rules do not read them); they are saved only
    # if something changed.
    version, updated_at = current.profile.version + 1, now()
    merged = msgspec.structs.replace(current.profile, **changes.fields, version=version, updated_at=updated_at)
    rules.check(merged, account, changes, problems)
    _check_billing_group(connection, account, current.profile.billing_group_id, changes, problems)
    wanted = _check_connections(connection, account, merged.id, current.connection_ids, changes, problems)
    problems.raise_if_any()
    relinked = changes.connection_ids is not None and tuple([i for _, i in wanted]) != current.connection_ids
    if relinked:
        connections.detach(connection, account.id, merged.id, keep=[i for _, i in wanted])
        _attach(connection, account, merged.id, wanted, start=0)
    changed = changed_columns(current.profile, changes.fields)
    if not changed and not relinked:
        return current
    # `connections` is part of the profile: changing it is a change of the profile too.
    repository.save(connection, to_row(merged), [*changed, *_EVERY_SAVE])
    view = views.with_connections(connection, merged) if relinked else ProfileView(merged, current.connections)
    return views.remember(connection, view)


def delete(
    connection: Connection, account: Account, profile_id: str, *, if_match: Condition | None = None
) -> ProfileView:
    view = views.load(connection, account, profile_id, for_update=True).require(if_match)
    if view.connections:
        ids = ", ".join(str(i) for i in view.connection_ids)
        raise ResourceInUse(f"The outbound profile still has connections attached ({ids}); detach them first.")
    repository.remove(connection, account.id, view.profile.id)
    views.forget(connection, view.profile.id)
    return view


def attach_connections(
    connection: Connection,
    account: Account,
    profile_id: str,
    body: dict[str, Any],
    *,
    if_match: Condition | None = None,
) -> ProfileView:
    current, changes, problems = _action(connection, account, profile_id, body, if_match)
    wanted = _check_connections(connection, account, current.profile.id, current.connection_ids, changes, problems)
    problems.raise_if_any()
    new = [(pointer, c) for pointer, c in wanted if c not in current.connection_ids]
    if not new:
        return current
    if len(current.connection_ids) + len(new) > MAX_CONNECTION_IDS:
        problems.add(
            "/connection_ids",
            f"A profile has at most {MAX_CONNECTION_IDS} connections; it has {len(current.connection_ids)}.",
        )
        problems.raise_if_any()
    position = connections.next_position(connection, current.profile.id)
    _attach(connection, account, current.profile.id, new, start=position)
    return _touch(connection, current.profile)


def detach_connections(
    connection: Connection,
    account: Account,
    profile_id: str,
    body: dict[str, Any],
    *,
    if_match: Condition | None = None,
) -> ProfileView:
    current, changes, problems = _action(connection, account, profile_id, body, if_match)
    requested = changes.connection_ids or []
    found = connections.owned(connection, account.id, [i for _, i in requested if i is not None])
    for pointer, connection_id in requested:
        if connection_id is None or connection_id not in found:
            problems.add(pointer, f"No connection with id {_shown(body, pointer)!r}.")
    problems.raise_if_any()
    # Detaching a connection that is not on this profile is a no-op, so a retried detach succeeds.
    if set(found).isdisjoint(current.connection_ids):
        return current
    connections.detach(connection, account.id, current.profile.id, only=list(found))
    return _touch(connection, current.profile)


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
    return [ProfileView(p, Attached.of(by_profile[p.id])) for p in profiles], total


def _action(
    connection: Connection, account: Account, profile_id: str, body: dict[str, Any], if_match: Condition | None
) -> tuple[ProfileView, Changes, Problems]:
    """What an attach or detach starts with: the profile (locked; 404, 412) and the body's ids."""
    current = views.load(connection, account, profile_id, for_update=True).require(if_match)
    problems = Problems()
    return current, _read_changes(body, ConnectionIds, problems), problems


def _touch(connection: Connection, profile: Profile) -> ProfileView:
    """Save the profile with a new version and updated_at (its connections changed)."""
    touched = msgspec.structs.replace(profile, version=profile.version + 1, updated_at=now())
    repository.save(connection, to_row(touched), _EVERY_SAVE)
    return views.remember(connection, views.with_connections(connection, touched))


def _read_changes(body: dict[str, Any], schema: type[msgspec.Struct], problems: Problems) -> Changes:
    plan = body.get("service_plan")
    # Only a profile body has a service plan; in an action body it is an unknown field.
    if schema is not ConnectionIds and type(plan) is int and plan in rules.RETIRED_SERVICE_PLANS:
        problems.add("/service_plan", rules.RETIRED_SERVICE_PLANS[plan])
        body = {k: v for k, v in body.items() if k != "service_plan"}
        converted = convert_fields(body, schema, problems, ignored=READ_ONLY_FIELDS)
        return normalize(body | {"service_plan": plan}, converted, problems)
    converted = convert_fields(body, schema, problems, ignored=READ_ONLY_FIELDS)
    return normalize(body, converted, problems)


def _check_billing_group(
    connection: Connection, account: Account, stored: str | None, changes: Changes, problems: Problems
) -> None:
    """The billing group rule; the group the profile already has is known to be good."""
    group_id = changes.fields.get("billing_group_id")
    if group_id is None or group_id == stored:
        return
    # Key-share locked: a concurrent delete of the group waits for this transaction (and then finds
    # the group in use) instead of leaving the profile pointing at nothing.
    if billing_groups.get(connection, account.id, group_id, lock="key share") is None:
        problems.add("/billing_group_id", f"No billing group with id {group_id!r}.")


def _check_connections(
    connection: Connection,
    account: Account,
    profile_id: int,
    attached: Sequence[int],
    changes: Changes,
    problems: Problems,
) -> list[Wanted]:
    """The connection rule: the requested connections exist, are the user's, and are free or already ours."""
    requested = changes.connection_ids or []
    mine = set(attached)
    others = [i for _, i in requested if i is not None and i not in mine]
    # The rows it may change are locked now, in one batch (see connections.owned); the
    # attached ones too when the list is being replaced, since they may be detached.
    found = connections.owned(
        connection, account.id, others, also_locking=attached if changes.connection_ids is not None else ()
    )
    wanted: list[Wanted] = []
    for pointer, connection_id in requested:
        if connection_id in mine:
            wanted.append((pointer, connection_id))
            continue
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


def _shown(body: dict[str, Any], pointer: str) -> Any:
    return body["connection_ids"][int(pointer.rsplit("/", 1)[1])]
