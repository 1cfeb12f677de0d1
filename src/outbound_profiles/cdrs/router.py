"""`/termination/cdrs`: thin handlers; the caller's own records, as JSON or CSV (`Accept: text/csv`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from litestar import Request, Response, Router, get
from litestar.datastructures.headers import Accept, MediaTypeHeader
from litestar.response import Stream

from outbound_profiles.cdrs import service
from outbound_profiles.cdrs.filters import ALLOWED, PARAMETERS, read_filters
from outbound_profiles.cdrs.repository import Filters
from outbound_profiles.cdrs.schemas import CdrOut
from outbound_profiles.domain.timestamps import now
from outbound_profiles.errors import Problems
from outbound_profiles.http.credentials import as_user
from outbound_profiles.http.pagination import Page, page_headers
from outbound_profiles.http.query import checked_query

JSON = "application/json"
CSV = "text/csv"
_CSV_DOWNLOAD = {"Content-Disposition": 'attachment; filename="cdrs.csv"'}


@get(
    "/",
    operation_id="listCallRecords",
    summary="List call records (ended calls), as JSON or as CSV",
    query_parameters=PARAMETERS,
    response_description="The caller's call records, by start (one page).",
    csv="every matching record, in the JSON's order and with its members as columns (header line first); "
    "with page or per_page, only that page.",
)
async def list_call_records(request: Request[Any, Any, Any]) -> Response[list[CdrOut]]:
    as_of = now()  # only the records that had ended by now: every page and chunk sees the same ones
    if _prefers_csv(request.accept):
        # Litestar sends any Response it is given; the annotation is what the document describes.
        return cast("Response[list[CdrOut]]", await _csv(request, as_of))

    filters, page, problems = _arguments(request)
    items, total = await as_user(
        request, lambda c, account: service.list_page(c, account, filters, as_of, page), problems=problems
    )
    return Response(items, headers=page_headers(request.url, page, total))


async def _csv(request: Request[Any, Any, Any], as_of: datetime) -> Stream:
    """Every matching record, unless a page is asked for. What can fail (credentials, parameters) is
    answered before the download begins; the rest is read as it is sent."""
    paged = "page" in request.query_params or "per_page" in request.query_params

    filters, page, problems = _arguments(request)
    download = await as_user(
        request,
        lambda c, account: service.start_download(c, account, filters, as_of, page if paged else None),
        problems=problems,
    )
    return Stream(
        service.csv_chunks(request.app.state.database, download),
        media_type=CSV,  # Litestar adds "; charset=utf-8"
        headers={**page_headers(request.url, page, download.total), **_CSV_DOWNLOAD},
    )


def _prefers_csv(accept: Accept) -> bool:
    """Whether the client prefers CSV to JSON. A type it refuses (`q=0`) is not one it accepts
    (Litestar's `best_match` would still pick it when nothing else matches)."""
    accepted = ",".join(kind for kind in accept if not _refused(MediaTypeHeader(kind)))
    return Accept(accepted).best_match([JSON, CSV], default=JSON) == CSV


def _refused(kind: MediaTypeHeader) -> bool:
    try:
        return float(kind.params.get("q", "1")) == 0
    except ValueError:
        return False


def _arguments(request: Request[Any, Any, Any]) -> tuple[Filters, Page, Problems]:
    """The filters and page asked for, and what was wrong with them (raised once the caller is known)."""
    query, problems = checked_query(request, ALLOWED)
    page = Page.from_query(query)
    return read_filters(query), page, problems


router = Router(path="/termination/cdrs", route_handlers=[list_call_records], tags=["Data plane"])
