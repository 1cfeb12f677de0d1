"""Throughput of `PUT /termination/endpoints/{id}` (SQLite, one worker) as a ratio of a raw ASGI app's.

Target (the issue): app/raw >= 0.30 of the median requests/s, and the app's p99 < 15 ms, at 32
connections, both servers measured in the same run on the same machine with the same uvicorn
options. See bench/README.md for how to read the output.

    .venv/bin/python bench/put_ratio.py [--rounds 5] [--duration 10] [--connections 32] [--threads 1]

Exit status: 0 when both targets are met, 1 when a target is missed (or a run had errors), 2 when
the benchmark could not run (no wrk, a server did not start, the set-up failed).
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"  # the benchmark only ever talks to loopback
BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results" / "put_ratio.json"
TARGET_RATIO = 0.30
TARGET_P99_MS = 15.0
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
BUSY_LOAD = 0.5  # 1-min load average above which the machine is not idle (the servers are idle then)


class BenchError(Exception):
    """The benchmark cannot run (set-up failed); not a measurement."""


@dataclass(frozen=True)
class WrkRun:
    side: str  # "raw" or "app"
    round: int  # 0 = warm-up
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    non_2xx: int
    socket_errors: int  # connect, read, write
    timeouts: int  # no answer within wrk's timeout (2 s)


# wrk's Lua: two PUT bodies built once per thread and sent alternately, so every request really
# changes the profile (an identical body would let the service skip its UPDATE); `done` prints
# exact figures (latencies in microseconds) on one line for this script to parse.
_LUA = """\
local bodies = {{ {body_a}, {body_b} }}
local requests = {{}}
local i = 0

function init(args)
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = {authorization}
  for k, body in ipairs(bodies) do
    requests[k] = wrk.format("PUT", {path}, nil, body)
  end
end

