"""`serve --workers 2`: whichever worker answers `GET /metrics` reports every worker's requests.

Which worker served a request is read from its access log line (`pid`); the test goes on until it
has seen both workers serve requests and both answer scrapes, so it cannot pass on one worker.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from outbound_profiles.config import Settings
from tests.observability.helpers import LoggingServer, logging_server, parse_metrics, value

REQUESTS = "outbound_profiles_http_requests_total"
ATTEMPTS = 200


def until_both_workers(server: LoggingServer, path: str, request: Callable[[], Any]) -> list[Any]:
    """Make the request (each on a new connection) until two workers have served it."""
    answers = []
    for _ in range(ATTEMPTS):
        answers.append(request())
        server.wait_until(lambda: len(server.access(path)) == len(answers))  # its line comes after the answer
        if len({line["pid"] for line in server.access(path)}) == 2:
            return answers
    raise AssertionError(f"{ATTEMPTS} requests to {path} all went to one worker")


def test_every_scrape_adds_up_all_the_workers(settings: Settings, tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    with logging_server(settings.database_url, tmp_path, workers=2, env={"TMPDIR": str(temp)}) as server:
        metrics_dirs = list(temp.glob("outbound-profiles-metrics-*"))
        health = until_both_workers(server, "/healthz", lambda: httpx.get(f"{server.base_url}/healthz"))
        scrapes = until_both_workers(server, "/metrics", lambda: httpx.get(f"{server.base_url}/metrics"))

    assert all(answer.status_code == 200 for answer in health)
    assert len(metrics_dirs) == 1
    assert not metrics_dirs[0].exists()  # removed when the server stopped
    for scrape in scrapes:
        samples = parse_metrics(scrape.text)
        assert value(samples, REQUESTS, route="/healthz", method="GET", status="200") == len(health)
        assert value(samples, "outbound_profiles_http_requests_in_flight") == 1  # the scrape; the other is idle
    last = parse_metrics(scrapes[-1].text)
    assert value(last, REQUESTS, route="/metrics", method="GET", status="200") == len(scrapes) - 1
