"""What every benchmark here shares: servers on loopback, plain HTTP calls, the machine's description.

Only 127.0.0.1 is ever contacted. A server started with `server()` is always stopped (terminate,
then kill after 10 s) when its block ends, however it ends.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"  # the benchmarks only ever talk to loopback
BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
BUSY_LOAD = 0.5  # 1-min load average above which the machine is not idle (the servers are idle then)
CLI = (sys.executable, "-m", "outbound_profiles")
PIDS: dict[int, int] = {}  # port -> pid of the server started on it by `server()`


class BenchError(Exception):
    """The benchmark cannot run (set-up failed); not a measurement."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def call(port: int, method: str, path: str, body: object = None, token: str | None = None) -> tuple[int, Any]:
    """One request to 127.0.0.1:port; (status, decoded JSON body or None)."""
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    payload = None if body is None else json.dumps(body).encode()
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    try:
        decoded = json.loads(raw) if raw else None
    except ValueError:
        decoded = raw.decode(errors="replace")
    return response.status, decoded


def expect(port: int, method: str, path: str, body: object, token: str | None) -> Any:
    """The decoded answer of a request that must answer 200 with JSON (else the set-up failed)."""
    status, answer = call(port, method, path, body, token)
    if status != 200 or not isinstance(answer, dict | list):
        raise BenchError(f"{method} {path} answered {status}: {answer}")
    return answer


@contextmanager
def server(name: str, command: Sequence[str], env: dict[str, str], cwd: Path) -> Iterator[int]:
    """Start a server on a free loopback port, wait until it answers, always stop it (bounded)."""
    port = free_port()
    log_path = cwd / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--port", str(port)], env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                call(port, "GET", "/")  # any HTTP answer (even a 401 or 404) means it is serving
                break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-2000:]
                raise BenchError(f"{name} did not start (exit code {process.poll()}):\n{tail}")
            time.sleep(0.1)
        PIDS[port] = process.pid
        yield port
    finally:
        PIDS.pop(port, None)
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT_S)


def app_command(workers: int) -> list[str]:
    """The service as an operator starts it (uvicorn, `auto` loop and http, no access log)."""
    return [*CLI, "serve", "--host", HOST, "--workers", str(workers)]


def raw_command(workers: int) -> list[str]:
    """bench/raw_asgi.py on the same uvicorn with the same options as `app_command`."""
    return [
        *(sys.executable, "-m", "uvicorn", "--app-dir", str(BENCH_DIR), "raw_asgi:app", "--host", HOST),
        *("--workers", str(workers), "--no-access-log", "--log-level", "warning"),
    ]


def create_user(email: str, env: dict[str, str], cwd: Path) -> dict[str, str]:
    """`outbound-profiles users create EMAIL --json` (applies the migrations first): its credentials."""
    created = subprocess.run(
        [*CLI, "users", "create", email, "--json"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    credentials: dict[str, str] = json.loads(created.stdout)
    return credentials


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0 < q < 100) of at least one value, interpolated between ranks."""
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=1000, method="inclusive")
    return cuts[round(q * 10) - 1]


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """The resident set of a process (and of its children: uvicorn's workers), in MiB; with
    `field="VmHWM"`, the highest it has had."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith(f"{field}:"):
                    total += int(line.split()[1])
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        pending.extend(int(c) for c in children)
    return total / 1024


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, from /proc) of a process and of its children alive now (uvicorn's
    workers): the difference over a run is what the server spent on it."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        pending.extend(int(c) for c in children)
    return total / TICKS


def http_stack() -> str:
    """What uvicorn's `auto` picks for the servers (they share this interpreter)."""
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return f"{loop}+{http}"


def load_average() -> float:
    return os.getloadavg()[0]


def busy_note(load: float) -> str | None:
    if load > BUSY_LOAD:
        return f"  note: the machine is busy (1-min load {load:.2f}); the figures will be noisy"
    return None


def source_version() -> str:
    """The commit measured, `+dirty` when src/ has uncommitted changes ("?" outside a git checkout)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=BENCH_DIR, capture_output=True, text=True, timeout=10
        )
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=BENCH_DIR.parent,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    if head.returncode != 0:
        return "?"
    return head.stdout.strip() + ("+dirty" if status.stdout.strip() else "")


def run_with_wrk(name: str, args: Any, measure: Callable[[Any, str], int], positive: dict[str, float]) -> int:
    """Check the options every wrk benchmark shares, find wrk, run `measure(args, wrk)`; exit status
    2 (and why, on stderr) when the benchmark cannot run."""
    if min(positive.values()) <= 0 or args.warmup < 0:
        print(f"{name}: {', '.join(positive)} must be positive", file=sys.stderr)
        return 2
    if args.connections < args.threads:
        print(f"{name}: wrk needs at least one connection per thread", file=sys.stderr)
        return 2
    wrk = shutil.which("wrk")
    if wrk is None:
        print(f"{name}: wrk not found; install wrk: apt-get install wrk", file=sys.stderr)
        return 2
    try:
        return measure(args, wrk)
    except (BenchError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        detail = exc.stderr if isinstance(exc, subprocess.CalledProcessError) else ""
        print(f"{name}: {exc}\n{detail or ''}".rstrip(), file=sys.stderr)
        return 2
