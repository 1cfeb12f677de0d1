"""Reading /metrics, and a server process whose JSON log lines the test can read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from tests.live import free_port, stop, wait_until_up, without_data_plane

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse_metrics(text: str) -> Samples:
    """Every sample of an exposition, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def names(samples: Samples) -> set[str]:
    return {name for name, _ in samples}


@dataclass
class LoggingServer:
    base_url: str
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def logs(self) -> list[dict[str, Any]]:
        """The stderr lines so far, each decoded (a line that is not a JSON object fails the test)."""
        entries = []
        for line in list(self.lines):
            entry = json.loads(line)
            assert isinstance(entry, dict), line
            entries.append(entry)
        return entries

    def wait_until(self, condition: Callable[[], bool], timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"not so within {timeout} s; the log:\n" + "\n".join(self.lines))
            time.sleep(0.02)

    def wait_for_log(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10) -> dict[str, Any]:
        self.wait_until(lambda: any(predicate(entry) for entry in self.logs()), timeout)
        return next(entry for entry in self.logs() if predicate(entry))

    def access(self, path: str) -> list[dict[str, Any]]:
        """The access log lines of requests to `path`."""
        return [e for e in self.logs() if e["logger"] == "outbound_profiles.access" and e["path"] == path]


@contextmanager
def logging_server(
    database_url: str, workdir: Path, *, workers: int = 1, log_level: str = "info", env: dict[str, str] | None = None
) -> Iterator[LoggingServer]:
    """`outbound-profiles serve` with its stderr collected line by line; always stopped on the way out."""
    port = free_port()
    environment = {
        **os.environ,
        "OUTBOUND_PROFILES_DATABASE_URL": database_url,
        "OUTBOUND_PROFILES_LOG_LEVEL": log_level,
        **without_data_plane(workers, env or {}),
        **(env or {}),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "outbound_profiles", "serve", "--port", str(port), "--workers", str(workers)],
        env=environment,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    server = LoggingServer(f"http://127.0.0.1:{port}", process)

    def collect() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            server.lines.append(line.rstrip("\n"))

    reader = threading.Thread(target=collect, daemon=True)
    reader.start()
    try:
        wait_until_up(server.base_url, process)
        yield server
    finally:
        stop(process)
        reader.join(timeout=10)
        assert process.stderr is not None
        process.stderr.close()
