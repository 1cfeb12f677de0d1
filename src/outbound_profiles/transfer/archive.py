"""`export` and `import json`: a tenant's billing groups, connections and profiles as one JSON
document, for backups and for moving a tenant between databases (SQLite and PostgreSQL alike).

Ids are those of the exporting database; an import makes new ones and remembers which old id each
became, so importing the same file again updates what the first import made instead of copying it
twice. Profiles are kept in API v1's shape with `calling_window` added (v1 does not show it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import Connection

from outbound_profiles.accounts.account import Account
from outbound_profiles.billing_groups import service as billing_groups
from outbound_profiles.connections import service as connections
from outbound_profiles.db.database import Database
from outbound_profiles.http.query import SortKey
from outbound_profiles.profiles import service as profiles
from outbound_profiles.profiles.render import render
from outbound_profiles.profiles.schemas import FullProfileCreate
from outbound_profiles.transfer import copy

FORMAT = "outbound-profiles export"
VERSION = 1
_PAGE = 1000
_PROFILE_FIELDS = frozenset(f.name for f in msgspec.structs.fields(FullProfileCreate))
BILLING_GROUP = "export:billing_group"
CONNECTION = "export:connection"
PROFILE = "export:outbound_profile"


class ArchiveError(ValueError):
    """A file that is not an export this version can read."""


def _all(fetch: Callable[[int], tuple[Any, int]]) -> list[Any]:
    items: list[Any] = []
    while True:
        page, total = fetch(len(items))
        items.extend(page)
        if not page or len(items) >= total:
            return items


def export(connection: Connection, account: Account) -> dict[str, Any]:
    groups = _all(lambda offset: billing_groups.list_page(connection, account, offset=offset, limit=_PAGE))
    trunks = _all(lambda offset: connections.list_page(connection, account, offset=offset, limit=_PAGE))
    views = _all(
        lambda offset: profiles.list_page(
            connection, account, name_contains=None, sort=(SortKey("created_at", False),), offset=offset, limit=_PAGE
        )
    )
    shown = []
    for view in views:
        body = {
            k: v for k, v in msgspec.to_builtins(render(view.profile, view.connections)).items() if k in _PROFILE_FIELDS
        }
        window = view.profile.calling_window  # as stored (UTC HH:MM:SS), what an import reads back
        shown.append(
            {
                "id": str(view.profile.id),
                **body,
                "connection_ids": [str(i) for i in view.connection_ids],
                "calling_window": None if window is None else msgspec.to_builtins(window),
            }
        )
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "user": {
            "email": account.email,
            "concurrent_call_limit": account.concurrent_call_limit,
            "default_cps": account.default_cps,
            "max_cps": account.max_cps,
        },
        "billing_groups": [{"id": g.id, "name": g.name} for g in groups],
        "connections": [{"id": c.id, "connection_name": c.connection_name, "active": c.active} for c in trunks],
        "profiles": shown,
    }


def read(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ArchiveError(f'not an outbound-profiles export (its "format" must be {FORMAT!r})')
    if document.get("version") != VERSION:
        raise ArchiveError(f"export version {document.get('version')!r} is not one this version reads ({VERSION})")
    for key in ("billing_groups", "connections", "profiles"):
        if not isinstance(document.get(key), list) or not all(isinstance(i, dict) and "id" in i for i in document[key]):
            raise ArchiveError(f'the export\'s {key!r} must be a list of objects with an "id"')
    return document


Progress = Callable[[str, int, int], None]


def restore(database: Database, account: Account, document: dict[str, Any], progress: Progress) -> copy.Summary:
    summary = copy.Summary()
    new_ids: dict[str, dict[str, str]] = {"billing_groups": {}, "connections": {}}
    steps: list[tuple[str, str, str, Callable[[dict[str, Any]], copy.Upsert]]] = [
        ("billing_groups", "billing group", BILLING_GROUP, lambda i: copy.billing_group({"name": i.get("name")})),
        (
            "connections",
            "connection",
            CONNECTION,
            lambda i: copy.connection({k: i[k] for k in ("connection_name", "active") if k in i}),
        ),
        ("profiles", "profile", PROFILE, lambda i: copy.profile_v1(_profile_body(i, new_ids))),
    ]
    for key, resource, kind, upsert in steps:
        items = document[key]
        for done, item in enumerate(items, start=1):
            name = item.get("name", item.get("connection_name"))
            outcome = copy.apply(database, account, resource, kind, str(item["id"]), name, upsert(item))
            if outcome.local_id is not None and key in new_ids:
                new_ids[key][str(item["id"])] = outcome.local_id
            summary.outcomes.append(outcome)
            progress(resource + "s", done, len(items))
    return summary


def _profile_body(item: dict[str, Any], new_ids: dict[str, dict[str, str]]) -> dict[str, Any]:
    body = {k: v for k, v in item.items() if k in _PROFILE_FIELDS or k == "calling_window"}
    body["connection_ids"] = [new_ids["connections"].get(str(c), str(c)) for c in item.get("connection_ids", [])]
    group = body.get("billing_group_id")
    if group is not None:
        body["billing_group_id"] = new_ids["billing_groups"].get(str(group), group)
    return body
