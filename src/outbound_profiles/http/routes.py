"""Pieces every router uses: page parameters, operation ids, and the shapes of a v1 list and a v1 create."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from litestar import Request, Response
from litestar.openapi.spec import Schema
from litestar.openapi.spec.enums import OpenAPIType
from sqlalchemy import Connection

from outbound_profiles.accounts.account import Account
from outbound_profiles.http.body import decode_object
from outbound_profiles.http.credentials import as_user
from outbound_profiles.http.idempotency import idempotency
from outbound_profiles.http.pagination import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE, Page, page_headers
from outbound_profiles.http.query import checked_query

T = TypeVar("T")


PAGE_PARAMETERS: tuple[tuple[str, Schema, str], ...] = (
    ("page", Schema(type=OpenAPIType.INTEGER, minimum=1, maximum=MAX_PAGE, default=1), "Page number, from 1."),
    (
        "per_page",
        Schema(type=OpenAPIType.INTEGER, minimum=1, maximum=MAX_PER_PAGE, default=DEFAULT_PER_PAGE),
        "Items per page.",
    ),
)


PAGE_QUERY = frozenset(name for name, _, _ in PAGE_PARAMETERS)


def operation_ids(**by_method: str) -> Any:
    """Operation ids for a handler that serves several methods (each must be unique)."""
    return lambda _handler, method, _components: by_method[str(method).upper().rsplit(".", 1)[-1]]


def v1_list(
    request: Request[Any, Any, Any],
    list_page: Callable[[Connection, Account, Page], tuple[Sequence[T], int]],
) -> Awaitable[Response[list[T]]]:
    """A v1 list: a bare array of one page, with `X-Total-Count` and `Link`, run as the caller."""
    query, problems = checked_query(request, PAGE_QUERY)
    page = Page.from_query(query)

    def work(connection: Connection, account: Account) -> Response[list[T]]:
        items, total = list_page(connection, account, page)
        return Response(list(items), headers=page_headers(request.url, page, total))

    return as_user(request, work, problems=problems)


async def v1_create(
    request: Request[Any, Any, Any], answer: Any, create: Callable[[Connection, Account, dict[str, Any]], T]
) -> T:
    """A v1 create from a JSON object body, run as the caller; a retry with the same `Idempotency-Key`
    gets the first answer (decoded as `answer`) and creates nothing."""
    raw = await request.body()
    once = await idempotency(request)

    def work(connection: Connection, account: Account) -> T:
        return once.apply(connection, account, answer, lambda: create(connection, account, decode_object(raw)))

    return await as_user(request, work, write=True)
