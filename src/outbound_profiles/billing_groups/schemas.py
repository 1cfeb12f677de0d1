from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

# No NUL character: PostgreSQL cannot store one in text (the same body must behave alike on both databases).
Name = Annotated[str, Meta(max_length=255, pattern=r"^[^\x00]*$")]


class BillingGroupWrite(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Create and update body; in an update, an absent name is left unchanged."""

    name: Name | UnsetType | None = UNSET


class BillingGroupOut(msgspec.Struct):
    id: str
    name: str | None
    created_at: str
    updated_at: str


READ_ONLY_FIELDS = frozenset({"id", "created_at", "updated_at", "record_type"})
