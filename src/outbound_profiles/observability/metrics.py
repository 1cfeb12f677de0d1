"""The service's Prometheus metrics, and their exposition.

With one process, the metrics live in the process, in a registry of their own per application (so
two applications in one process, as in the tests, never share or clash). With several
(`serve --workers N`, N > 1), `serve` points PROMETHEUS_MULTIPROC_DIR at a fresh directory before
any worker starts: each worker then keeps its figures in files there (prometheus_client's
multiprocess mode), and whichever worker answers `GET /metrics` adds up all of them.

    outbound_profiles_http_requests_total{route, method, status}          counter
    outbound_profiles_http_request_duration_seconds{route, method}        histogram
    outbound_profiles_http_requests_in_flight                             gauge
    outbound_profiles_db_pool_size | _checked_out | _overflow             gauges, PostgreSQL only

Gauges are summed over the workers.

`route` is the route's template (`/termination/endpoints/{profile_id}`), or `unmatched` for a
request no route took (404, 405); `method` is one of the HTTP methods or `other`, so a client
cannot make new series at will.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, values
from prometheus_client.exposition import generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from sqlalchemy.pool import QueuePool

from outbound_profiles.db.database import Database

MULTIPROC_DIR: Final = "PROMETHEUS_MULTIPROC_DIR"
# The classic text format (what prometheus_client serves by default); Litestar adds `charset=utf-8`.
CONTENT_TYPE: Final = "text/plain; version=0.0.4"
UNMATCHED: Final = "unmatched"
METHODS: Final = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
# The service answers in about a millisecond; the buckets resolve that and still show a stall.
BUCKETS: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# `_created` series would double the counters' and histograms' series for a timestamp nobody reads
# (and multiprocess mode has none): leave them out in both modes.
prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]


class Metrics:
    """The figures, and how the middleware records one request: `begin()`, then `observe(...)`.

    Gauges of the moment (requests in flight, the pool) cost a request nothing with one process:
    they are read when scraped. With several, each worker publishes its own to the shared files as
    its requests begin and end (the scraping worker cannot see the others' memory), and the gauges
    add them up (`livesum`: only the workers alive)."""

    def __init__(self, database: Database) -> None:
        self.multiprocess = MULTIPROC_DIR in os.environ
        if self.multiprocess != bool(getattr(values.ValueClass, "_multiprocess", False)):
            raise RuntimeError(f"{MULTIPROC_DIR} must be set (or unset) before prometheus_client is first imported")
        # In multiprocess mode the values go to files, and only MultiProcessCollector reads them.
        own = None if self.multiprocess else CollectorRegistry()
        self.requests = Counter(
            "outbound_profiles_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ("route", "method", "status"),
            registry=own,
        )
        self.duration = Histogram(
            "outbound_profiles_http_request_duration_seconds",
            "Time from the request's arrival to the end of its response, by route template and method.",
            ("route", "method"),
            buckets=BUCKETS,
            registry=own,
        )
        self.in_flight = 0  # this process's, kept by begin() and observe() on the event loop's thread
        in_flight = self._gauge("http_requests_in_flight", "HTTP requests being served now.", own)
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        pool = database.engine.pool
        # On SQLite the service runs on one connection it keeps (see db/database.py): no pool to
        # watch; `in_flight` says how busy it is.
        self._pool = pool if not database.is_sqlite and isinstance(pool, QueuePool) else None
        self._pool_gauges: tuple[Gauge, Gauge] | None = None
        if self._pool is not None:
            size = self._gauge("db_pool_size", "Connections the database pool keeps (its pool_size).", own)
            size.set(self._pool.size())
            self._pool_gauges = (
                self._gauge("db_pool_checked_out", "Database connections in use now.", own),
                self._gauge("db_pool_overflow", "Database connections open beyond pool_size now.", own),
            )
        self._in_flight_gauge = in_flight
        self._publish = self.multiprocess
        if self.multiprocess:
            self._exposed = CollectorRegistry()
            MultiProcessCollector(self._exposed)  # type: ignore[no-untyped-call]
        else:
            in_flight.set_function(lambda: self.in_flight)
            if self._pool is not None and self._pool_gauges is not None:
                checked_out, overflow = self._pool_gauges
                checked_out.set_function(self._pool.checkedout)
                overflow.set_function(self._overflow)
            assert own is not None
            ProcessCollector(registry=own)
            self._exposed = own

    @staticmethod
    def _gauge(name: str, documentation: str, registry: CollectorRegistry | None) -> Gauge:
        return Gauge(
            f"outbound_profiles_{name}",
            f"{documentation} Summed over the workers.",
            registry=registry,
            multiprocess_mode="livesum",
        )

    def _overflow(self) -> int:
        assert self._pool is not None
        return max(self._pool.overflow(), 0)  # below pool_size, QueuePool counts it negative

    def begin(self) -> None:
        self.in_flight += 1
        if self._publish:
            self._publish_gauges()

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request (the hot path: one dict look-up, one inc, one observe)."""
        self.in_flight -= 1
        if method not in METHODS:
            method = "other"
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self.requests.labels(route, method, str(status)),
                self.duration.labels(route, method),
            )
        children[0].inc()
        children[1].observe(seconds)
        if self._publish:
            self._publish_gauges()

    def _publish_gauges(self) -> None:
        self._in_flight_gauge.set(self.in_flight)
        if self._pool_gauges is not None:
            assert self._pool is not None
            checked_out, overflow = self._pool_gauges
            checked_out.set(self._pool.checkedout())
            overflow.set(self._overflow())

    def render(self) -> bytes:
        """The text exposition format (CONTENT_TYPE), every worker's figures added up."""
        return generate_latest(self._exposed)

    def close(self) -> None:
        """Called as the application stops: a stopped worker's gauges no longer count."""
        if self.multiprocess:
            mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


@contextmanager
def multiprocess_directory(workers: int) -> Iterator[None]:
    """For `serve`: with several workers, prometheus_client's multiprocess mode in a fresh directory,
    removed when the server stops. The workers are new processes (uvicorn spawns them), so they
    import prometheus_client with the variable already set. An operator's own PROMETHEUS_MULTIPROC_DIR
    is used as it is (prometheus_client wants it empty at start)."""
    if workers <= 1 or MULTIPROC_DIR in os.environ:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="outbound-profiles-metrics-") as directory:
        os.environ[MULTIPROC_DIR] = directory
        try:
            yield
        finally:
            del os.environ[MULTIPROC_DIR]
