"""Query strings: a whitelist per endpoint; an unknown parameter or a bad value is a 400 naming it."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from outbound_profiles.errors import Problems

if TYPE_CHECKING:
    from outbound_profiles.http.credentials import Caller

C = TypeVar("C", bound=str)
T = TypeVar("T")
_MAX_DIGITS = 18  # every value up to 10**18 - 1 fits a signed 64-bit integer


@dataclass(frozen=True, slots=True)
class SortKey:
    field: str
    descending: bool


class Query:
    """The parameters of one request, checked against what the endpoint accepts."""

    def __init__(self, params: Mapping[str, str], allowed: Collection[str], problems: Problems) -> None:
        self._problems = problems
        # What the accessors read: a parameter refused here is as if absent, and a bad value they refuse
        # reads as the default, so the request's work can still run to find its body's problems.
        self._params: dict[str, str] = {}
        getall = getattr(params, "getall", None)  # a query string's parameters may repeat a name
        for name in params:
            if name not in allowed:
                problems.add_parameter(name, f"Unknown query parameter {name!r}.")
            elif getall is not None and len(getall(name)) > 1:
                # Which one was meant? Taking one would answer a question the client did not ask.
                problems.add_parameter(name, f"{name!r} is given more than once; give it once.")
            elif "\x00" in params[name]:
                # No value may hold one: PostgreSQL refuses a NUL character in a text parameter.
                problems.add_parameter(name, f"{name!r} must not contain a NUL character.")
            else:
                self._params[name] = params[name]

    def get(self, name: str) -> str | None:
        return self._params.get(name)

    def integer(self, name: str, *, default: int, minimum: int, maximum: int | None = None) -> int:
        raw = self._params.get(name)
        if raw is None:
            return default
        shown = raw if len(raw) <= 24 else raw[:20] + "..."
        if not raw.isascii() or not raw.isdigit():
            self._problems.add_parameter(name, f"{name!r} must be a whole number, not {shown!r}.")
            return default
        # Compare the digits before converting: int() of thousands of digits is refused (and slow).
        if len(raw.lstrip("0")) > _MAX_DIGITS:
            self._problems.add_parameter(name, f"{name!r} is too large: {shown}.")
            return default
        value = int(raw)
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
            self._problems.add_parameter(name, f"{name!r} must be {bounds}, not {value}.")
            return default
        return value

    def parsed(self, name: str, parse: Callable[[str], T | None], expected: str) -> T | None:
        """What `parse` makes of the value (None when absent); a value it refuses (None) is a problem
        saying what was `expected`."""
        raw = self._params.get(name)
        if raw is None:
            return None
        value = parse(raw)
        if value is None:
            shown = raw if len(raw) <= 40 else raw[:37] + "..."
            self._problems.add_parameter(name, f"{name!r} must be {expected}, not {shown!r}.")
        return value

    def choice(self, name: str, choices: Collection[C]) -> C | None:
        raw = self._params.get(name)
        if raw is None:
            return None
        for choice in choices:
            if raw == choice:
                return choice
        self._problems.add_parameter(name, f"{name!r} must be one of {', '.join(sorted(choices))}.")
        return None

    def sort(self, name: str, fields: Collection[str], *, default: tuple[SortKey, ...]) -> tuple[SortKey, ...]:
        raw = self._params.get(name)
        if raw is None:
            return default
        keys: list[SortKey] = []
        for part in raw.split(","):
            descending = part.startswith("-")
            field = part[1:] if descending else part
            if field not in fields:
                shown = field if len(field) <= 40 else field[:37] + "..."
                self._problems.add_parameter(
                    name, f"Cannot sort by {shown!r}; sortable fields: {', '.join(sorted(fields))}."
                )
                return default
            if any(key.field == field for key in keys):
                # So a sort has at most one key per field: no query with thousands of ORDER BY terms.
                self._problems.add_parameter(name, f"{name!r} names {field!r} more than once.")
                return default
            keys.append(SortKey(field, descending))
        return tuple(keys)


def checked_query(request: Caller, allowed: frozenset[str]) -> tuple[Query, Problems]:
    """The request's query string, each parameter checked against `allowed`."""
    problems = Problems()
    return Query(request.query_params, allowed, problems), problems
