"""Request bodies: strict JSON, every problem reported at once with its JSON pointer.

The body's msgspec Struct is the single statement of field types and constraints (the OpenAPI
document is generated from it). The common case, a valid body, costs one `msgspec.convert` of the
whole object; only a body that fails it is checked field by field, so that all problems are found.

Numbers with a fraction or an exponent are decoded as `Decimal`, exactly as written: a field that
holds one (`max_destination_rate`) reads the client's digits, never a float's approximation.
Whatever the bytes, the answer is the body or a 400 (10023): invalid UTF-8 and nesting too deep
for the decoder are malformed JSON like any other.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

import msgspec

from outbound_profiles.errors import MAX_PROBLEMS_PER_LIST, ErrorCode, InvalidRequest, Problem, Problems


def _number(text: str) -> Decimal | float:
    """A number with a fraction or an exponent, as written; one whose exponent is beyond what a Decimal
    holds (`1e99999999999999999999`) as the double it rounds to (inf, or zero), so the field decides."""
    try:
        return Decimal(text)
    except InvalidOperation:
        return float(text)


_decoder = msgspec.json.Decoder(float_hook=_number)
_AT_PATH = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_PATH_SEGMENT = re.compile(r"\[(\d+|\.\.\.)\]|\.([^.\[]+)")


def decode(raw: bytes) -> Any:
    """Any JSON value, or a 400 that says why the bytes are not one."""
    try:
        return _decoder.decode(raw)
    except msgspec.DecodeError as exc:
        reason = str(exc)
    except UnicodeDecodeError:
        reason = "it is not UTF-8"
    except RecursionError:
        reason = "it is nested too deeply"
    raise InvalidRequest([Problem(ErrorCode.INVALID_JSON, f"The request body is not valid JSON: {reason}.")])


def decode_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, or a 400 that says why it is not one."""
    value = decode(raw)
    if not isinstance(value, dict):
        raise InvalidRequest([Problem(ErrorCode.INVALID_JSON, "The request body must be a JSON object.")])
    return value


def escape_pointer(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@cache
def _field_types(schema: type[msgspec.Struct]) -> dict[str, Any]:
    return {f.encode_name: f.type for f in msgspec.structs.fields(schema)}


@cache
def _required(schema: type[msgspec.Struct]) -> tuple[str, ...]:
    return tuple(f.encode_name for f in msgspec.structs.fields(schema) if f.required)


def convert_fields(
    data: dict[str, Any],
    schema: type[msgspec.Struct],
    problems: Problems,
    *,
    ignored: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The fields of `data` that match `schema`'s types, as decoded; every problem goes to `problems`.

    Fields named in `ignored` (read-only fields a client may send back) are dropped. A field that
    fails is left out of the result, so later checks can skip what is already reported.
    """
    given = data if ignored.isdisjoint(data) else {k: v for k, v in data.items() if k not in ignored}
    try:
        msgspec.convert(given, schema)
    except msgspec.ValidationError:
        pass
    else:
        return dict(given)
    types = _field_types(schema)
    converted: dict[str, Any] = {}
    for key, value in given.items():
        pointer = "/" + escape_pointer(key)
        field_type = types.get(key)
        if field_type is None:
            problems.add(pointer, f"Unknown field {key!r}.")
            continue
        try:
            msgspec.convert(value, field_type)
            converted[key] = value  # as decoded, like a body that passes whole (a Decimal stays exact)
        except msgspec.ValidationError as exc:
            message, suffix = _split_error(str(exc))
            # Only a failure inside an entry is worth every entry; a value that is not a list of the
            # field's kind at all (a list for a string, say) is one problem, at the field.
            inside_an_entry = isinstance(value, list) and suffix[1:2].isdigit()
            entries = _entry_problems(value, field_type) if inside_an_entry else []
            for entry_suffix, entry_message in entries or [(suffix, message)]:
                problems.add(pointer + entry_suffix, f"Invalid value for {key!r}: {entry_message}.")
    for name in _required(schema):
        if name not in given:
            problems.add("/" + name, f"{name!r} is required.", ErrorCode.MISSING_PARAMETER)
    return converted


def _entry_problems(value: list[Any], field_type: Any) -> list[tuple[str, str]]:
    """Every bad entry of a list, as (pointer suffix, message): msgspec stops at the first one.

    Each entry is checked as a one-entry list of the field's type, so the entry's own type and
    constraints apply; a list whose entries are all good (too long, say) gives none.
    """
    found: list[tuple[str, str]] = []
    for index, entry in enumerate(value):
        if len(found) == MAX_PROBLEMS_PER_LIST:
            break
        try:
            msgspec.convert([entry], field_type)
        except msgspec.ValidationError as exc:
            message, suffix = _split_error(str(exc))
            found.append((f"/{index}" + suffix.partition("/0")[2], message))
    return found


def _split_error(text: str) -> tuple[str, str]:
    """msgspec's "Expected `int`, got `str` - at `$[2]`" as ("Expected `int`, got `str`", "/2")."""
    # A number with a fraction is decoded as a Decimal (see the module doc); to the client it is a float.
    match = _AT_PATH.match(text.replace("`decimal`", "`float`"))
    if match is None:  # pragma: no cover - the pattern matches any text
        return text, ""
    suffix = ""
    for index, key in _PATH_SEGMENT.findall(match.group("path") or ""):
        if index == "...":
            break  # a mapping key; the pointer stops at the mapping
        suffix += "/" + (index or escape_pointer(key))
    return match.group("message"), suffix
