"""What API v2 does with what it does not know: body members and query parameters.

Telnyx's schemas allow members they do not list, and its SDKs send them (a newer release's field,
`extra_body`, `extra_query`), so by default v2 ignores them. `OUTBOUND_PROFILES_V2_UNKNOWN_FIELDS=refuse`
(`Settings.v2_unknown_fields`) answers each with a 422 naming it instead. v1 always refuses them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, TypeVar

from litestar import Request
from sqlalchemy import Connection

from outbound_profiles.accounts.account import Account
from outbound_profiles.config import Settings
from outbound_profiles.errors import Problems
from outbound_profiles.http.body import decode_object
from outbound_profiles.http.query import Query
from outbound_profiles.http.routes import checked_query, once_as_user

T = TypeVar("T")


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
    params = request.query_params
    problems = Problems()
    return Query({name: params[name] for name in params if name in allowed}, allowed, problems), problems


def no_query(request: Request[Any, Any, Any]) -> None:
    v2_query(request, frozenset())[1].raise_if_any()


async def create_v2(
    request: Request[Any, Any, Any],
    answer: Any,
    create: Callable[[Connection, Account, dict[str, Any], bool], T],
) -> T:
    """A v2 create from a JSON object body, run as the caller and honouring `Idempotency-Key`;
    `create` is told whether unknown members are refused."""
    raw = await request.body()
    refuse = strict(request)

    def work(connection: Connection, account: Account) -> T:
        no_query(request)
        return create(connection, account, decode_object(raw), refuse)

    return await once_as_user(request, answer, work)
