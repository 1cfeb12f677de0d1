"""A real server process on loopback, for tests that need real parallel requests or a real socket.

Besides starting and stopping one, tests can crash it (`crash`: SIGKILL to it and its workers) and ask
which of its processes answered a request (`answered_by`, from Linux's /proc), to make sure a check
really crossed from one worker to another.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
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
def live_server(
    database_url: str, workdir: Path, *, workers: int = 1, env: dict[str, str] | None = None
) -> Iterator[LiveServer]:
    with live_servers(database_url, workdir, 1, workers=workers, env=env) as (server,):
        yield server


@contextmanager
def live_servers(
    database_url: str, workdir: Path, count: int, *, workers: int = 1, env: dict[str, str] | None = None
) -> Iterator[list[LiveServer]]:
    """`count` independent servers on one database, started side by side (their start-ups overlap);
    `env` adds settings to their environment."""
    started: list[LiveServer] = []
    try:
        for _ in range(count):
            port = free_port()
            while any(server.base_url.endswith(f":{port}") for server in started):
                port = free_port()
            started.append(_spawn(database_url, workdir, port, workers, env or {}))
        for server in started:
            wait_until_up(server.base_url, server.process)
        yield started
    finally:
        for server in started:
            stop(server.process)


def _spawn(database_url: str, workdir: Path, port: int, workers: int, extra: dict[str, str]) -> LiveServer:
    env = {
        **os.environ,
        "OUTBOUND_PROFILES_DATABASE_URL": database_url,
        "OUTBOUND_PROFILES_LOG_LEVEL": "warning",
        **without_data_plane(workers, extra),
        **extra,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "outbound_profiles", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=workdir,
    )
    return LiveServer(f"http://127.0.0.1:{port}", env, process)


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants (from /proc; Linux only)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process ended while we looked
            continue
        # The command name (field 2) may hold spaces and parentheses; the parent id follows the last ")".
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending.extend(parents.get(current, []))
    return tree


def crash(server: LiveServer) -> None:
    """SIGKILL the server and its workers at once: a crash, in which no shutdown code runs."""
    for pid in process_tree(server.process.pid):
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    server.process.wait(timeout=10)


def answered_by(server: LiveServer, response: httpx.Response) -> int:
    """The id of the server process that holds the TCP connection `response` came on (a worker of
    `serve --workers N`, or the server itself). The client must still keep the connection open."""
    client_port = response.extensions["network_stream"].get_extra_info("client_addr")[1]
    server_port = httpx.URL(server.base_url).port
    wanted = f"0100007F:{server_port:04X} 0100007F:{client_port:04X}"
    inodes = {line.split()[9] for line in Path("/proc/net/tcp").read_text().splitlines()[1:] if wanted in line}
    assert len(inodes) == 1, f"no single server socket for client port {client_port}: {inodes}"
    link = f"socket:[{inodes.pop()}]"
    for pid in process_tree(server.process.pid):
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) == link:
                    return pid
            except OSError:
                continue
    raise AssertionError(f"no process of the server holds {link}")


def without_data_plane(workers: int, extra: dict[str, str]) -> dict[str, str]:
    """Several workers need the data plane's counters in Redis; tests of the API alone that are not
    given one run without the data plane."""
    if workers > 1 and "OUTBOUND_PROFILES_REDIS_URL" not in extra:
        return {"OUTBOUND_PROFILES_DATA_PLANE": "off"}
    return {}
