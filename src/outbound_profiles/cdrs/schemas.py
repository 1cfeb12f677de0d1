from __future__ import annotations

from typing import Literal

import msgspec

EndReason = Literal["completed", "lease_expired"]


class CdrOut(msgspec.Struct, omit_defaults=False):
    """One call record: an ended call, with the tariff it was authorized under and what it cost."""

    call_id: str
    outbound_profile_id: str
    connection_id: str
    billing_group_id: str | None
    to: str
    from_: str = msgspec.field(name="from")
    destination_country: str | None  # null for a non-geographic number
    started_at: str
    ended_at: str
    duration_seconds: int
    billed_seconds: int | None
    rate: str | None  # USD per minute; null when no deck row matched
    connect_fee: str | None  # USD per call
    cost: str | None  # USD with six decimals; null when the call had no rate
    end_reason: EndReason


# The CSV's columns: the JSON members, in the same order.
FIELDS: tuple[str, ...] = tuple(field.encode_name for field in msgspec.structs.fields(CdrOut))
