"""Pieces every router uses: checked query strings, page parameters, operation ids."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.openapi.spec import Schema
from litestar.openapi.spec.enums import OpenAPIType

from outbound_profiles.errors import Problems
from outbound_profiles.http.pagination import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE
from outbound_profiles.http.query import Query


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


def operation_ids(**by_method: str) -> Any:
    """Operation ids for a handler that serves several methods (each must be unique)."""
    return lambda _handler, method, _components: by_method[str(method).upper().rsplit(".", 1)[-1]]
