"""`import telnyx`: a Telnyx account's billing groups and outbound voice profiles (API v2, every
page) copied into a tenant. Run again, it updates what it copied before (matched by Telnyx id)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import httpx
import msgspec

from outbound_profiles.accounts.account import Account
from outbound_profiles.cli.failures import Failure
from outbound_profiles.db.database import Database
from outbound_profiles.transfer import copy
from outbound_profiles.v2.schemas import OutboundVoiceProfileWrite

DEFAULT_BASE_URL = "https://api.telnyx.com/v2"
PAGE_SIZE = 250
BILLING_GROUP = "telnyx:billing_group"
PROFILE = "telnyx:outbound_voice_profile"
# What a profile create or update may set here; the rest of Telnyx's object (ids, counts, dates,
# fields this service does not keep) is left behind.
_PROFILE_FIELDS = frozenset(f.name for f in msgspec.structs.fields(OutboundVoiceProfileWrite))
# Fields whose null means something (no limit, no group, no window); any other null is left out.
_NULLABLE = frozenset(
    {"concurrent_call_limit", "max_destination_rate", "daily_spend_limit", "billing_group_id", "calling_window"}
)

Progress = Callable[[str, int, int], None]  # (what, done, of)


def fetch_all(client: httpx.Client, path: str, page_size: int) -> Iterator[tuple[dict[str, Any], int]]:
    """Every item of a v2 list, page after page, each with the list's total."""
    number = 1
    while True:
        try:
            response = client.get(path, params={"page[number]": number, "page[size]": page_size})
        except httpx.HTTPError as error:
            raise Failure(f"cannot reach the Telnyx API at {client.base_url}: {error}") from None
        if response.status_code in (401, 403):
            raise Failure(f"the Telnyx API refused the API key ({response.status_code}); check --api-key")
        if response.status_code != 200:
            raise Failure(
                f"the Telnyx API answered {response.status_code} to GET {response.url}; "
                "check --base-url (API v2's, ending in /v2)"
            )
        try:
            body = response.json()
            items, meta = list(body["data"]), body.get("meta") or {}
            total = int(meta.get("total_results", len(items)))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise Failure(f"GET {response.url} did not answer a Telnyx API v2 list; check --base-url") from None
        for item in items:
            yield item, total
        if not items or number >= int(meta.get("total_pages", 1)):
            return
        number += 1


def profile_body(item: dict[str, Any], billing_groups: dict[str, str]) -> tuple[dict[str, Any], str | None]:
    """The create/update body for a Telnyx profile, and a note on what could not be carried over."""
    body = {k: v for k, v in item.items() if k in _PROFILE_FIELDS and (v is not None or k in _NULLABLE)}
    note = None
    group = body.get("billing_group_id")
    if group is not None:
        if group in billing_groups:
            body["billing_group_id"] = billing_groups[group]
        else:
            del body["billing_group_id"]
            note = f"its billing group {group} was not copied, so it has none here"
    return body, note


def run(
    database: Database,
    account: Account,
    *,
    api_key: str,
    base_url: str,
    progress: Progress,
    page_size: int = PAGE_SIZE,
) -> copy.Summary:
    summary = copy.Summary()
    headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
    with httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=30) as client:
        groups: dict[str, str] = {}  # Telnyx id -> id here
        for done, (item, total) in enumerate(fetch_all(client, "/billing_groups", page_size), start=1):
            outcome = copy.apply(
                database,
                account,
                "billing group",
                BILLING_GROUP,
                str(item["id"]),
                item.get("name"),
                copy.billing_group({"name": item.get("name")}),
            )
            if outcome.local_id is not None:
                groups[str(item["id"])] = outcome.local_id
            summary.outcomes.append(outcome)
            progress("billing groups", done, total)
        for done, (item, total) in enumerate(fetch_all(client, "/outbound_voice_profiles", page_size), start=1):
            body, note = profile_body(item, groups)
            outcome = copy.apply(
                database, account, "profile", PROFILE, str(item["id"]), item.get("name"), copy.profile_v2(body)
            )
            if note is not None and outcome.action != "skipped":
                outcome = replace(outcome, reason=note)
            summary.outcomes.append(outcome)
            progress("profiles", done, total)
    return summary
