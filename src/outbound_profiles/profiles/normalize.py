"""From a body's converted fields to canonical changes: codes to countries, aliases to
their value, amounts to Decimal, duplicates dropped. Problems carry the pointer into the body."""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

import msgspec

from outbound_profiles.domain import countries
from outbound_profiles.domain.ids import canonical_uuid, parse_id
from outbound_profiles.domain.money import parse_usd_amount
from outbound_profiles.domain.phone import e164_problem
from outbound_profiles.errors import Problems
from outbound_profiles.profiles.model import CallingWindow

MAX_RATE_DIGITS = 15
RECORDING_TYPE_ALIASES = {"by_caller_phone_number": "by_call_phone_number"}
_TIME_OF_DAY = re.compile(r"([01][0-9]:[0-5][0-9]|2[0-3]:[0-5][0-9])(?::([0-5][0-9]))?")


@dataclass(slots=True)
class Changes:
    """What a body asks to change, in canonical form."""

    fields: dict[str, Any] = field(default_factory=dict)
    # (pointer, parsed id) for each requested connection, duplicates dropped; None = not given.
    connection_ids: list[tuple[str, int | None]] | None = None
    # Every field the body named, valid or not: a broken rule names the field the client sent.
    given: AbstractSet[str] = frozenset()
    # alpha2 -> pointer of the body entry that named it.
    destination_pointers: dict[str, str] = field(default_factory=dict)


def normalize(body: dict[str, Any], converted: dict[str, Any], problems: Problems) -> Changes:
    values = dict(converted)
    changes = Changes(fields=values, given=body.keys())
    # In the body's order, the order its problems are reported in.
    for name, value in converted.items():
        canonical = _CANONICAL.get(name)
        if canonical is None or value is None:
            continue  # nothing to make canonical; null clears the field
        value = canonical(value, problems)
        if value is _REPORTED:
            del values[name]
        else:
            values[name] = value
    if "connection_ids" in values:
        changes.connection_ids = values.pop("connection_ids")
    if "whitelisted_destinations" in values:
        raw = values.pop("whitelisted_destinations")  # read last: it depends on the format
        explicit = converted.get("whitelisted_destination_format")
        if "whitelisted_destination_format" in body and explicit is None:
            return changes  # the format itself is wrong (already reported): the codes cannot be read
        destinations, pointers = _destinations(raw, explicit, problems)
        values["whitelisted_destinations"] = destinations
        changes.destination_pointers = pointers
    return changes


def _spend_limit(value: str, problems: Problems) -> Decimal | object:
    amount = parse_usd_amount(value)
    if amount is None:
        # The schema's pattern lets a trailing newline through (`$`); the amount parser does not.
        problems.add("/daily_spend_limit", f"{value!r} is not a USD amount with at most 2 decimals.")
        return _REPORTED
    return amount


def _calling_window(value: Any, problems: Problems) -> CallingWindow | None:
    """The window, or None when a time in it is not one (reported)."""
    raw = value if isinstance(value, dict) else msgspec.structs.asdict(value)
    times: dict[str, str] = {}
    for name in ("start_time", "end_time"):
        # The schema's pattern lets a trailing newline through (`$`); this does not.
        match = _TIME_OF_DAY.fullmatch(raw[name])
        if match is None:
            problems.add(f"/calling_window/{name}", f"{raw[name]!r} is not a UTC time of day, HH:MM:SS.")
        else:
            times[name] = f"{match[1]}:{match[2] or '00'}"
    if len(times) < 2:
        return None
    return CallingWindow(
        start_time=times["start_time"], end_time=times["end_time"], calls_per_cld=raw.get("calls_per_cld")
    )


def _rate(value: Decimal | int | float, problems: Problems) -> Decimal | object:
    """The rate exactly as the client wrote it (the body decodes it as a Decimal)."""
    # copy_abs(): -0.0 passes `>= 0` and is the same rate as 0; it must not come back as "-0".
    exact = (Decimal(repr(value)) if isinstance(value, float) else Decimal(value)).copy_abs()
    # Counted on the digits as sent: abs() and normalize() round to the context's 28 digits first.
    if len(bytes(exact.as_tuple().digits).rstrip(b"\0")) > MAX_RATE_DIGITS:
        # More digits than a JSON number's usual reader (a double) keeps: refused, not rounded.
        problems.add("/max_destination_rate", f"A rate has at most {MAX_RATE_DIGITS} significant digits.")
        return _REPORTED
    return exact.normalize()


def _connection_ids(raw: list[str], _: Problems) -> list[tuple[str, int | None]]:
    seen: set[str] = set()
    result: list[tuple[str, int | None]] = []
    for index, value in enumerate(raw):
        if value not in seen:
            seen.add(value)
            result.append((f"/connection_ids/{index}", parse_id(value)))
    return result


def _phone_numbers(raw: list[str], problems: Problems) -> list[str]:
    for index, number in enumerate(raw):
        problem = e164_problem(number)
        if problem is not None:
            problems.add(f"/call_recording_phone_numbers/{index}", problem)
    return list(dict.fromkeys(raw))


def _destinations(
    raw: list[str], explicit: countries.DestinationFormat | None, problems: Problems
) -> tuple[list[str], dict[str, str]]:
    pointers: dict[str, str] = {}
    for index, code in enumerate(raw):
        pointer = f"/whitelisted_destinations/{index}"
        fmt = explicit or countries.shape_of(code)
        country = None if fmt is None else countries.lookup(code, fmt)
        if country is None:
            expected = f"an {explicit} code" if explicit else "an ISO 3166-1 alpha2, alpha3 or numeric code"
            problems.add(pointer, f"{code!r} is not {expected} of a country.")
        elif country.alpha2 not in pointers:
            pointers[country.alpha2] = pointer
    return list(pointers), pointers


def _unique(values: list[Any], _: Problems) -> list[Any]:
    return list(dict.fromkeys(values))


def _group_id(value: str, _: Problems) -> str:
    # A UUID in any case names the same group (RFC 9562); anything else is left for rule 9 to refuse.
    return canonical_uuid(value) or value


def _recording_type(value: str, _: Problems) -> str:
    return RECORDING_TYPE_ALIASES.get(value, value)


# A field's canonical form, from its converted value (null aside): `_REPORTED` when the value turned
# out to be wrong (a problem was added), which leaves the field out of the changes.
_REPORTED: Final = object()
_CANONICAL: Final[dict[str, Callable[[Any, Problems], Any]]] = {
    "connection_ids": _connection_ids,
    "tag_list": _unique,
    "call_recording_type": _recording_type,
    "call_recording_phone_numbers": _phone_numbers,
    "max_destination_rate": _rate,
    "calling_window": _calling_window,
    "daily_spend_limit": _spend_limit,
    "billing_group_id": _group_id,
}
