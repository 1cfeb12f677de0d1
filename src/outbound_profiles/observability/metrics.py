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
from bisect import bisect_left
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, values
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector
from prometheus_client.utils import INF, floatToGoString
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
        self._record: Callable[[str, str, int, float], None]
        if own is None:
            self._record = SharedRequests().record
        else:
            local = LocalRequests()
            own.register(local)
            self._record = local.record
        self.in_flight = 0  # this process's, kept by begin() and observe() on the event loop's thread
        in_flight = self._gauge("http_requests_in_flight", "HTTP requests being served now.", own)
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
        self._decided: Callable[[str, str, float], None]
        if own is None:
            self._decided = SharedDecisions().record
        else:
            decisions = LocalDecisions()
            own.register(decisions)
            self._decided = decisions.record
        # Counted from the database by the worker that answers `GET /metrics`: its count is the latest.
        self.active_calls = Gauge(
            "outbound_profiles_active_calls",
            "Calls allowed and not yet ended, counted from the database.",
            registry=own,
            multiprocess_mode="livemostrecent",
        )
        self.decision_cache_entries = Gauge(
            "outbound_profiles_decision_cache_entries",
            "Entries the data plane holds in memory for its decisions, by table (of the worker that answered).",
            ["table"],
            registry=own,
            multiprocess_mode="livemostrecent",
        )
        self.reservations_freed_total = Counter(
            "outbound_profiles_reservations_freed",
            "Ports held by the shared counters for no active call (their process died first), freed.",
            registry=own,
        )
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

    def decided(self, decision: str, reason: str | None, seconds: float) -> None:
        """Count one call authorization (the data plane's observer)."""
        self._decided(decision, reason or "", seconds)

    def active_calls_now(self, count: int) -> None:
        self.active_calls.set(count)

    def held_for_decisions(self, entries: dict[str, int]) -> None:
        for table, count in entries.items():
            self.decision_cache_entries.labels(table).set(count)

    def reservations_freed(self, count: int) -> None:
        self.reservations_freed_total.inc(count)

    def _overflow(self) -> int:
        assert self._pool is not None
        return max(self._pool.overflow(), 0)  # below pool_size, QueuePool counts it negative

    def begin(self) -> None:
        self.in_flight += 1
        if self._publish:
            self._publish_gauges()

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.in_flight -= 1
        self._record(route, method if method in METHODS else "other", status, seconds)
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


AUTHORIZE_BUCKETS: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
REQUESTS: Final = ("outbound_profiles_http_requests", "HTTP requests answered, by route template, method and status.")
DURATION: Final = (
    "outbound_profiles_http_request_duration_seconds",
    "Time from the request's arrival to the end of its response, by route template and method.",
)
AUTHORIZATIONS: Final = (
    "outbound_profiles_authorizations",
    "Call authorizations answered, by decision and reason (none for an allow).",
)
AUTHORIZE_DURATION: Final = (
    "outbound_profiles_authorize_duration_seconds",
    "Time to decide a call authorization, from its body read to its answer.",
)
_UPPER_BOUNDS: Final = (*BUCKETS, INF)
_BOUND_LABELS: Final = tuple(floatToGoString(bound) for bound in _UPPER_BOUNDS)  # type: ignore[no-untyped-call]
_AUTHORIZE_UPPER_BOUNDS: Final = (*AUTHORIZE_BUCKETS, INF)
_AUTHORIZE_BOUND_LABELS: Final = tuple(floatToGoString(bound) for bound in _AUTHORIZE_UPPER_BOUNDS)  # type: ignore[no-untyped-call]


class SharedRequests:
    """The request figures as prometheus_client's own metrics, which multiprocess mode writes to the
    shared files."""

    def __init__(self) -> None:
        # In no registry: in multiprocess mode only MultiProcessCollector reads them (from the files).
        self.requests = Counter(*REQUESTS, ("route", "method", "status"), registry=None)
        self.duration = Histogram(*DURATION, ("route", "method"), buckets=BUCKETS, registry=None)
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def record(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self.requests.labels(route, method, str(status)),
                self.duration.labels(route, method),
            )
        children[0].inc()
        children[1].observe(seconds)


