"""Pieces every router uses: checked query strings, page parameters, operation ids, and the
shapes of a v1 list and a v1 create."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from litestar import Request, Response
from litestar.openapi.spec import Schema
from litestar.openapi.spec.enums import OpenAPIType
from sqlalchemy import Connection

from outbound_profiles.accounts.account import Account
from outbound_profiles.errors import Problems
from outbound_profiles.http.body import decode_object
from outbound_profiles.http.credentials import as_user
from outbound_profiles.http.idempotency import idempotency
from outbound_profiles.http.pagination import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE, Page, page_headers
from outbound_profiles.http.query import Query

T = TypeVar("T")


def checked_query(request: Request[Any, Any, Any], allowed: frozenset[str]) -> tuple[Query, Problems]:
    problems = Problems()
    return Query(request.query_params, allowed, problems), problems


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


async def list_as_user(
    request: Request[Any, Any, Any],
    list_page: Callable[[Connection, Account, Page], tuple[Sequence[T], int]],
) -> Response[list[T]]:
    """A v1 list: a bare array of one page, with `X-Total-Count` and `Link`, run as the caller."""

    def work(connection: Connection, account: Account) -> Response[list[T]]:
        query, problems = checked_query(request, PAGE_QUERY)
        page = Page.from_query(query)
        problems.raise_if_any()
        items, total = list_page(connection, account, page)
        return Response(list(items), headers=page_headers(request.url, page, total))

    return await as_user(request, work)


async def once_as_user(request: Request[Any, Any, Any], answer: Any, work: Callable[[Connection, Account], T]) -> T:
    """A write run as the caller that honours `Idempotency-Key`: a retry with the same key gets the
    first answer (decoded as `answer`, a type msgspec can decode) and does nothing."""
    once = await idempotency(request)
    return await as_user(request, lambda c, a: once.apply(c, a, answer, lambda: work(c, a)), write=True)


async def create_as_user(
    request: Request[Any, Any, Any],
    answer: Any,
    create: Callable[[Connection, Account, dict[str, Any]], T],
) -> T:
    """A create from a JSON object body, run as the caller and honouring `Idempotency-Key`."""
    raw = await request.body()

    def work(connection: Connection, account: Account) -> T:
        checked_query(request, frozenset())[1].raise_if_any()
        return create(connection, account, decode_object(raw))

    return await once_as_user(request, answer, work)


async def run_as_user(
    request: Request[Any, Any, Any], operation: Callable[[Connection, Account], T], *, write: bool = False
) -> T:
    """An operation that takes no query parameters, run as the caller."""

    def work(connection: Connection, account: Account) -> T:
        checked_query(request, frozenset())[1].raise_if_any()
        return operation(connection, account)

    return await as_user(request, work, write=write)
