"""What API v2 does with what it does not know: body members and query parameters.

Telnyx's schemas allow members they do not list, and its SDKs send them (a newer release's field,
`extra_body`, `extra_query`), so by default v2 ignores them. `OUTBOUND_PROFILES_V2_UNKNOWN_FIELDS=refuse`
(`Settings.v2_unknown_fields`) answers each with a 422 naming it instead. v1 always refuses them.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from litestar import Request
from litestar.datastructures import MultiDict

from outbound_profiles.config import Settings
from outbound_profiles.errors import Problems
from outbound_profiles.http.query import Query, checked_query


def strict(request: Request[Any, Any, Any]) -> bool:
    """Whether unknown members and query parameters are refused (else ignored)."""
    settings: Settings = request.app.state["settings"]
    return settings.v2_unknown_fields == "refuse"


def known(members: dict[str, Any], names: Collection[str]) -> dict[str, Any]:
    """`members` without those not in `names`."""
    return members if all(name in names for name in members) else {k: v for k, v in members.items() if k in names}


def v2_query(request: Request[Any, Any, Any], allowed: frozenset[str]) -> tuple[Query, Problems]:
    """The query string, checked against `allowed`: other parameters are refused or ignored."""
    if strict(request):
        return checked_query(request, allowed)
    known_only = MultiDict([(name, value) for name, value in request.query_params.multi_items() if name in allowed])
    problems = Problems()
    return Query(known_only, allowed, problems), problems


def no_query(request: Request[Any, Any, Any]) -> Problems:
    """The problems of a request that takes no query parameters (none, unless refusing unknown ones)."""
    return v2_query(request, frozenset())[1]