class _Duration:
    __slots__ = ("buckets", "sum")

    def __init__(self, bounds: int = len(_UPPER_BOUNDS)) -> None:
        self.buckets = [0] * bounds  # per bucket, not cumulative
        self.sum = 0.0

    def cumulative(self, labels: tuple[str, ...]) -> list[tuple[str, float]]:
        """The buckets as a histogram shows them: each the count at or below its bound (`labels`)."""
        cumulative, total = [], 0
        for bound, count in zip(labels, self.buckets, strict=True):
            total += count
            cumulative.append((bound, float(total)))
        return cumulative


class _Series:
    __slots__ = ("count", "duration")

    def __init__(self, duration: _Duration) -> None:
        self.count = 0
        self.duration = duration


class LocalRequests(Collector):
    """The request figures of a single process, kept as plain numbers and made into metric families
    when scraped, as `SharedRequests` shows them.

    This skips prometheus_client's locks and checks on every request (what it saves: decision 8).
    The event loop's thread alone records, so no lock is needed; a scrape from another thread reads
    whole numbers."""

    def __init__(self) -> None:
        self._series: dict[tuple[str, str, int], _Series] = {}
        self._durations: dict[tuple[str, str], _Duration] = {}

    def record(self, route: str, method: str, status: int, seconds: float) -> None:
        series = self._series.get((route, method, status))
        if series is None:
            duration = self._durations.setdefault((route, method), _Duration())
            series = self._series[(route, method, status)] = _Series(duration)
        series.count += 1
        duration = series.duration
        duration.buckets[bisect_left(_UPPER_BOUNDS, seconds)] += 1  # the first bound >= seconds
        duration.sum += seconds

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(*REQUESTS, labels=("route", "method", "status"))
        for (route, method, status), series in list(self._series.items()):
            requests.add_metric((route, method, str(status)), series.count)
        durations = HistogramMetricFamily(*DURATION, labels=("route", "method"))
        for labels, duration in list(self._durations.items()):
            durations.add_metric(labels, duration.cumulative(_BOUND_LABELS), sum_value=duration.sum)
        yield requests
        yield durations


class SharedDecisions:
    """The call authorizations' figures as prometheus_client's own metrics, for multiprocess mode."""

    def __init__(self) -> None:
        self.authorizations = Counter(*AUTHORIZATIONS, ["decision", "reason"], registry=None)
        self.duration = Histogram(*AUTHORIZE_DURATION, buckets=AUTHORIZE_BUCKETS, registry=None)

    def record(self, decision: str, reason: str, seconds: float) -> None:
        self.authorizations.labels(decision, reason).inc()
        self.duration.observe(seconds)


class LocalDecisions(Collector):
    """The call authorizations' figures of a single process as plain numbers, as `LocalRequests`
    keeps the requests' (prometheus_client's Counter and Histogram cost an authorization several
    times as much)."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str], int] = {}
        self._duration = _Duration(len(_AUTHORIZE_UPPER_BOUNDS))

    def record(self, decision: str, reason: str, seconds: float) -> None:
        key = (decision, reason)
        self._counts[key] = self._counts.get(key, 0) + 1
        duration = self._duration
        duration.buckets[bisect_left(_AUTHORIZE_UPPER_BOUNDS, seconds)] += 1  # the first bound >= seconds
        duration.sum += seconds

    def collect(self) -> Iterator[Metric]:
        authorizations = CounterMetricFamily(*AUTHORIZATIONS, labels=("decision", "reason"))
        for labels, count in list(self._counts.items()):
            authorizations.add_metric(labels, count)
        duration = HistogramMetricFamily(*AUTHORIZE_DURATION)
        duration.add_metric((), self._duration.cumulative(_AUTHORIZE_BOUND_LABELS), sum_value=self._duration.sum)
        yield authorizations
        yield duration


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
