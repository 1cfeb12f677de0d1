"""Does an authorization cost the same with 10^3 and with 10^6 profiles? Latency, server CPU and RSS.

SQLite (where the data plane holds the connections it decides for in memory, up to 10^6 of each
table, filled as it starts: each scale waits for that before it is measured), one worker, in-process
counters, a default deck of 10^5 prefixes. The profiles (each with one connection of its own, over
`--tenants` tenants) are copies of one made through the API, inserted in bulk by SQLite itself (a
recursive CTE); the table grows scale by scale. At each scale wrk calls random connections of all of
them, with a new call id each. Target: p50 and p99 at the largest scale within 1.2x of the
smallest's; RSS bounded (printed at start, once warmed, and after the run).

    .venv/bin/python bench/authorize_scale.py [--scales 1000,10000,100000,1000000] [--connections 8]

Exit status: 0 within 1.2x, 1 not, 2 could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/authorize_scale.py` finds `bench`

from bench.authorize_ratio import CALLER, PATH, lua
from bench.cpu_per_request import cpu_seconds, server_pid
from bench.dataplane import deck_lines, valid_numbers
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
    rss_mb,
    run_with_wrk,
    server,
    source_version,
)
from bench.seed import PROFILE_NODE, USER_NODE, Layout
from bench.wrk import run_wrk
from outbound_profiles.config import Settings
from outbound_profiles.models.accounts import users
from outbound_profiles.models.connections import connections
from outbound_profiles.models.profiles import outbound_profiles

RESULTS = RESULTS_DIR / "authorize_scale.json"
TARGET_FACTOR = 1.2
CACHE_ENTRIES = Settings().decision_cache_entries
WARM_TIMEOUT_S = 300
_HELD = re.compile(r'outbound_profiles_decision_cache_entries\{table="(\w+)"\} ([0-9.e+]+)')
_PROFILE_ID = f"(((:profile_base_ms + g * 1000) << 22) | ({PROFILE_NODE} << 12))"


def _copy(table_columns: list[str], replaced: dict[str, str]) -> tuple[str, str]:
    columns = [*replaced, *(c for c in table_columns if c not in replaced)]
    values = [*replaced.values(), *(f"t.{c}" for c in table_columns if c not in replaced)]
    return ", ".join(columns), ", ".join(values)


def seed(
    path: Path,
    layout: Layout,
    template_profile: int,
    template_connection: int,
    first: int,
    last: int,
    tenants: int,
    template_user: int,
) -> float:
    """Profiles first .. last, each with its connection, spread over `tenants` tenants (made on the
    first call); seconds taken."""
    began = time.perf_counter()
    params = {
        "profile_base_ms": layout.profile_base_ms,
        "user_base_ms": layout.user_base_ms,
        "first": first,
        "last": last,
        "tenants": tenants,
        "tp": template_profile,
        "tc": template_connection,
        "tu": template_user,
    }
    series = "WITH RECURSIVE s(g) AS (SELECT :first UNION ALL SELECT g + 1 FROM s WHERE g < :last) "
    user_id = f"(((:user_base_ms + (g % :tenants)) << 22) | ({USER_NODE} << 12))"
    db = sqlite3.connect(path, timeout=60)
    try:
        with db:
            if first == 1:
                cols, vals = _copy(
                    [c.name for c in users.c],
                    {
                        "id": f"(((:user_base_ms + g) << 22) | ({USER_NODE} << 12))",
                        "email": "'tenant-' || g || '@bench.example'",
                        "organization_id": "printf('00000000-0000-4000-8000-%012d', g)",
                    },
                )
                db.execute(
                    "WITH RECURSIVE s(g) AS (SELECT 0 UNION ALL SELECT g + 1 FROM s WHERE g < :tenants - 1) "  # noqa: S608
                    f"INSERT INTO users ({cols}) SELECT {vals} FROM s "
                    "CROSS JOIN (SELECT * FROM users WHERE id = :tu) AS t",
                    params,
                )
            cols, vals = _copy(
                [c.name for c in outbound_profiles.c],
                {"id": _PROFILE_ID, "user_id": user_id, "name": "'profile ' || g", "billing_group_id": "NULL"},
            )
            db.execute(
                f"{series}INSERT INTO outbound_profiles ({cols}) SELECT {vals} FROM s "  # noqa: S608
                "CROSS JOIN (SELECT * FROM outbound_profiles WHERE id = :tp) AS t",
                params,
            )
            cols, vals = _copy(
                [c.name for c in connections.c],
                {
                    "id": _PROFILE_ID,
                    "user_id": user_id,
                    "connection_name": "'connection ' || g",
                    "outbound_profile_id": _PROFILE_ID,
                },
            )
            db.execute(
                f"{series}INSERT INTO connections ({cols}) SELECT {vals} FROM s "  # noqa: S608
                "CROSS JOIN (SELECT * FROM connections WHERE id = :tc) AS t",
                params,
            )
    finally:
        db.close()
    return time.perf_counter() - began


def warmed(port: int, connections: int) -> float:
    """Seconds until the server holds `connections` connections and as many profiles in memory for its
    decisions (its caches are filled from the database as it starts); 0 for a version that does not say."""
    began = time.monotonic()
    while time.monotonic() - began < WARM_TIMEOUT_S:
        _, text = call(port, "GET", "/metrics")
        held = _HELD.findall(text if isinstance(text, str) else "")
        if not held:
            return 0.0
        if all(float(count) >= connections for table, count in held if table != "users"):  # each its own profile
            return time.monotonic() - began
        time.sleep(0.2)
    raise BenchError(f"the server did not hold {connections:,} connections within {WARM_TIMEOUT_S} s")


def connection_lua(layout: Layout, profiles: int) -> str:
    """`connection()`: the id of a random seeded connection 1 .. profiles (64-bit, LuaJIT's ULL)."""
    return (
        f"function connection()\n"
        f"  local g = math.random({profiles})\n"
        f"  local id = ({layout.profile_base_ms}ULL + g * 1000ULL) * 4194304ULL + {PROFILE_NODE * 4096}ULL\n"
        f"  return (tostring(id):gsub('ULL', ''))\n"
        f"end"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1000,10000,100000,1000000", help="profiles at each step")
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument(
        "--connections", type=int, default=8, help="wrk connections (default 8: latency, not saturation)"
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--deck-rows", type=int, default=100_000)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--compare-src",
        type=Path,
        help="another version's src directory: its server is run at each scale too, alternating which goes first",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run_with_wrk(
        "authorize_scale",
        args,
        measure,
        {"duration": args.duration, "connections": args.connections, "threads": args.threads},
    )


def measure(args: argparse.Namespace, wrk: str) -> int:
    scales = [int(x) for x in args.scales.split(",")]
    numbers = valid_numbers(4000)
    results: list[dict[str, Any]] = []
    compared_results: list[dict[str, Any]] = []  # --compare-src's, at the same scales
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="authorize-scale-")))
        db_path = tmp / "bench.db"
        env = {
            **os.environ,
            "OUTBOUND_PROFILES_DATABASE_URL": f"sqlite:///{db_path}",
            "OUTBOUND_PROFILES_LOG_LEVEL": "warning",
        }
        env.pop("OUTBOUND_PROFILES_REDIS_URL", None)

        def cli(*words: str) -> dict[str, str]:
            done = subprocess.run(
                [*CLI, *words, "--json"], env=env, cwd=tmp, capture_output=True, text=True, check=True, timeout=600
            )
            answer: dict[str, str] = json.loads(done.stdout) if done.stdout.strip().startswith("{") else {}
            return answer

        user = cli("users", "create", "bench@example.com", "--max-cps", "1000000", "--default-cps", "10")
        token = user["token"]
        switch_token = cli("tokens", "create", "--switch")["token"]
        deck = tmp / "deck.csv"
        deck.write_text("".join(deck_lines(args.deck_rows)))
        cli("rate-decks", "import", str(deck))
        layout = Layout.now()
        template_connection = template_profile = 0
        previous = 0
        load = load_average()
        print(
            f"authorize at growing scales: SQLite, one worker, in-process counters, deck {args.deck_rows:,} rows; "
            f"{args.tenants:,} tenants; wrk -t{args.threads} -c{args.connections} {args.duration:g}s "
            f"after {args.warmup:g}s; "
            f"{os.cpu_count()} CPUs; {http_stack()}; load average {load:.2f}; source {source_version()}",
            flush=True,
        )
        note = busy_note(load)
        if note:
            print(note, flush=True)

        def at_scale(scale: int, seeded_s: float, label: str, server_env: dict[str, str]) -> dict[str, Any]:
            with server(f"app-{scale}{label}", app_command(1), env=server_env, cwd=tmp) as port:
                pid = PIDS[port]
                rss_start = rss_mb(pid)
                warmed_s = warmed(port, min(scale + 1, CACHE_ENTRIES))  # the template's connection too
                rss_warm = rss_mb(pid)
                probe = str(layout.profile_id(scale))
                status, answer = call(
                    port,
                    "POST",
                    PATH,
                    {"call_id": f"probe-{scale}{label}", "connection_id": probe, "to": numbers[0], "from": CALLER},
                    switch_token,
                )
                deadline = time.monotonic() + 60
                while status == 200 and answer.get("rate") is None and time.monotonic() < deadline:  # the deck loads
                    time.sleep(0.2)
                    status, answer = call(
                        port,
                        "POST",
                        PATH,
                        {
                            "call_id": f"probe-{scale}{label}-{time.monotonic()}",
                            "connection_id": probe,
                            "to": numbers[0],
                            "from": CALLER,
                        },
                        switch_token,
                    )
                if status != 200 or answer.get("decision") != "allow" or answer.get("rate") is None:
                    raise BenchError(f"a seeded connection was not allowed and rated: {status} {answer}")
                script = tmp / f"scale{scale}.lua"
                script.write_text(lua(numbers, f"s{scale}{label}", "", switch_token, connection_lua(layout, scale)))
                warm = run_wrk(
                    wrk,
                    script,
                    port,
                    side="app",
                    round_=0,
                    threads=args.threads,
                    connections=args.connections,
                    duration=args.warmup,
                )
                script.write_text(lua(numbers, f"m{scale}{label}", "", switch_token, connection_lua(layout, scale)))
                serving = server_pid(port)  # the process that answers (the command may have started it)
                cpu_before = cpu_seconds(serving)
                run = run_wrk(
                    wrk,
                    script,
                    port,
                    side="app",
                    round_=1,
                    threads=args.threads,
                    connections=args.connections,
                    duration=args.duration,
                )
                cpu_ms = (cpu_seconds(serving) - cpu_before) / max(run.requests, 1) * 1e3
                rss_end = rss_mb(pid)
                errors = run.non_2xx + run.socket_errors + run.timeouts
                print(
                    f"  {scale:>9,} profiles{label}: {run.rps:7.0f} req/s  p50 {run.p50_ms:6.2f} ms  "
                    f"p99 {run.p99_ms:6.2f} ms  server CPU {cpu_ms:.3f} ms a call  "
                    f"errors {errors}  RSS {rss_start:.0f} MiB at start, {rss_warm:.0f} MiB warmed (in "
                    f"{warmed_s:.1f} s), {rss_end:.0f} MiB after {warm.requests + run.requests:,} calls  "
                    f"(load {load_average():.2f})",
                    flush=True,
                )
                return {
                    "profiles": scale,
                    "seed_s": seeded_s,
                    "rss_start_mb": rss_start,
                    "rss_warmed_mb": rss_warm,
                    "warmed_s": warmed_s,
                    "rss_end_mb": rss_end,
                    "server_cpu_ms": cpu_ms,
                    "run": asdict(run),
                    "warmup": asdict(warm),
                }

        for scale_index, scale in enumerate(scales):
            if template_profile == 0:
                with server("setup", app_command(1), env=env, cwd=tmp) as port:
                    template_connection = int(
                        expect(port, "POST", "/security/connections", {"connection_name": "template"}, token)["id"]
                    )
                    template_profile = int(
                        expect(
                            port,
                            "POST",
                            "/termination/endpoints",
                            {
                                "name": "template",
                                "connection_ids": [str(template_connection)],
                                "ports": None,
                                "cps_limit_increase": 1_000_000 - 10,
                                "whitelisted_destination_format": "alpha2",
                                "whitelisted_destinations": ["US", "GB"],
                                "service_plan": 4,
                                "max_destination_rate": 0.5,
                            },
                            token,
                        )["id"]
                    )
            seeded_s = seed(
                db_path,
                layout,
                template_profile,
                template_connection,
                previous + 1,
                scale,
                args.tenants,
                int(user["user_id"]),
            )
            print(
                f"  seeded profiles {previous + 1:,} .. {scale:,} (with their connections): {seeded_s:.1f} s "
                f"({(scale - previous) / seeded_s:,.0f} a second); database {db_path.stat().st_size / 2**20:.0f} MiB",
                flush=True,
            )
            previous = scale
            sides = [("", env)]
            if args.compare_src is not None:
                compared = {**env, "PYTHONPATH": str(args.compare_src)}
                sides = [(" (this)", env), (" (compared)", compared)][:: 1 if scale_index % 2 else -1]
            for label, server_env in sides:
                measured = at_scale(scale, seeded_s, label, server_env)
                (results if server_env is env else compared_results).append(measured)
    first, last = results[0]["run"], results[-1]["run"]
    p50_x = last["p50_ms"] / first["p50_ms"]
    p99_x = last["p99_ms"] / first["p99_ms"]
    ok = (
        p50_x <= TARGET_FACTOR
        and p99_x <= TARGET_FACTOR
        and all(r["run"]["non_2xx"] + r["run"]["socket_errors"] + r["run"]["timeouts"] == 0 for r in results)
    )
    if compared_results:
        cpu_x = [r["server_cpu_ms"] / c["server_cpu_ms"] for r, c in zip(results, compared_results, strict=True)]
        print(
            f"server CPU a call, this source / the compared one, at each scale: {', '.join(f'{x:.2f}' for x in cpu_x)}"
        )
        growth = compared_results[-1]["run"]["p50_ms"] / compared_results[0]["run"]["p50_ms"]
        cpu_growth = compared_results[-1]["server_cpu_ms"] / compared_results[0]["server_cpu_ms"]
        print(f"the compared source: p50 x{growth:.2f}, server CPU a call x{cpu_growth:.2f}")
    cpu_growth = results[-1]["server_cpu_ms"] / results[0]["server_cpu_ms"]
    print(f"server CPU a call x{cpu_growth:.2f}")
    print(
        f"{results[-1]['profiles']:,} vs {results[0]['profiles']:,}: p50 x{p50_x:.2f}, p99 x{p99_x:.2f}  "
        f"target <= {TARGET_FACTOR}  {'PASS' if ok else 'FAIL'}"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "source": source_version(),
                "settings": {k: str(v) for k, v in vars(args).items()},
                "results": results,
                "compared_results": compared_results,
                "pass": ok,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"results: {args.output}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
