"""API v2 answers 422 where v1 answers 400: same envelope, same codes."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from outbound_profiles.errors import InvalidRequest, ResourceInUse, Unprocessable

T = TypeVar("T")


async def v2_status(call: Awaitable[T]) -> T:
    """`call`, with the 400s of the code it shares with v1 (bad JSON, query, rules, resource in use) as 422s."""
    try:
        return await call
    except (InvalidRequest, ResourceInUse) as exc:
        raise Unprocessable(exc.problems) from None
