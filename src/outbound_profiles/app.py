"""The application factory."""

from __future__ import annotations

import gc
from typing import Any

from litestar import Litestar
from litestar.datastructures import State

from outbound_profiles.authorizations.fast import FastAuthorize
from outbound_profiles.authorizations.router import router as authorizations_router
from outbound_profiles.authorizations.router import simulate_call, usage
from outbound_profiles.authorizations.service import DataPlane
from outbound_profiles.billing_groups.router import router as billing_groups_router
from outbound_profiles.cdrs.router import router as cdrs_router
from outbound_profiles.config import MAX_BODY_BYTES, Settings
from outbound_profiles.connections.router import router as connections_router
from outbound_profiles.counters import from_settings as counters_from_settings
from outbound_profiles.db.database import Database
from outbound_profiles.db.engine import build_engine
from outbound_profiles.health.router import router as health_router
from outbound_profiles.http.allow import HttpMethods
from outbound_profiles.http.errors import EXCEPTION_HANDLERS
from outbound_profiles.http.openapi import docs_assets_router, openapi_config
from outbound_profiles.observability.metrics import Metrics
from outbound_profiles.observability.middleware import ObservabilityMiddleware
from outbound_profiles.observability.router import router as metrics_router
from outbound_profiles.profiles.fast_update import FastUpdate
from outbound_profiles.profiles.router import router as profiles_router
from outbound_profiles.rating.default_deck import DefaultDeck
from outbound_profiles.rating.profile_decks import ProfileDecks
from outbound_profiles.rating.router import router as rate_decks_router
from outbound_profiles.v2.billing_groups import router as v2_billing_groups_router
from outbound_profiles.v2.profiles import router as v2_profiles_router


def create_app(settings: Settings | None = None, database: Database | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    database = database or Database(build_engine(settings))
    metrics = Metrics(database)
    decks = ProfileDecks(database, DefaultDeck())
    data_plane = None
    starts: list[Any] = [lambda: database.start_checkpoints(), database.start_watching]
    stops: list[Any] = [database.stop_watching, database.close_connections, database.dispose, metrics.close]
    if settings.data_plane:
        data_plane = DataPlane(
            database,
            counters_from_settings(settings),
            decks,
            lease_s=settings.lease_seconds,
            fail_open=settings.counters_failure == "open",
            observer=metrics,
            cache_entries=settings.decision_cache_entries,
        )
        starts.append(data_plane.start)
        stops.insert(0, data_plane.stop)
    app = Litestar(
        route_handlers=[
            profiles_router,
            simulate_call,
            usage,
            rate_decks_router,
            authorizations_router,
            cdrs_router,
            connections_router,
            billing_groups_router,
            v2_profiles_router,
            v2_billing_groups_router,
            health_router,
            metrics_router,
            docs_assets_router,
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi_config(),
        request_max_body_size=MAX_BODY_BYTES,
        state=State({"database": database, "settings": settings, "metrics": metrics, "data_plane": data_plane}),
        on_startup=starts,
        on_shutdown=stops,
        # Logging is the process's to set up (`serve` makes it JSON), not the application's.
        logging_config=None,
    )
    # Around everything answered, errors included: request id, metrics, access log; inside it, the
    # plain authorizations and profile updates that do without the framework
    # (authorizations/fast.py, profiles/fast_update.py).
    app.asgi_handler = ObservabilityMiddleware(
        FastAuthorize(FastUpdate(HttpMethods(app.asgi_handler)), data_plane), metrics
    )
    return app


def create_served_app(database: Database | None = None) -> Litestar:
    """The application as `serve` runs it, in each worker process (on `database` if given: an
    in-memory one that `serve` has migrated in its own process).

    Once started, the garbage collector is tuned for serving (only here: frozen objects are never
    collected, so a process that creates many applications, the tests, must not freeze each one's):

    - What start-up allocated (modules, libphonenumber's metadata, SQLAlchemy's and Litestar's
      structures) is left out of the full collections: walking it took tens of milliseconds, a
      stall every request in flight waited for (p99 of a PUT: 60 ms, 10-12 ms after).
    - The youngest generation is collected after `GC_YOUNG_THRESHOLD` net allocations instead of
      700. Each collection walks all that the requests in flight hold, whatever the threshold; with
      700 a PUT load under wrk ran one every ~35 requests and a full one every ~4,000, 16 times as
      many as now, for ~5% of a PUT's CPU (94 µs per PUT against 96-103 µs). Garbage without
      cycles is freed at once either way; what cycles hold lives a little longer.
    """
    app = create_app(database=database)
    app.on_startup.append(_tune_garbage_collector)
    return app


GC_YOUNG_THRESHOLD = 20_000


def _tune_garbage_collector() -> None:
    gc.collect()  # what is garbage already is freed, not frozen
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