function request()
  i = i % #requests + 1
  return requests[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH_RESULT %d %d %d %d %d %d %d %d %d %d\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def lua_string(text: str) -> str:
    """A Lua long-bracket string literal holding `text` verbatim."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    eq = "=" * level
    return f"[{eq}[{text}]{eq}]"


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


def expect(port: int, method: str, path: str, body: object, token: str | None) -> dict[str, Any]:
    status, answer = call(port, method, path, body, token)
    if status != 200 or not isinstance(answer, dict):
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
        yield port
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT_S)


def put_bodies(billing_group_id: str, connection_ids: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two valid ~20-field update bodies that differ in name and ports (so each PUT writes)."""
    common: dict[str, Any] = {
        "traffic_type": 1,
        "service_plan": 4,
        "active": True,
        "translation_rule": "+1 => 1",
        "cps_limit_increase": 0,
        "tag_list": ["bench", "put-ratio"],
        "usage_payment_method": "rate-deck",
        "whitelisted_destination_format": "alpha2",
        "whitelisted_destinations": ["US", "CA", "GB"],
        "max_destination_rate": 0.5,
        "call_recording_type": "by_call_phone_number",
        "call_recording_phone_numbers": ["+13125550100"],
        "call_recording_format": "wav",
        "call_recording_channels": "single",
        "daily_spend_limit": "100.00",
        "daily_spend_limit_enabled": True,
        "billing_group_id": billing_group_id,
        "connection_ids": connection_ids,
    }
    return (
        {"name": "bench profile A", "ports": 10, **common},
        {"name": "bench profile B", "ports": 11, **common},
    )


def run_wrk(
    wrk: str, side: str, round_: int, port: int, script: Path, args: argparse.Namespace, duration: float
) -> WrkRun:
    command = [
        wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration:g}s",
        "--latency",
        "-s",
        str(script),
        f"http://{HOST}:{port}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=False)
    line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH_RESULT ")), None)
    if result.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    requests, duration_us, connect, read, write, status, timeout, p50, p99, max_us = (int(x) for x in line.split()[1:])
    return WrkRun(
        side=side,
        round=round_,
        requests=requests,
        duration_s=duration_us / 1e6,
        rps=requests / (duration_us / 1e6),
        p50_ms=p50 / 1000,
        p99_ms=p99 / 1000,
        max_ms=max_us / 1000,
        non_2xx=status,
        socket_errors=connect + read + write,
        timeouts=timeout,
    )


def http_stack() -> str:
    """What uvicorn's `auto` picks for both servers (they share this interpreter)."""
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return f"{loop}+{http}"


def wrk_version(wrk: str) -> str:
    result = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10, check=False)
    return (result.stdout or result.stderr).strip().splitlines()[0] if (result.stdout or result.stderr) else "?"


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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="measured runs of each side, alternating (default 5)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measured run (default 10)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of the warm-up run of each (default 3)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="wrk threads (default 1: on a 2-core machine one core is the server's, one wrk's)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"JSON results (default {RESULTS})")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.rounds < 1 or args.duration <= 0 or args.warmup < 0 or args.connections < 1 or args.threads < 1:
        print("put_ratio: rounds, duration, connections and threads must be positive", file=sys.stderr)
        return 2
    if args.connections < args.threads:
        print("put_ratio: wrk needs at least one connection per thread", file=sys.stderr)
        return 2
    wrk = shutil.which("wrk")
    if wrk is None:
        print("put_ratio: wrk not found; install wrk: apt-get install wrk", file=sys.stderr)
        return 2
    try:
        return measure(args, wrk)
    except (BenchError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        detail = exc.stderr if isinstance(exc, subprocess.CalledProcessError) else ""
        print(f"put_ratio: {exc}\n{detail or ''}".rstrip(), file=sys.stderr)
        return 2


def measure(args: argparse.Namespace, wrk: str) -> int:
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="put-ratio-")))
        env = {
            **os.environ,
            "OUTBOUND_PROFILES_DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
            "OUTBOUND_PROFILES_LOG_LEVEL": "warning",
        }
        cli = [sys.executable, "-m", "outbound_profiles"]
        created = subprocess.run(
            [*cli, "users", "create", "bench@example.com", "--json"],
            env=env,
            cwd=tmp,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        token: str = json.loads(created.stdout)["token"]

        # Same uvicorn options for both: one worker, `auto` loop and http, no access log, warnings only.
        app_port = stack.enter_context(
            server("app", [*cli, "serve", "--host", HOST, "--workers", "1"], env=env, cwd=tmp)
        )
        raw_command = [sys.executable, "-m", "uvicorn", "--app-dir", str(BENCH_DIR), "raw_asgi:app", "--host", HOST]
        raw_port = stack.enter_context(
            server(
                "raw",
                [*raw_command, "--workers", "1", "--no-access-log", "--log-level", "warning"],
                env=env,
                cwd=tmp,
            )
        )

        connection_ids = [
            expect(app_port, "POST", "/security/connections", {"connection_name": f"bench-{n}"}, token)["id"]
            for n in (1, 2)
        ]
        group_id = expect(app_port, "POST", "/billing_groups", {"name": "bench"}, token)["id"]
        profile = expect(app_port, "POST", "/termination/endpoints", {"connection_ids": connection_ids}, token)
        path = f"/termination/endpoints/{profile['id']}"
        bodies = put_bodies(group_id, connection_ids)
        for body in bodies:  # one check of each body on each side before loading them
            answer = expect(app_port, "PUT", path, body, token)
            if answer.get("ports") != body["ports"] or len(answer.get("connections", [])) != 2:
                raise BenchError(f"the app did not apply the PUT: {answer}")
            expect(raw_port, "PUT", path, body, token)

        script = tmp / "put.lua"
        script.write_text(
            _LUA.format(
                body_a=lua_string(json.dumps(bodies[0])),
                body_b=lua_string(json.dumps(bodies[1])),
                authorization=lua_string(f"Bearer {token}"),
                path=lua_string(path),
            )
        )
        ports = {"raw": raw_port, "app": app_port}
        load = os.getloadavg()[0]
        print(
            f"PUT {path}  body {len(json.dumps(bodies[0]))} bytes, {len(bodies[0])} fields; "
            f"wrk -t{args.threads} -c{args.connections}, {args.rounds} x {args.duration:g}s alternating; "
            f"{os.cpu_count()} CPUs; {http_stack()}; load average {load:.2f}; source {source_version()}",
            flush=True,
        )
        if load > BUSY_LOAD:
            print(f"  note: the machine is busy (1-min load {load:.2f}); the figures will be noisy", flush=True)
        warmups = []
        if args.warmup > 0:
            for side in ("raw", "app"):
                warmups.append(run_wrk(wrk, side, 0, ports[side], script, args, args.warmup))
        runs: list[WrkRun] = []
        for round_ in range(1, args.rounds + 1):
            for side in ("raw", "app"):
                run = run_wrk(wrk, side, round_, ports[side], script, args, args.duration)
                runs.append(run)
                print(f"  round {round_} {side}: {run.rps:9.0f} req/s  p99 {run.p99_ms:6.2f} ms", flush=True)
    return report(args, wrk, runs, warmups, load)


def _row(label: object, raw_rps: float, raw_p99: float, app_rps: float, app_p99: float) -> str:
    raw = f"{raw_rps:>10.0f} {raw_p99:>10.2f}"
    app = f"{app_rps:>10.0f} {app_p99:>10.2f}"
    return f"{label!s:>6} | {raw} | {app} | {app_rps / raw_rps:>7.3f}"


def report(args: argparse.Namespace, wrk: str, runs: list[WrkRun], warmups: list[WrkRun], load: float) -> int:
    raw = [r for r in runs if r.side == "raw"]
    app = [r for r in runs if r.side == "app"]
    raw_rps = statistics.median(r.rps for r in raw)
    app_rps = statistics.median(r.rps for r in app)
    raw_p99 = statistics.median(r.p99_ms for r in raw)
    app_p99 = statistics.median(r.p99_ms for r in app)
    ratio = app_rps / raw_rps
    non_2xx = sum(r.non_2xx for r in runs)
    socket_errors = sum(r.socket_errors for r in runs)
    timeouts = sum(r.timeouts for r in runs)
    errors = non_2xx + socket_errors + timeouts
    ratio_ok = ratio >= TARGET_RATIO
    p99_ok = app_p99 < TARGET_P99_MS
    passed = ratio_ok and p99_ok and errors == 0

    print()
    print(
        f"{'round':>6} | {'raw req/s':>10} {'raw p99 ms':>10} | {'app req/s':>10} {'app p99 ms':>10} | {'app/raw':>7}"
    )
    print("-" * 67)
    for r, a in zip(raw, app, strict=True):
        print(_row(r.round, r.rps, r.p99_ms, a.rps, a.p99_ms))
    print("-" * 67)
    print(_row("median", raw_rps, raw_p99, app_rps, app_p99))
    print()
    print(f"ratio app/raw (median req/s): {ratio:.3f}  target >= {TARGET_RATIO:.2f}  {'PASS' if ratio_ok else 'FAIL'}")
    print(
        f"app p99 (median of runs):     {app_p99:.2f} ms  target < {TARGET_P99_MS:g} ms  {'PASS' if p99_ok else 'FAIL'}"
    )
    if errors:
        print(
            f"errors in the measured runs: {non_2xx} non-2xx, {socket_errors} socket errors, "
            f"{timeouts} timeouts (no answer in 2 s)  FAIL"
        )
    print(f"overall: {'PASS' if passed else 'FAIL'}")

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "endpoint": "PUT /termination/endpoints/{id}",
                "settings": {
                    "rounds": args.rounds,
                    "duration_s": args.duration,
                    "warmup_s": args.warmup,
                    "connections": args.connections,
                    "threads": args.threads,
                },
                "source": source_version(),
                "machine": {
                    "cpus": os.cpu_count(),
                    "platform": platform.platform(),
                    "python": platform.python_version(),
                    "http_stack": http_stack(),
                    "wrk": wrk_version(wrk),
                    "load_average_1min_before": load,
                    "sqlite_synchronous": os.environ.get("OUTBOUND_PROFILES_SQLITE_SYNCHRONOUS", "NORMAL"),
                },
                "medians": {"raw_rps": raw_rps, "app_rps": app_rps, "raw_p99_ms": raw_p99, "app_p99_ms": app_p99},
                "ratio": ratio,
                "targets": {"ratio_min": TARGET_RATIO, "p99_max_ms": TARGET_P99_MS},
                "pass": {"ratio": ratio_ok, "p99": p99_ok, "no_errors": errors == 0, "overall": passed},
                "runs": [asdict(r) for r in runs],
                "warmups": [asdict(r) for r in warmups],
            },
            indent=2,
        )
        + "\n"
    )
    print(f"results: {args.output}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
