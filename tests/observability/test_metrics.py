"""`GET /metrics` in one process: requests by route template, method and status, their latency, the
requests in flight, and (PostgreSQL) the connection pool."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest

from outbound_profiles.db.database import Database
from outbound_profiles.observability import metrics
from tests.conftest import Api
from tests.observability.helpers import Samples, names, parse_metrics, value

REQUESTS = "outbound_profiles_http_requests_total"
DURATION = "outbound_profiles_http_request_duration_seconds"
PROFILE = "/termination/endpoints/{profile_id}"


def scrape(client: TestClient[Any]) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    return parse_metrics(response.text)


def test_requests_are_counted_by_route_template_never_by_raw_path(client: TestClient[Any], api: Api) -> None:
    profile = api.profile(name="counted")
    headers = api.tenant.headers
    client.get(f"/termination/endpoints/{profile['id']}", headers=headers)
    client.get(f"/termination/endpoints/{profile['id']}", headers=headers)
    client.get("/termination/endpoints/99999999", headers=headers)
    client.put(f"/termination/endpoints/{profile['id']}", json={"ports": 3}, headers=headers)
    client.put(f"/termination/endpoints/{profile['id']}", json={"ports": "3"}, headers=headers)

    samples = scrape(client)
    routes = {label for _, labels in samples for name, label in labels if name == "route"}

    assert routes == {PROFILE, "/termination/endpoints"}
    assert value(samples, REQUESTS, route=PROFILE, method="GET", status="200") == 2
    assert value(samples, REQUESTS, route=PROFILE, method="GET", status="404") == 1
    assert value(samples, REQUESTS, route=PROFILE, method="PUT", status="200") == 1
    assert value(samples, REQUESTS, route=PROFILE, method="PUT", status="400") == 1
    assert value(samples, REQUESTS, route="/termination/endpoints", method="POST", status="200") == 1
    assert value(samples, DURATION + "_count", route=PROFILE, method="GET") == 3
    assert value(samples, DURATION + "_count", route=PROFILE, method="PUT") == 2
    assert (value(samples, DURATION + "_sum", route=PROFILE, method="PUT") or 0) > 0
    assert value(samples, DURATION + "_bucket", route=PROFILE, method="PUT", le="+Inf") == 2


def test_requests_no_route_took_share_one_label_and_odd_methods_another(client: TestClient[Any]) -> None:
    for path in ("/no/such/route", "/another/unknown/path", "/termination/endpoints/1/nothing"):
        assert client.get(path).status_code == 404
    client.request("BREW", "/healthz")
    client.request("BREW", "/healthz")
    client.delete("/healthz")  # a known path, not with that method: 405, no route taken

    samples = scrape(client)

    assert value(samples, REQUESTS, route="unmatched", method="GET", status="404") == 3
    assert value(samples, REQUESTS, route="unmatched", method="other", status="405") == 2
    assert value(samples, REQUESTS, route="unmatched", method="DELETE", status="405") == 1
    labels = {dict(sample_labels).get("route") for name, sample_labels in samples if name == REQUESTS}
    assert labels == {"unmatched"}


def test_a_scrape_counts_the_requests_before_it_and_sees_itself_in_flight(client: TestClient[Any]) -> None:
    first = scrape(client)
    client.get("/healthz")
    second = scrape(client)

    assert value(first, "outbound_profiles_http_requests_in_flight") == 1  # the scrape itself
    assert value(second, "outbound_profiles_http_requests_in_flight") == 1
    assert value(first, REQUESTS, route="/healthz", method="GET", status="200") is None
    assert value(second, REQUESTS, route="/healthz", method="GET", status="200") == 1
    assert value(second, REQUESTS, route="/metrics", method="GET", status="200") == 1


def test_metrics_need_no_credentials_and_are_not_in_the_api_document(client: TestClient[Any]) -> None:
    response = client.get("/metrics")
    document = client.get("/openapi.json").json()

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "# TYPE outbound_profiles_http_requests_total counter" in response.text
    assert "# TYPE outbound_profiles_http_request_duration_seconds histogram" in response.text
    assert "/metrics" not in document["paths"]
    assert not any(name.endswith("_created") for name in names(parse_metrics(response.text)))


def test_the_pool_is_watched_on_postgresql_only(client: TestClient[Any], database: Database) -> None:
    before = scrape(client)
    if database.is_sqlite:
        assert not any(name.startswith("outbound_profiles_db_pool") for name in names(before))
        return
    with database.engine.connect():  # a connection in use, outside any request
        during = scrape(client)
    after = scrape(client)

    assert value(before, "outbound_profiles_db_pool_size") == 10
    assert value(before, "outbound_profiles_db_pool_checked_out") == 0
    assert value(during, "outbound_profiles_db_pool_checked_out") == 1
    assert value(after, "outbound_profiles_db_pool_checked_out") == 0
    assert value(after, "outbound_profiles_db_pool_overflow") == 0


@pytest.mark.parametrize(
    "seconds",
    [
        [0.0001],
        [0.0005, 0.001, 0.00051],  # on a bound, and just over one
        [0.003, 12.0, 0.02, 0.02, 1e-9],  # over the last bound: +Inf only
    ],
)
def test_one_process_shows_its_request_figures_as_prometheus_clients_own_metrics_do(seconds: list[float]) -> None:
    """`LocalRequests` keeps plain numbers; the exposition must be byte for byte what a Counter and a
    Histogram given the same requests give."""
    theirs, ours = CollectorRegistry(), CollectorRegistry()
    counter = Counter(*metrics.REQUESTS, ("route", "method", "status"), registry=theirs)
    histogram = Histogram(*metrics.DURATION, ("route", "method"), buckets=metrics.BUCKETS, registry=theirs)
    local = metrics.LocalRequests()
    ours.register(local)
    requests = [(route, method, status) for route in ("/b", "/a") for method in ("PUT", "GET") for status in (200, 404)]

    for n, taken in enumerate(seconds * 3):
        route, method, status = requests[n % len(requests)]
        counter.labels(route, method, str(status)).inc()
        histogram.labels(route, method).observe(taken)
        local.record(route, method, status, taken)

    assert generate_latest(ours).decode() == generate_latest(theirs).decode()
