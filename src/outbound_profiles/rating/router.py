"""`/termination/endpoints/{id}/rate_deck`: a profile's own rate deck (thin handlers; the rules are
in `rating/custom_decks.py`)."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, Router, delete, get, put
from litestar.params import FromPath
from litestar.response import Stream

from outbound_profiles.http.credentials import as_user
from outbound_profiles.rating import custom_decks
from outbound_profiles.rating.schemas import RateDeckOut

CSV = "text/csv"  # Litestar adds "; charset=utf-8"


@put(
    "/{profile_id:str}/rate_deck",
    operation_id="putRateDeck",
    summary="Set the profile's own rate deck (CSV)",
    description="prefix,country,rate[,connect_fee[,initial_increment[,subsequent_increment]]], header "
    "first. A deck with any problem is refused whole (each problem by line and column) and the deck in "
    f"effect stays. At most {custom_decks.MAX_DECK_BYTES} bytes.",
    status_code=200,
    csv_body=True,
    request_max_body_size=custom_decks.MAX_DECK_BYTES,
    idempotency_key=False,
)
async def put_rate_deck(request: Request[Any, Any, Any], profile_id: FromPath[str]) -> RateDeckOut:
    raw = await request.body()
    # Who asks, and for which profile, before the file is read: a 401, 403 or 404 costs no parsing.
    await as_user(request, lambda c, a: custom_decks.check(c, a, profile_id))
    # Checked outside the transaction (and off the event loop), so a bad deck holds no lock.
    rows = await asyncio.to_thread(custom_decks.parse, raw)
    count = await as_user(request, lambda c, a: custom_decks.put(c, a, profile_id, rows), write=True)
    return RateDeckOut(rows=count)


@get(
    "/{profile_id:str}/rate_deck",
    operation_id="getRateDeck",
    summary="Download the rate deck in effect for the profile (CSV): its own, or the default deck",
    media_type=CSV,
    csv_download=True,
)
async def get_rate_deck(request: Request[Any, Any, Any], profile_id: FromPath[str]) -> Stream:
    deck_id, rows = await as_user(request, lambda c, a: custom_decks.in_effect(c, a, profile_id))
    database = request.app.state.database
    return Stream(custom_decks.download(database, deck_id, rows), media_type=CSV)


@delete(
    "/{profile_id:str}/rate_deck",
    operation_id="deleteRateDeck",
    summary="Remove the profile's own rate deck (the default deck applies again)",
    status_code=200,
)
async def delete_rate_deck(request: Request[Any, Any, Any], profile_id: FromPath[str]) -> RateDeckOut:
    removed = await as_user(request, lambda c, a: custom_decks.remove(c, a, profile_id), write=True)
    return RateDeckOut(rows=removed)


router = Router(
    path="/termination/endpoints",
    route_handlers=[put_rate_deck, get_rate_deck, delete_rate_deck],
    tags=["Rate decks"],
)
