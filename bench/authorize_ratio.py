"""Throughput of `POST /termination/authorizations` as a ratio of a raw ASGI app's, in one run.

Target: app/raw >= 0.30 of the median requests/s on the allow path, and the app's p99 < 10 ms,
at 32 connections; SQLite, one worker, in-process counters, a default deck of 10^5 prefixes.
The deny path (a number outside the whitelist) is measured the same way and reported beside it,
and so is the pair path: authorizes and ends alternating, each end writing its call's record
(target >= 0.25 of the raw app answering the same requests).
See bench/README.md.

    .venv/bin/python bench/authorize_ratio.py [--rounds 3] [--duration 10] [--deck-rows 100000]
    .venv/bin/python bench/authorize_ratio.py --redis redis://127.0.0.1:6379/11 --workers 2
    .venv/bin/python bench/authorize_ratio.py --floor

`--floor` runs a third server beside the two: the raw app writing each allowed call to SQLite before
it answers, and each end to its row (bench/raw_asgi.py, `RAW_ASGI_CALLS_DB`), on the allow and pair
paths. Its ratio to the raw app is what recording calls durably costs before any rule is checked.

Exit status: 0 both targets met on the allow path, 1 a target missed (or errors), 2 could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/authorize_ratio.py` finds `bench`

from bench.cpu_per_request import cpu_seconds, server_pid
from bench.dataplane import DENIED_NUMBER, deck_lines, valid_numbers
from bench.harness import (
    CLI,
    PIDS,
    RESULTS_DIR,
    BenchError,
    app_command,
    busy_note,
    call,
    expect,
    http_stack,
    load_average,
    raw_command,
    rss_mb,
    run_with_wrk,
    server,
    source_version,
)
from bench.wrk import WrkRun, lua_string, run_wrk_output

RESULTS = RESULTS_DIR / "authorize_ratio.json"
TARGET_RATIO = 0.30
TARGET_PAIR_RATIO = 0.25  # authorize and end alternating, the end writing the call's record
PATHS = ("allow", "deny", "pair")
TARGET_P99_MS = 10.0
PATH = "/termination/authorizations"
CALLER = "+13125550100"

# Each request: a new call id (run label, wrk thread, counter) and a number drawn from `numbers`.
# `response` counts the answers that are allows, so a run proves which path it measured.
_LUA = """\
local numbers = {{ {numbers} }}
local label = {label}
local pairs_mode = {pairs_mode}
local lag = 256  -- an end names the call authorized this many requests before: long since answered
{connection}
local headers = {{ ["Authorization"] = {authorization}, ["Content-Type"] = "application/json" }}
local threads = {{}}
local created = 0
local n = 0
allowed = 0  -- global: done() reads it with thread:get
other = ""  -- the first answer that was not an allow

function setup(thread)
  created = created + 1
  thread:set("tid", created)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(tid * 7919 + 17)
end

