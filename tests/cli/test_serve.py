"""`outbound-profiles serve --demo` (SPEC §9): on a fresh database it migrates, makes the demo tenant,
prints its token and a `curl` line, and serves; that line works against the running server."""

from __future__ import annotations

import queue
import shlex
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.cli.helpers import SCRIPT, environment
from tests.live import START_TIMEOUT, free_port, stop, wait_until_up


@dataclass(frozen=True)
class Demo:
    base_url: str
    token: str
    curl: list[str]
    output: str


@contextmanager
def serve_demo(database_url: str, workdir: Path) -> Iterator[Demo]:
    """The demo server, up and answering; always stopped on the way out."""
    port = free_port()
    with subprocess.Popen(
        [SCRIPT, "serve", "--demo", "--port", str(port)],
        env=environment(database_url),
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        lines: queue.Queue[str] = queue.Queue()
        reader = threading.Thread(target=_forward, args=(process, lines), daemon=True)
        reader.start()
        try:
            printed = _read_until_curl(lines, process)
            base_url = f"http://127.0.0.1:{port}"
            wait_until_up(base_url, process)
            token = next(line.split()[1] for line in printed if line.startswith("token:"))
            curl = shlex.split(next(line for line in printed if line.startswith("Try:")).removeprefix("Try:"))
            yield Demo(base_url, token, curl, "".join(printed))
        finally:
            stop(process)
            reader.join(timeout=5)


def _forward(process: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.put(line)


def _read_until_curl(lines: queue.Queue[str], process: subprocess.Popen[str]) -> list[str]:
    printed: list[str] = []
    deadline = time.monotonic() + START_TIMEOUT
    while not printed or not printed[-1].startswith("Try:"):
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no curl line within {START_TIMEOUT} s; printed: {printed}"
        try:
            printed.append(lines.get(timeout=min(remaining, 0.5)))
        except queue.Empty:
            assert process.poll() is None, f"the server exited ({process.returncode}); printed: {printed}"
    return printed


def run_curl_line(curl: list[str]) -> httpx.Response:
    """What the printed `curl -s -H HEADER URL` asks for, sent as that line says."""
    assert curl[0] == "curl", curl
    headers: dict[str, str] = {}
    urls: list[str] = []
    arguments = iter(curl[1:])
    for argument in arguments:
        if argument == "-H":
            name, _, value = next(arguments).partition(":")
            headers[name.strip()] = value.strip()
        elif argument.startswith("http"):
            urls.append(argument)
        else:
            assert argument == "-s", f"unexpected curl option {argument!r}"
    assert len(urls) == 1, curl
    return httpx.get(urls[0], headers=headers, timeout=10)


def test_serve_demo_prints_a_token_and_a_curl_line_that_work(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'demo.db'}"  # fresh: serve must migrate it first

    with serve_demo(database_url, tmp_path) as demo:
        response = run_curl_line(demo.curl)
        headers = {"Authorization": f"Bearer {demo.token}"}
        connections = httpx.get(f"{demo.base_url}/security/connections", headers=headers).json()
        groups = httpx.get(f"{demo.base_url}/billing_groups", headers=headers).json()
        if shutil.which("curl"):
            real = subprocess.run(demo.curl, capture_output=True, text=True, timeout=30, check=True)
            assert real.stdout == response.text

    assert response.status_code == 200, response.text
    assert response.json() == []
    assert demo.token in " ".join(demo.curl)
    assert demo.curl[-1].startswith(demo.base_url)
    assert len(connections) == 2
    assert len(groups) == 1


def test_serve_demo_again_reuses_the_tenant_with_a_new_token(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'demo.db'}"
    with serve_demo(database_url, tmp_path) as first:
        pass

    with serve_demo(database_url, tmp_path) as second:
        answers = [
            httpx.get(f"{second.base_url}{path}", headers={"Authorization": f"Bearer {token}"})
            for token in (first.token, second.token)
            for path in ("/security/connections", "/billing_groups")
        ]

    assert second.token != first.token
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    assert [len(a.json()) for a in answers] == [2, 1, 2, 1]  # nothing made twice
