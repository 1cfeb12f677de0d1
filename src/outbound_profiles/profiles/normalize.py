"""From a body's converted fields to canonical changes (SPEC §4): codes to countries, aliases to
their value, amounts to Decimal, duplicates dropped. Problems carry the pointer into the body."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

import msgspec

from outbound_profiles.domain import countries
from outbound_profiles.domain.ids import parse_id
from outbound_profiles.domain.money import parse_usd_amount
from outbound_profiles.domain.phone import e164_problem
from outbound_profiles.errors import Problems
from outbound_profiles.profiles.model import CallingWindow

RECORDING_TYPE_ALIASES = {"by_caller_phone_number": "by_call_phone_number"}
_TIME_OF_DAY = re.compile(r"([01][0-9]:[0-5][0-9]|2[0-3]:[0-5][0-9])(?::([0-5][0-9]))?")


@dataclass(slots=True)
class Changes:
    """What a body asks to change, in canonical form."""

    fields: dict[str, Any] = field(default_factory=dict)
    # (pointer, parsed id) for each requested connection, duplicates dropped; None = not given.
    connection_ids: list[tuple[str, int | None]] | None = None
    # Every field the body named, valid or not: a broken rule names the field the client sent.
    given: frozenset[str] = frozenset()
    # alpha2 -> pointer of the body entry that named it.
    destination_pointers: dict[str, str] = field(default_factory=dict)


def normalize(body: dict[str, Any], converted: dict[str, Any], problems: Problems) -> Changes:
    changes = Changes(given=frozenset(body))
    values = changes.fields
    for name, value in converted.items():
        if name == "connection_ids":
            changes.connection_ids = _connection_ids(value)
        elif name == "whitelisted_destinations":
            continue  # read after the loop: it depends on the format
        elif name == "tag_list":
            values[name] = list(dict.fromkeys(value))
        elif name == "call_recording_type":
            values[name] = RECORDING_TYPE_ALIASES.get(value, value)
        elif name == "call_recording_phone_numbers":
            values[name] = _phone_numbers(value, problems)
        elif name == "max_destination_rate":
            values[name] = None if value is None else _rate(value)
        elif name == "calling_window":
            values[name] = None if value is None else _calling_window(value, problems)
        elif name == "daily_spend_limit":
            if value is None:
                values[name] = None
            elif (amount := parse_usd_amount(value)) is not None:
                values[name] = amount
            else:
                # The schema's pattern lets a trailing newline through (`$`); the amount parser does not.
                problems.add("/daily_spend_limit", f"{value!r} is not a USD amount with at most 2 decimals.")
        else:
            values[name] = value
    if "whitelisted_destinations" in converted:
        explicit = converted.get("whitelisted_destination_format")
        if "whitelisted_destination_format" in body and explicit is None:
            return changes  # the format itself is wrong (already reported): the codes cannot be read
        destinations, pointers = _destinations(converted["whitelisted_destinations"], explicit, problems)
        values["whitelisted_destinations"] = destinations
        changes.destination_pointers = pointers
    return changes


def _calling_window(value: Any, problems: Problems) -> CallingWindow | None:
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


def _rate(value: float) -> Decimal:
    # abs(): -0.0 passes `>= 0` and is the same rate as 0; it must not come back as "-0".
    return abs(Decimal(repr(value))).normalize()


def _connection_ids(raw: list[str]) -> list[tuple[str, int | None]]:
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


def _destinations(raw: list[str], explicit: str | None, problems: Problems) -> tuple[list[str], dict[str, str]]:
    pointers: dict[str, str] = {}
    for index, code in enumerate(raw):
        pointer = f"/whitelisted_destinations/{index}"
        fmt = explicit or countries.shape_of(code)
        country = None if fmt is None else countries.lookup(code, cast(countries.DestinationFormat, fmt))
        if country is None:
            expected = f"an {explicit} code" if explicit else "an ISO 3166-1 alpha2, alpha3 or numeric code"
            problems.add(pointer, f"{code!r} is not {expected} of a country.")
        elif country.alpha2 not in pointers:
            pointers[country.alpha2] = pointer
    return list(pointers), pointers
