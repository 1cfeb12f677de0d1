"""A real server process on loopback, for tests that need real parallel requests or a real socket."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]

    def cli(self, *args: str) -> str:
        """Run the `outbound-profiles` command against this server's database."""
        result = subprocess.run(
            [sys.executable, "-m", "outbound_profiles", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return result.stdout

    def new_user(self, email: str, *extra: str) -> dict[str, str]:
        credentials: dict[str, str] = json.loads(self.cli("users", "create", email, "--json", *extra))
        return credentials


START_TIMEOUT = 30.0


def wait_until_up(base_url: str, process: subprocess.Popen[Any], timeout: float = START_TIMEOUT) -> None:
    """Return once the server answers; fail if it exits or stays silent past `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base_url}/openapi.json", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the server did not start within {timeout} s (exit code {process.poll()})")
        time.sleep(0.05)


def stop(process: subprocess.Popen[Any]) -> None:
    """SIGTERM, and SIGKILL if it has not ended 10 s later."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def live_server(database_url: str, workdir: Path, *, workers: int = 1) -> Iterator[LiveServer]:
    port = free_port()
    env = {**os.environ, "OUTBOUND_PROFILES_DATABASE_URL": database_url, "OUTBOUND_PROFILES_LOG_LEVEL": "warning"}
    process = subprocess.Popen(
        [sys.executable, "-m", "outbound_profiles", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=workdir,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base_url, process)
        yield LiveServer(base_url, env, process)
    finally:
        stop(process)
