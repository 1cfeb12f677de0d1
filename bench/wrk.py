"""Runs of wrk against a server on loopback, driven by a Lua script that cycles through fixed requests.

The requests are formatted once per wrk thread (`init`) and sent in order, round-robin; `done`
prints exact figures (latencies in microseconds) on one line, which `run_wrk` parses.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.harness import HOST, BenchError


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


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: str | None = None  # JSON text, sent with Content-Type: application/json


_LUA = """\
local specs = {{
{specs}
}}
local requests = {{}}
local i = 0

function init(args)
  for k, spec in ipairs(specs) do
    local headers = {{ ["Authorization"] = {authorization} }}
    if spec.body then
      headers["Content-Type"] = "application/json"
    end
    requests[k] = wrk.format(spec.method, spec.path, headers, spec.body)
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


def lua_script(requests: Sequence[Request], authorization: str) -> str:
    """A wrk script sending `requests` in turn (round-robin over all connections of a thread), each
    with `Authorization: <authorization>` (and `Content-Type: application/json` when it has a body)."""
    if not requests:
        raise ValueError("a wrk script needs at least one request")
    specs = []
    for r in requests:
        body = "nil" if r.body is None else lua_string(r.body)
        specs.append(f"  {{ method = {lua_string(r.method)}, path = {lua_string(r.path)}, body = {body} }},")
    return _LUA.format(specs="\n".join(specs), authorization=lua_string(authorization))


def run_wrk(
    wrk: str,
    script: Path,
    port: int,
    *,
    side: str,
    round_: int,
    threads: int,
    connections: int,
    duration: float,
) -> WrkRun:
    return run_wrk_output(
        wrk, script, port, side=side, round_=round_, threads=threads, connections=connections, duration=duration
    )[0]


def run_wrk_output(
    wrk: str,
    script: Path,
    port: int,
    *,
    side: str,
    round_: int,
    threads: int,
    connections: int,
    duration: float,
) -> tuple[WrkRun, str]:
    """`run_wrk`, with wrk's standard output (for what a script's `done` prints besides its result)."""
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
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
    run = WrkRun(
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
    return run, result.stdout


def wrk_version(wrk: str) -> str:
    result = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10, check=False)
    return (result.stdout or result.stderr).strip().splitlines()[0] if (result.stdout or result.stderr) else "?"
