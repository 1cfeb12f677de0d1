"""Optimistic concurrency (RFC 9110 §13): `ETag` on answers, `If-Match` and `If-None-Match` on requests.

A client that read a profile sends its `ETag` back in `If-Match` with a change; if the profile
has changed since, the change is refused with 412 and nothing is written. The check runs inside
the request's transaction, after the row is locked, so no other writer can slip in between.
`If-None-Match` on a read answers 304 when the client's copy is current.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from litestar import Response

from outbound_profiles.errors import ErrorCode, InvalidRequest, PreconditionFailed, Problem
from outbound_profiles.http.credentials import Caller

IF_MATCH = "If-Match"
IF_NONE_MATCH = "If-None-Match"
# One entity-tag of a list: optional weakness, then a quoted opaque tag. Empty list elements
# ("a, , b") are allowed, as RFC 9110 §5.6.1.2 asks of recipients.
_ENTITY_TAG = re.compile(r'(W/)?"([\x21\x23-\x7e]*)"\s*(?:,|$)')
_EMPTY_ELEMENTS = re.compile(r"[\s,]*")


@dataclass(frozen=True, slots=True)
class Condition:
    """The entity tags a request names (`any_tag`: it sent `*`)."""

    header: str
    strong: frozenset[str]
    weak: frozenset[str]
    any_tag: bool = False

    def require(self, etag: str) -> None:
        """For If-Match: refuse the request unless the current `etag` is one the client named."""
        if not (self.any_tag or etag in self.strong):  # If-Match compares strongly: weak tags never match
            raise PreconditionFailed(
                f"The resource has changed since the version named in {self.header}; "
                "fetch it again and retry with its current ETag.",
                self.header,
            )

    def matches_weakly(self, etag: str) -> bool:
        """For If-None-Match: is `etag` one of the client's (weak comparison)?"""
        return self.any_tag or etag in self.strong or etag in self.weak


def condition(request: Caller, header: str) -> Condition | None:
    """The request's `header` (If-Match or If-None-Match), or None when it was not sent."""
    value = request.headers.get(header)
    if value is None:
        return None
    if value.strip() == "*":
        return Condition(header, frozenset(), frozenset(), any_tag=True)
    strong: set[str] = set()
    weak: set[str] = set()
    position = _past_empty_elements(value, 0)
    while position < len(value):
        found = _ENTITY_TAG.match(value, position)
        if found is None or found.end() == position:
            raise InvalidRequest(
                [Problem(ErrorCode.BAD_REQUEST, f'{header} must be "*" or a list of quoted ETags.', parameter=header)]
            )
        (weak if found.group(1) else strong).add(f'"{found.group(2)}"')
        position = _past_empty_elements(value, found.end())
    if not strong and not weak:
        raise InvalidRequest([Problem(ErrorCode.BAD_REQUEST, f"{header} names no ETag.", parameter=header)])
    return Condition(header, frozenset(strong), frozenset(weak))


def _past_empty_elements(value: str, position: int) -> int:
    skipped = _EMPTY_ELEMENTS.match(value, position)
    return position if skipped is None else skipped.end()


def not_modified(etag: str) -> Response[None]:
    """304: the client's copy is current (no body; the ETag the 200 would have had)."""
    return Response(None, status_code=304, headers={"ETag": etag})
