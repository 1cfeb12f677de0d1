"""Who is asking: `Authorization: Bearer|Token <token>`, or the v1 pair `x-api-user` + `x-api-token`."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

from litestar import Request
from sqlalchemy import Connection

from outbound_profiles.accounts.account import Account
from outbound_profiles.accounts.service import SWITCH, authenticate, remembered
from outbound_profiles.db.database import Database
from outbound_profiles.errors import Unauthorized

T = TypeVar("T")


class HeaderLookup(Protocol):
    """A request's headers by name: Litestar's `Headers`, or `http.asgi.RawHeaders`."""

    def get(self, name: str, /) -> str | None: ...


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
    request: Request[Any, Any, Any], work: Callable[[Connection, Account], T], *, write: bool = False
) -> T:
    """Run `work` for the caller, authenticated in the same transaction as the work itself."""
    database: Database = request.app.state.database
    return await run_authenticated(database, request.headers, work, write=write)


def run_authenticated(
    database: Database, headers: HeaderLookup, work: Callable[[Connection, Account], T], *, write: bool
) -> Coroutine[Any, Any, T]:
    """`as_user` for a caller known by its headers alone: what to await for the answer (missing or
    malformed credentials are raised at once)."""
    token, api_user = presented_credentials(headers)

    def authenticated(connection: Connection) -> T:
        account = authenticate(connection, token, api_user)
        if account is None:
            raise Unauthorized("The credentials are not valid.")
        return work(connection, account)

    return database.write(authenticated) if write else database.read(authenticated)


async def as_switch(database: Database, headers: HeaderLookup) -> None:
    """Check that the caller is the switch (a 401 without valid credentials, a 403 for a tenant's)."""
    token, api_user = presented_credentials(headers)
    if remembered(database, token, SWITCH) is not None:
        return
    account = await database.read(lambda c: authenticate(c, token, api_user, SWITCH))
    if account is None:
        raise Unauthorized("The credentials are not valid.")
