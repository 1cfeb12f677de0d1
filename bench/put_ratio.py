"""Throughput of `PUT /termination/endpoints/{id}` (SQLite, one worker) as a ratio of a raw ASGI app's.

Target: app/raw >= 0.30 of the median requests/s, and the app's p99 < 15 ms, at 32
connections, both servers measured in the same run on the same machine with the same uvicorn
options. See bench/README.md for how to read the output.

    .venv/bin/python bench/put_ratio.py [--rounds 5] [--duration 10] [--connections 32] [--threads 1]

Exit status: 0 when both targets are met, 1 when a target is missed (or a run had errors), 2 when
the benchmark could not run (no wrk, a server did not start, the set-up failed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/put_ratio.py` finds `bench`

from bench.harness import (
    BUSY_LOAD,
    RESULTS_DIR,
    BenchError,
    app_command,
    create_user,
    expect,
    http_stack,
    raw_command,
    run_with_wrk,
    server,
    source_version,
)
from bench.wrk import Request, WrkRun, lua_script, run_wrk, wrk_version

RESULTS = RESULTS_DIR / "put_ratio.json"
TARGET_RATIO = 0.30
TARGET_P99_MS = 15.0


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
    return run_with_wrk(
        "put_ratio",
        args,
        measure,
        {"rounds": args.rounds, "duration": args.duration, "connections": args.connections, "threads": args.threads},
    )


def measure(args: argparse.Namespace, wrk: str) -> int:
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="put-ratio-")))
        env = {
            **os.environ,
            "OUTBOUND_PROFILES_DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
            "OUTBOUND_PROFILES_LOG_LEVEL": "warning",
        }
        token = create_user("bench@example.com", env, tmp)["token"]

        # Same uvicorn options for both: one worker, `auto` loop and http, no access log, warnings only.
        app_port = stack.enter_context(server("app", app_command(workers=1), env=env, cwd=tmp))
        raw_port = stack.enter_context(server("raw", raw_command(workers=1), env=env, cwd=tmp))

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

        # Two PUT bodies sent alternately, so every request really changes the profile (an
        # identical body would let the service skip its UPDATE).
        script = tmp / "put.lua"
        script.write_text(lua_script([Request("PUT", path, json.dumps(body)) for body in bodies], f"Bearer {token}"))
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

        def load_run(side: str, round_: int, duration: float) -> WrkRun:
            return run_wrk(
                wrk,
                script,
                ports[side],
                side=side,
                round_=round_,
                threads=args.threads,
                connections=args.connections,
                duration=duration,
            )

        warmups = [load_run(side, 0, args.warmup) for side in ("raw", "app")] if args.warmup > 0 else []
        runs: list[WrkRun] = []
        for round_ in range(1, args.rounds + 1):
            for side in ("raw", "app"):
                run = load_run(side, round_, args.duration)
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
