from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

# No NUL character: PostgreSQL cannot store one in text (the same body must behave alike on both databases).
ConnectionName = Annotated[str, Meta(min_length=1, max_length=255, pattern=r"^[^\x00]*$")]


class ConnectionCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    connection_name: ConnectionName
    active: bool = True


class ConnectionOut(msgspec.Struct):
    id: str
    connection_name: str
    active: bool
    outbound_profile_id: str | None
    created_at: str


READ_ONLY_FIELDS = frozenset({"id", "outbound_profile_id", "created_at"})
