"""Who is asking: `Authorization: Bearer|Token <token>`, or the v1 pair `x-api-user` + `x-api-token`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from litestar import Litestar
from sqlalchemy import Connection

from outbound_profiles.accounts.account import Account
from outbound_profiles.accounts.service import SWITCH, authenticate, remembered
from outbound_profiles.db.database import Database
from outbound_profiles.errors import MAX_PROBLEMS, ApiError, InvalidRequest, Problems, Unauthorized, Unprocessable
from outbound_profiles.http.query import checked_query

T = TypeVar("T")


class HeaderLookup(Protocol):
    """A request's headers by name: Litestar's `Headers`, or `http.asgi.RawHeaders`."""

    def get(self, name: str, /) -> str | None: ...


class Caller(Protocol):
    """A request as the transaction helper reads it: Litestar's `Request`, or `http.asgi.PlainRequest`
    (what the update route, answered before routing, makes of its ASGI scope)."""

    @property
    def app(self) -> Litestar: ...

    @property
    def headers(self) -> HeaderLookup: ...

    @property
    def query_params(self) -> Mapping[str, Any]: ...


def presented_credentials(headers: HeaderLookup) -> tuple[str, str | None]:
    """The token and, for the v1 pair, the user it must belong to."""
    authorization = headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() not in ("bearer", "token") or not token.strip():
            raise Unauthorized("The Authorization header must be 'Bearer <token>' or 'Token <token>'.")
        return token.strip(), None
    api_user, api_token = headers.get("x-api-user"), headers.get("x-api-token")
    if api_token and api_user:
        return api_token.strip(), api_user.strip()
    if api_token or api_user:
        raise Unauthorized("x-api-user and x-api-token must be sent together.")
    raise Unauthorized("No credentials were sent.")


async def as_user(
    request: Caller,
    work: Callable[[Connection, Account], T],
    *,
    write: bool = False,
    problems: Problems | None = None,
) -> T:
    """The one way a tenant's request reaches its service: `work(connection, account)` for the caller,
    authenticated in the same transaction as the work itself (a write's when `write`).

    `problems` are what the handler found wrong in the request before (its query string), raised
    once the caller is known, so bad credentials answer 401 whatever else is wrong, together with
    the body's (the work is run to find them, then undone); None: the request takes no query
    parameters, and any it has are refused."""
    token, api_user = presented_credentials(request.headers)
    refused = checked_query(request, frozenset())[1] if problems is None else problems
    database: Database = request.app.state.database

    def authenticated(connection: Connection) -> T:
        account = authenticate(connection, token, api_user)
        if account is None:
            raise Unauthorized("The credentials are not valid.")
        if not refused:
            return work(connection, account)
        # The body's problems are reported with the query's: the work runs to find them, and is undone.
        try:
            work(connection, account)
        except (InvalidRequest, Unprocessable) as error:  # a 400 with all of them, as the query's alone
            raise InvalidRequest([*refused.items(), *error.problems][:MAX_PROBLEMS]) from None
        except ApiError:
            pass  # another answer (a 404, say): the query's 400 comes first, as it always did
        refused.raise_if_any()
        raise AssertionError("unreachable: the query had problems")

    return await (database.write(authenticated) if write else database.read(authenticated))


async def as_switch(database: Database, headers: HeaderLookup) -> None:
    """Check that the caller is the switch (a 401 without valid credentials, a 403 for a tenant's)."""
    token, api_user = presented_credentials(headers)
    if api_user is None and remembered(database, token, SWITCH) is not None:  # the v1 pair's user is checked below
        return
    account = await database.read(lambda c: authenticate(c, token, api_user, SWITCH))
    if account is None:
        raise Unauthorized("The credentials are not valid.")
