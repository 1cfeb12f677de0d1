"""API v2's statuses: 422 where v1 answers 400 (same envelope, same codes), and 409 where
Telnyx documents a conflict (deleting a billing group in use)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from outbound_profiles.errors import ApiError, InvalidRequest, ResourceInUse, Unprocessable

T = TypeVar("T")


class Conflict(ApiError):
    """409: the resource is in use (code 10021), where Telnyx's v2 documents "Resource conflict or in use"."""

    status = 409


async def v2_status(call: Awaitable[T]) -> T:
    """`call`, with the 400s of the code it shares with v1 (bad JSON, query, rules, resource in use) as 422s."""
    try:
        return await call
    except (InvalidRequest, ResourceInUse) as exc:
        raise Unprocessable(exc.problems) from None