function request()
  n = n + 1
  -- n > lag + 2: wrk asks for one request at start-up that it never sends (call 1)
  if pairs_mode and n % 2 == 0 and n > lag + 2 then
    local path = string.format("{path}/%s-%d-%d/end", label, tid, n - lag - 1)
    return wrk.format("POST", path, headers, '{{"duration_seconds":30}}')
  end
  local body = string.format('{{"call_id":"%s-%d-%d","connection_id":"%s","to":"%s","from":"{caller}"}}',
    label, tid, n, connection(), numbers[math.random(#numbers)])
  return wrk.format("POST", "{path}", headers, body)
end

function response(status, headers, body)
  if string.find(body, '"decision":"allow"', 1, true) or string.find(body, '"end_reason":"completed"', 1, true) then
    allowed = allowed + 1
  elseif other == "" then
    other = body
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local total_allowed = 0
  for _, thread in ipairs(threads) do
    total_allowed = total_allowed + thread:get("allowed")
  end
  io.write(string.format("BENCH_RESULT %d %d %d %d %d %d %d %d %d %d\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
  io.write(string.format("BENCH_ALLOWED %d\\n", total_allowed))
  io.write("BENCH_OTHER " .. threads[1]:get("other") .. "\\n")
end
"""


def lua(
    numbers: list[str],
    label: str,
    connection_id: str,
    token: str,
    connection_lua: str | None = None,
    *,
    pairs: bool = False,
) -> str:
    """The script of one run: `connection_lua` defines `connection()`, the connection id (text) of
    each request (default: always `connection_id`); with `pairs`, every other request ends a call
    authorized before (its answers count as allowed when they are records of a completed call)."""
    if connection_lua is None:
        connection_lua = f"function connection() return {lua_string(connection_id)} end"
    return _LUA.format(
        numbers=", ".join(f'"{n}"' for n in numbers),
        label=lua_string(label),
        pairs_mode="true" if pairs else "false",
        connection=connection_lua,
        authorization=lua_string(f"Bearer {token}"),
        caller=CALLER,
        path=PATH,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="measured runs of each side and path (default 3)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measured run (default 10)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of the warm-up run of each (default 3)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers of both servers (default 1)")
    parser.add_argument("--deck-rows", type=int, default=100_000, help="prefixes in the default deck (default 10^5)")
    parser.add_argument("--numbers", type=int, default=4000, help="distinct valid numbers called (default 4000)")
    parser.add_argument("--redis", default=None, help="OUTBOUND_PROFILES_REDIS_URL (default: in-process counters)")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--floor", action="store_true", help="also run the raw app recording calls durably")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"JSON results (default {RESULTS})")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    positive = {"rounds": args.rounds, "duration": args.duration, "connections": args.connections}
    return run_with_wrk("authorize_ratio", args, measure, {**positive, "threads": args.threads})


def _wait_for_deck(port: int, profile_id: str, token: str, timeout_s: float = 120.0) -> float:
    """Seconds until a simulated call is rated (the server loaded the default deck)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        answer = expect(
            port, "POST", f"/termination/endpoints/{profile_id}/actions/simulate_call", {"to": "+12025550123"}, token
        )
        if answer["figures"]["rate"] is not None:
            return time.monotonic() - started
        time.sleep(0.1)
    raise BenchError("the server did not load the default deck in time")


def measure(args: argparse.Namespace, wrk: str) -> int:
    numbers = valid_numbers(args.numbers)
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="authorize-ratio-")))
        env = {
            **os.environ,
            "OUTBOUND_PROFILES_DATABASE_URL": args.database_url or f"sqlite:///{tmp / 'bench.db'}",
            "OUTBOUND_PROFILES_LOG_LEVEL": "warning",
        }
        if args.redis:
            env["OUTBOUND_PROFILES_REDIS_URL"] = args.redis
        else:
            env.pop("OUTBOUND_PROFILES_REDIS_URL", None)
        cps = 1_000_000
        created = subprocess.run(
            [*CLI, "users", "create", "bench@example.com", "--json", "--max-cps", str(cps), "--default-cps", "10"],
            env=env,
            cwd=tmp,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        token = json.loads(created.stdout)["token"]
        switch = subprocess.run(
            [*CLI, "tokens", "create", "--switch", "--json"],
            env=env,
            cwd=tmp,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        switch_token = json.loads(switch.stdout)["token"]
        app_port = stack.enter_context(server("app", app_command(workers=args.workers), env=env, cwd=tmp))
        raw_port = stack.enter_context(server("raw", raw_command(workers=args.workers), env=env, cwd=tmp))
        ports = {"raw": raw_port, "app": app_port}
        if args.floor:
            floor_env = {**env, "RAW_ASGI_CALLS_DB": str(tmp / "floor.db")}
            ports["floor"] = stack.enter_context(server("floor", raw_command(args.workers), env=floor_env, cwd=tmp))

        connection_id = expect(app_port, "POST", "/security/connections", {"connection_name": "bench"}, token)["id"]
        profile = expect(
            app_port,
            "POST",
            "/termination/endpoints",
            {
                "name": "bench",
                "connection_ids": [connection_id],
                "ports": None,
                "cps_limit_increase": cps - 10,
                "whitelisted_destination_format": "alpha2",
                "whitelisted_destinations": ["US", "GB"],
                "service_plan": 4,
                "max_destination_rate": 0.5,
                "usage_payment_method": "rate-deck",
            },
            token,
        )
        time.sleep(1.0)
        rss_before = rss_mb(PIDS[app_port])
        deck = tmp / "deck.csv"
        deck.write_text("".join(deck_lines(args.deck_rows)))
        started = time.monotonic()
        subprocess.run(
            [*CLI, "rate-decks", "import", str(deck), "--json"],
            env=env,
            cwd=tmp,
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
        import_s = time.monotonic() - started
        loaded_s = _wait_for_deck(app_port, profile["id"], token)
        time.sleep(1.0)
        rss_after = rss_mb(PIDS[app_port])
        print(
            f"deck of {args.deck_rows:,} prefixes: import {import_s:.1f} s, "
            f"loaded by the server {loaded_s:.1f} s later; "
            f"server RSS {rss_before:.1f} MiB before, {rss_after:.1f} MiB after (+{rss_after - rss_before:.1f})",
            flush=True,
        )
        for to, want in ((numbers[0], "allow"), (DENIED_NUMBER, "deny")):
            status, answer = call(
                app_port,
                "POST",
                PATH,
                {"call_id": f"check-{want}", "connection_id": connection_id, "to": to, "from": CALLER},
                switch_token,
            )
            if status != 200 or answer.get("decision") != want:
                raise BenchError(f"the check of the {want} path answered {status}: {answer}")
        status, _ = call(
            raw_port, "POST", PATH, {"call_id": "x", "connection_id": connection_id, "to": numbers[0], "from": CALLER}
        )
        if status != 200:
            raise BenchError(f"the raw app answered {status}")

        load = load_average()
        counters = f"Redis {args.redis}" if args.redis else "in-process counters"
        database = "PostgreSQL" if args.database_url and args.database_url.startswith("postgres") else "SQLite"
        print(
            f"POST {PATH}: {database}, {counters}, --workers {args.workers}; {len(numbers)} valid US/GB numbers, "
            f"a new call id each; wrk -t{args.threads} -c{args.connections}, {args.rounds} x {args.duration:g}s "
            f"alternating; {os.cpu_count()} CPUs; {http_stack()}; load average {load:.2f}; source {source_version()}",
            flush=True,
        )
        note = busy_note(load)
        if note:
            print(note, flush=True)

        allowed: dict[tuple[str, str, int], int] = {}
        # Each server's CPU per request (user + system of its process, one worker): it moves far less
        # with the machine's load than requests/s, and the raw app's says what a request costs uvicorn.
        pids = {side: server_pid(port) for side, port in ports.items()} if args.workers == 1 else {}
        cpu_us: dict[tuple[str, str, int], float] = {}

        def load_run(path_: str, side: str, round_: int, duration: float) -> WrkRun:
            label = f"{path_}{side}{round_}"
            script = tmp / f"{label}.lua"
            chosen = [DENIED_NUMBER] if path_ == "deny" else numbers
            script.write_text(lua(chosen, label, connection_id, switch_token, pairs=path_ == "pair"))
            pid = pids.get(side)
            cpu_before = cpu_seconds(pid) if pid is not None else 0.0
            run, out = run_wrk_allowed(wrk, script, ports[side], side=side, round_=round_, args=args, duration=duration)
            if pid is not None:
                cpu_us[(path_, side, round_)] = (cpu_seconds(pid) - cpu_before) / max(run.requests, 1) * 1e6
            allowed[(path_, side, round_)] = out
            return run

        warmups = []
        if args.warmup > 0:
            warmups = [load_run(p, s, 0, args.warmup) for p in PATHS for s in _sides(p, args)]
        runs: dict[str, list[WrkRun]] = {p: [] for p in PATHS}
        for round_ in range(1, args.rounds + 1):
            for path_ in PATHS:
                for side in _sides(path_, args):
                    run = load_run(path_, side, round_, args.duration)
                    runs[path_].append(run)
                    share = allowed[(path_, side, round_)] / max(run.requests, 1)
                    key = (path_, side, round_)
                    cpu = f"  CPU {cpu_us[key]:.0f} us/request" if key in cpu_us else ""
                    print(
                        f"  round {round_} {path_:5} {side}: {run.rps:8.0f} req/s  p99 {run.p99_ms:6.2f} ms  "
                        f"allowed {share:.1%}{cpu}",
                        flush=True,
                    )
        rss_end = rss_mb(PIDS[app_port])
        active = sum(v for (p, s, _), v in allowed.items() if s == "app" and p == "allow")
    return report(
        args,
        runs,
        warmups,
        allowed,
        load,
        {
            "deck_rows": args.deck_rows,
            "import_s": import_s,
            "loaded_after_s": loaded_s,
            "rss_before_deck_mb": rss_before,
            "rss_after_deck_mb": rss_after,
            "rss_end_mb": rss_end,
            "active_calls_at_end": active,
            "database": database,
            "counters": counters,
            "cpu_us_per_request": {
                side: {p: [v for (q, s, _), v in sorted(cpu_us.items()) if (q, s) == (p, side)] for p in PATHS}
                for side in ("raw", "floor", "app")
            },
        },
    )


def _sides(path_: str, args: argparse.Namespace) -> tuple[str, ...]:
    """The servers a path is run on, in order: the floor records allows and ends, so not for denials."""
    return ("raw", "floor", "app") if args.floor and path_ != "deny" else ("raw", "app")


def run_wrk_allowed(
    wrk: str, script: Path, port: int, *, side: str, round_: int, args: argparse.Namespace, duration: float
) -> tuple[WrkRun, int]:
    """`run_wrk`, plus the count of allow answers the script saw (it prints it after its result)."""
    run, out = run_wrk_output(
        wrk,
        script,
        port,
        side=side,
        round_=round_,
        threads=args.threads,
        connections=args.connections,
        duration=duration,
    )
    found = re.search(r"^BENCH_ALLOWED (\d+)$", out, re.MULTILINE)
    if found is None:
        raise BenchError(f"wrk printed no count of allows:\n{out}")
    other = re.search(r"^BENCH_OTHER (.*)$", out, re.MULTILINE)
    if other and other.group(1) and (side, "allow") == ("app", script.stem[:5]):
        print(f"  an answer that was not an allow: {other.group(1)[:300]}", flush=True)
    return run, int(found.group(1))


def report(
    args: argparse.Namespace,
    runs: dict[str, list[WrkRun]],
    warmups: list[WrkRun],
    allowed: dict[tuple[str, str, int], int],
    load: float,
    extra: dict[str, Any],
) -> int:
    summary: dict[str, Any] = {}
    print()
    for path_, measured in runs.items():
        raw = [r for r in measured if r.side == "raw"]
        app = [r for r in measured if r.side == "app"]
        raw_rps = statistics.median(r.rps for r in raw)
        app_rps = statistics.median(r.rps for r in app)
        app_p99 = statistics.median(r.p99_ms for r in app)
        app_p50 = statistics.median(r.p50_ms for r in app)
        errors = sum(r.non_2xx + r.socket_errors + r.timeouts for r in measured)
        summary[path_] = {
            "raw_rps": raw_rps,
            "app_rps": app_rps,
            "ratio": app_rps / raw_rps,
            "app_p50_ms": app_p50,
            "app_p99_ms": app_p99,
            "errors": errors,
            "ratios": [a.rps / r.rps for r, a in zip(raw, app, strict=True)],
        }
        ratios = " ".join(f"{x:.3f}" for x in summary[path_]["ratios"])
        cpu = extra["cpu_us_per_request"]["app"][path_]
        raw_cpu = extra["cpu_us_per_request"]["raw"][path_]
        summary[path_]["app_cpu_us_per_request"] = statistics.median(cpu) if cpu else None
        summary[path_]["raw_cpu_us_per_request"] = statistics.median(raw_cpu) if raw_cpu else None
        print(
            f"{path_:5}  raw {raw_rps:8.0f} req/s  app {app_rps:8.0f} req/s  ratio {app_rps / raw_rps:.3f} "
            f"(rounds {ratios})  app p50 {app_p50:.2f} ms p99 {app_p99:.2f} ms  errors {errors}"
            + (f"  app CPU {statistics.median(cpu):.0f} us/request" if cpu else "")
        )
        if cpu and raw_cpu:
            # With each server on one core, the ratio of requests/s is about the inverse ratio of CPU.
            print(
                f"{'':5}  CPU a request: raw {statistics.median(raw_cpu):.0f} us, app {statistics.median(cpu):.0f} us: "
                f"raw/app {statistics.median(raw_cpu) / statistics.median(cpu):.3f}"
            )
        floor = [r for r in measured if r.side == "floor"]
        if floor:
            floor_rps = statistics.median(r.rps for r in floor)
            summary[path_]["floor_rps"] = floor_rps
            summary[path_]["floor_ratio"] = floor_rps / raw_rps
            print(
                f"{'':5}  floor (raw app recording calls) {floor_rps:8.0f} req/s: {floor_rps / raw_rps:.3f} of raw; "
                f"the app is {app_rps / floor_rps:.3f} of the floor"
            )
    allow = summary["allow"]
    ratio_ok = allow["ratio"] >= TARGET_RATIO
    p99_ok = allow["app_p99_ms"] < TARGET_P99_MS
    passed = ratio_ok and p99_ok and all(summary[p]["errors"] == 0 for p in PATHS)
    print(f"allow ratio {allow['ratio']:.3f}  target >= {TARGET_RATIO:.2f}  {'PASS' if ratio_ok else 'FAIL'}")
    print(f"allow p99   {allow['app_p99_ms']:.2f} ms  target < {TARGET_P99_MS:g} ms  {'PASS' if p99_ok else 'FAIL'}")
    pair = summary["pair"]
    pair_ok = pair["ratio"] >= TARGET_PAIR_RATIO
    print(f"pair ratio  {pair['ratio']:.3f}  target >= {TARGET_PAIR_RATIO:.2f}  {'PASS' if pair_ok else 'FAIL'}")
    print(
        f"active calls left by the allow runs: {extra['active_calls_at_end']:,}; "
        f"server RSS at the end {extra['rss_end_mb']:.1f} MiB"
    )
    print(f"overall: {'PASS' if passed else 'FAIL'}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "settings": {k: str(v) for k, v in vars(args).items()},
                "source": source_version(),
                "load_average_1min_before": load,
                "cpus": os.cpu_count(),
                "summary": summary,
                "setup": extra,
                "pass": passed,
                "runs": {p: [asdict(r) for r in rs] for p, rs in runs.items()},
                "allowed": {f"{p}-{s}-{r}": v for (p, s, r), v in allowed.items()},
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
