"""Billing groups. One that a profile still references cannot be deleted (as a profile with
connections cannot): the operator detaches it from the profiles first, so no profile loses it silently."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from outbound_profiles.accounts.account import Account
from outbound_profiles.billing_groups import repository
from outbound_profiles.billing_groups.schemas import READ_ONLY_FIELDS, BillingGroupOut, BillingGroupWrite
from outbound_profiles.domain.timestamps import iso8601, now
from outbound_profiles.errors import NotFound, Problems, ResourceInUse
from outbound_profiles.http.body import convert_fields
from outbound_profiles.models.base import Record


def render(row: Record) -> BillingGroupOut:
    return BillingGroupOut(
        id=row.id, name=row.name, created_at=iso8601(row.created_at), updated_at=iso8601(row.updated_at)
    )


def create(connection: Connection, account: Account, body: dict[str, Any]) -> BillingGroupOut:
    problems = Problems()
    fields = convert_fields(body, BillingGroupWrite, problems, ignored=READ_ONLY_FIELDS)
    problems.raise_if_any()
    group_id, at = str(uuid.uuid4()), now()
    repository.insert(
        connection,
        {
            "id": group_id,
            "user_id": account.id,
            "name": fields.get("name"),
            "created_at": at,
            "updated_at": at,
        },
    )
    return retrieve(connection, account, group_id)


def retrieve(connection: Connection, account: Account, group_id: str) -> BillingGroupOut:
    return render(_load(connection, account, group_id))


def update(connection: Connection, account: Account, group_id: str, body: dict[str, Any]) -> BillingGroupOut:
    row = _load(connection, account, group_id)
    problems = Problems()
    fields = convert_fields(body, BillingGroupWrite, problems, ignored=READ_ONLY_FIELDS)
    problems.raise_if_any()
    if "name" in fields and fields["name"] != row.name:
        repository.save(connection, account.id, row.id, {"name": fields["name"], "updated_at": now()})
    return retrieve(connection, account, row.id)


def delete(connection: Connection, account: Account, group_id: str) -> BillingGroupOut:
    # Locked before the in-use check: a profile taking the group concurrently holds a key-share lock
    # on it (profiles/service.py), so this waits for that profile and then sees it.
    row = _load(connection, account, group_id, lock="update")
    if repository.in_use(connection, account.id, row.id):
        raise ResourceInUse("Outbound profiles still use this billing group; assign them another one first.")
    if not repository.remove(connection, account.id, row.id):
        raise NotFound(f"No billing group with id {group_id!r}.")
    return render(row)


def list_page(
    connection: Connection, account: Account, *, offset: int, limit: int
) -> tuple[Sequence[BillingGroupOut], int]:
    rows = repository.page(connection, account.id, offset=offset, limit=limit)
    return [render(row) for row in rows], repository.count(connection, account.id)


def _load(connection: Connection, account: Account, group_id: str, lock: repository.Lock | None = None) -> Record:
    row = repository.get(connection, account.id, group_id, lock=lock)
    if row is None:
        raise NotFound(f"No billing group with id {group_id!r}.")
    return row
