"""PUT and GET of `/termination/endpoints/{id}` on PostgreSQL, two workers, as ratios of a raw ASGI app's.

Target (set when PostgreSQL arrived): PUT at 64 connections spread over 64 profiles reaches app/raw >= 0.25 of the
median requests/s, with the app's p99 < 20 ms. The same PUT on one profile (every connection on
one row: row-lock contention) and GET are measured alongside, without a target. Both servers run
`--workers 2` with the same uvicorn options, measured in the same run, alternating. See
bench/README.md for how to read the output.

    .venv/bin/python bench/pg_ratio.py [--rounds 3] [--duration 10] [--connections 64] [--profiles 64]

Needs wrk and a PostgreSQL server on loopback (default postgresql+psycopg://postgres@127.0.0.1:5432,
or --postgres); the database `--database` (default outbound_profiles_bench) is dropped and created
afresh, and dropped at the end unless --keep-database.

Exit status: 0 when both targets are met, 1 when a target is missed (or a run had errors), 2 when
the benchmark could not run (no wrk, no PostgreSQL, a server did not start, the set-up failed).
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
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/pg_ratio.py` finds `bench`

from bench import pg
from bench.harness import (
    RESULTS_DIR,
    BenchError,
    app_command,
    busy_note,
    create_user,
    expect,
    http_stack,
    load_average,
    raw_command,
    run_with_wrk,
    server,
    source_version,
)
from bench.put_ratio import put_bodies
from bench.wrk import Request, WrkRun, lua_script, run_wrk, wrk_version

RESULTS = RESULTS_DIR / "pg_ratio.json"
TARGET_RATIO = 0.25
TARGET_P99_MS = 20.0
SIDES = ("raw", "app")


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    requests: list[Request]
    has_target: bool


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="measured runs of each side per scenario (default 3)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measured run (default 10)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of the warm-up run of each (default 3)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (default 64)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers of both servers (default 2)")
    parser.add_argument("--profiles", type=int, default=64, help="profiles the spread PUT and GET cycle over (64)")
    parser.add_argument("--postgres", default=pg.DEFAULT_SERVER, help=f"server URL (default {pg.DEFAULT_SERVER})")
    parser.add_argument("--database", default="outbound_profiles_bench", help="database to (re)create")
    parser.add_argument("--keep-database", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"JSON results (default {RESULTS})")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run_with_wrk(
        "pg_ratio",
        args,
        measure,
        {
            "rounds": args.rounds,
            "duration": args.duration,
            "connections": args.connections,
            "threads": args.threads,
            "workers": args.workers,
            "profiles": args.profiles,
        },
    )


def set_up_profiles(port: int, token: str, count: int) -> tuple[list[str], list[tuple[dict[str, Any], ...]]]:
    """`count` profiles, each with two connections of its own, and the two PUT bodies of each
    (put_ratio's 20-field bodies); every body is applied once and checked."""
    group_id = expect(port, "POST", "/billing_groups", {"name": "bench"}, token)["id"]
    ids: list[str] = []
    bodies: list[tuple[dict[str, Any], ...]] = []
    for n in range(count):
        connection_ids = [
            expect(port, "POST", "/security/connections", {"connection_name": f"bench-{n}-{k}"}, token)["id"]
            for k in (1, 2)
        ]
        profile = expect(port, "POST", "/termination/endpoints", {"connection_ids": connection_ids}, token)
        pair = put_bodies(group_id, connection_ids)
        for body in pair:
            answer = expect(port, "PUT", f"/termination/endpoints/{profile['id']}", body, token)
            if answer.get("ports") != body["ports"] or len(answer.get("connections", [])) != 2:
                raise BenchError(f"the app did not apply the PUT: {answer}")
        ids.append(profile["id"])
        bodies.append(pair)
    return ids, bodies


def scenarios(ids: list[str], bodies: list[tuple[dict[str, Any], ...]]) -> list[Scenario]:
    def put(i: int, variant: int) -> Request:
        return Request("PUT", f"/termination/endpoints/{ids[i]}", json.dumps(bodies[i][variant]))

    # Round-robin: the first body to every profile, then the second to every profile, so each PUT
    # changes its profile, and the requests in flight at one time are on different profiles.
    spread = [put(i, variant) for variant in (0, 1) for i in range(len(ids))]
    return [
        Scenario("put", f"PUT, {len(ids)} profiles round-robin", spread, has_target=True),
        Scenario("put-one", "PUT, one profile (all connections on one row)", [put(0, 0), put(0, 1)], False),
        Scenario(
            "get",
            f"GET, {len(ids)} profiles round-robin",
            [Request("GET", f"/termination/endpoints/{i}") for i in ids],
            False,
        ),
    ]


def measure(args: argparse.Namespace, wrk: str) -> int:
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pg-ratio-")))
        url = stack.enter_context(pg.fresh_database(args.postgres, args.database, keep=args.keep_database))
        # The control plane alone: several workers need Redis for the data plane's counters.
        env = {
            **os.environ,
            "OUTBOUND_PROFILES_DATABASE_URL": url,
            "OUTBOUND_PROFILES_LOG_LEVEL": "warning",
            "OUTBOUND_PROFILES_DATA_PLANE": "off",
        }
        token = create_user("bench@example.com", env, tmp)["token"]
        app_port = stack.enter_context(server("app", app_command(args.workers), env=env, cwd=tmp))
        ids, bodies = set_up_profiles(app_port, token, args.profiles)

        # Each raw worker starts with the service's own answers for these profiles (its GET load).
        seed = tmp / "raw-profiles.json"
        seed.write_text(
            json.dumps({i: expect(app_port, "GET", f"/termination/endpoints/{i}", None, token) for i in ids})
        )
        raw_env = {**env, "RAW_ASGI_PROFILES": str(seed)}
        raw_port = stack.enter_context(server("raw", raw_command(args.workers), env=raw_env, cwd=tmp))
        for i in ids:
            expect(raw_port, "GET", f"/termination/endpoints/{i}", None, None)

        cases = scenarios(ids, bodies)
        scripts: dict[str, Path] = {}
        for case in cases:
            scripts[case.name] = tmp / f"{case.name}.lua"
            scripts[case.name].write_text(lua_script(case.requests, f"Bearer {token}"))
        ports = {"raw": raw_port, "app": app_port}
        settings = pg.server_settings(url)
        load = load_average()
        print(
            f"PostgreSQL {settings['server_version']} (shared_buffers {settings['shared_buffers']}, "
            f"synchronous_commit {settings['synchronous_commit']}, fsync {settings['fsync']}); "
            f"both servers --workers {args.workers}; PUT body {len(json.dumps(bodies[0][0]))} bytes, "
            f"{len(bodies[0][0])} fields; wrk -t{args.threads} -c{args.connections}, {args.rounds} x "
            f"{args.duration:g}s per scenario and side, alternating; {os.cpu_count()} CPUs; {http_stack()}; "
            f"load average {load:.2f}; source {source_version()}",
            flush=True,
        )
        note = busy_note(load)
        if note:
            print(note, flush=True)

        def load_run(case: Scenario, side: str, round_: int, duration: float) -> WrkRun:
            return run_wrk(
                wrk,
                scripts[case.name],
                ports[side],
                side=side,
                round_=round_,
                threads=args.threads,
                connections=args.connections,
                duration=duration,
            )

        stats = stack.enter_context(psycopg.connect(pg.conninfo(url), autocommit=True))
        warmups: dict[str, list[WrkRun]] = {case.name: [] for case in cases}
        runs: dict[str, list[WrkRun]] = {case.name: [] for case in cases}
        activities = {case.name: pg.Activity(0, 0, 0) for case in cases}  # of the app's measured runs
        if args.warmup > 0:
            for case in cases:
                warmups[case.name] = [load_run(case, side, 0, args.warmup) for side in SIDES]
        for round_ in range(1, args.rounds + 1):
            for case in cases:
                for side in SIDES:
                    before = pg.activity(stats)
                    run = load_run(case, side, round_, args.duration)
                    if side == "app":
                        activities[case.name] += pg.activity(stats) - before
                    runs[case.name].append(run)
                    print(
                        f"  round {round_} {case.name:<7} {side}: {run.rps:9.0f} req/s  p99 {run.p99_ms:7.2f} ms",
                        flush=True,
                    )
    return report(args, wrk, cases, runs, warmups, activities, load, settings)


@dataclass(frozen=True)
class Summary:
    raw_rps: float
    app_rps: float
    raw_p99_ms: float
    app_p99_ms: float
    errors: int

    @property
    def ratio(self) -> float:
        return self.app_rps / self.raw_rps

    @classmethod
    def of(cls, runs: list[WrkRun]) -> Summary:
        raw = [r for r in runs if r.side == "raw"]
        app = [r for r in runs if r.side == "app"]
        return cls(
            raw_rps=statistics.median(r.rps for r in raw),
            app_rps=statistics.median(r.rps for r in app),
            raw_p99_ms=statistics.median(r.p99_ms for r in raw),
            app_p99_ms=statistics.median(r.p99_ms for r in app),
            errors=sum(r.non_2xx + r.socket_errors + r.timeouts for r in runs),
        )


def _row(label: object, raw_rps: float, raw_p99: float, app_rps: float, app_p99: float) -> str:
    raw = f"{raw_rps:>10.0f} {raw_p99:>10.2f}"
    app = f"{app_rps:>10.0f} {app_p99:>10.2f}"
    return f"{label!s:>6} | {raw} | {app} | {app_rps / raw_rps:>7.3f}"


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(
    args: argparse.Namespace,
    wrk: str,
    cases: list[Scenario],
    runs: dict[str, list[WrkRun]],
    warmups: dict[str, list[WrkRun]],
    activities: dict[str, pg.Activity],
    load: float,
    settings: dict[str, str],
) -> int:
    summaries = {case.name: Summary.of(runs[case.name]) for case in cases}
    header = (
        f"{'round':>6} | {'raw req/s':>10} {'raw p99 ms':>10} | {'app req/s':>10} {'app p99 ms':>10} | {'app/raw':>7}"
    )
    for case in cases:
        s = summaries[case.name]
        print()
        print(f"{case.title} [{case.name}]")
        print(header)
        print("-" * 67)
        raw = [r for r in runs[case.name] if r.side == "raw"]
        app = [r for r in runs[case.name] if r.side == "app"]
        for r, a in zip(raw, app, strict=True):
            print(_row(r.round, r.rps, r.p99_ms, a.rps, a.p99_ms))
        print("-" * 67)
        print(_row("median", s.raw_rps, s.raw_p99_ms, s.app_rps, s.app_p99_ms))

    print()
    passed = True
    for case in cases:
        s = summaries[case.name]
        line = f"{case.name:<7} ratio app/raw {s.ratio:.3f}  app p99 {s.app_p99_ms:7.2f} ms"
        if case.has_target:
            ratio_ok, p99_ok = s.ratio >= TARGET_RATIO, s.app_p99_ms < TARGET_P99_MS
            passed = passed and ratio_ok and p99_ok
            line += (
                f"  targets: ratio >= {TARGET_RATIO:.2f} {_verdict(ratio_ok)}, "
                f"p99 < {TARGET_P99_MS:g} ms {_verdict(p99_ok)}"
            )
        else:
            line += "  (no target)"
        print(line)
    print()
    print("PostgreSQL during the app's measured runs (pg_stat_database; counters lag up to a second):")
    for case in cases:
        done = sum(r.requests for r in runs[case.name] if r.side == "app")
        spent = activities[case.name]
        print(
            f"{case.name:<7} {(spent.commits + spent.rollbacks) / max(done, 1):.2f} transactions per request "
            f"(the pool's pre-ping is one); {spent.sessions} connections opened "
            f"({1000 * spent.sessions / max(done, 1):.1f} per 1,000 requests)"
        )
    errors = sum(s.errors for s in summaries.values())
    if errors:
        passed = False
        detail = ", ".join(f"{name} {s.errors}" for name, s in summaries.items() if s.errors)
        print(f"errors in the measured runs (non-2xx, socket errors, timeouts of 2 s): {detail}  FAIL")
    print(f"overall: {_verdict(passed)}")

    args.output.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "endpoint": "PUT and GET /termination/endpoints/{id} on PostgreSQL",
        "settings": {
            "rounds": args.rounds,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "threads": args.threads,
            "workers": args.workers,
            "profiles": args.profiles,
        },
        "source": source_version(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "http_stack": http_stack(),
            "wrk": wrk_version(wrk),
            "load_average_1min_before": load,
            "postgresql": settings,
        },
        "targets": {"scenario": "put", "ratio_min": TARGET_RATIO, "p99_max_ms": TARGET_P99_MS},
        "scenarios": {
            case.name: {
                "title": case.title,
                "medians": asdict(summaries[case.name]),
                "ratio": summaries[case.name].ratio,
                "runs": [asdict(r) for r in runs[case.name]],
                "warmups": [asdict(r) for r in warmups[case.name]],
                "postgresql_activity": asdict(activities[case.name]),
            }
            for case in cases
        },
        "pass": passed,
    }
    args.output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"results: {args.output}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
