"""PUT and GET on PostgreSQL as shares of what PostgreSQL itself does: pgbench in the same run.

The yardstick of the service on PostgreSQL is PostgreSQL: `pgbench`, a C client, running the
transaction a `PUT /termination/endpoints/{id}` runs (the same six statements: BEGIN, the profile
`FOR UPDATE`, its connections, the body's connections `FOR UPDATE`, the UPDATE, COMMIT), with the
same concurrency over the same profiles. The service (`serve --workers 2`, the control plane) gets
the PUTs over HTTP from wrk at as many connections. Rounds alternate pgbench and the service.

Targets: the service's PUT at least 0.5 of pgbench's transactions/s, its p99 under 100 ms; GET of
one profile at least 0.8 of the same service's GET on SQLite (a second server on a SQLite file,
same data, same load), in the same run.

    .venv/bin/python bench/pg_pgbench.py [--rounds 3] [--duration 8] [--connections 64] [--profiles 64]

Needs wrk, pgbench and a PostgreSQL server on loopback (the database `outbound_profiles_pgbench` is
made afresh and dropped at the end). Exit status: 0 targets met, 1 missed, 2 could not run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/pg_pgbench.py` finds `bench`

from bench import pg
from bench.harness import (
    PIDS,
    BenchError,
    app_command,
    busy_note,
    cpu_seconds,
    create_user,
    load_average,
    percentile,
    server,
    source_version,
)
from bench.pg_ratio import scenarios, set_up_profiles
from bench.wrk import Request, WrkRun, lua_script, run_wrk

TARGET_PUT = 0.5
TARGET_PUT_P99_MS = 100.0
TARGET_GET = 0.8
TARGET_PUT_CPU_US = 300.0


@dataclass(frozen=True)
class Run:
    wrk: WrkRun
    cpu_us: float  # the server's CPU time (all its processes) over the requests answered


_TPS = re.compile(r"tps = ([0-9.]+) \(without initial connection time\)")


def put_like(connection: psycopg.Connection[tuple[object, ...]], profile_id: str) -> str:
    """pgbench's script of one profile's PUT: the service's statements, with this profile's ids."""
    row = connection.execute("SELECT user_id FROM outbound_profiles WHERE id = %s", (int(profile_id),)).fetchone()
    assert row is not None
    query = "SELECT id FROM connections WHERE outbound_profile_id = %s"
    ids = ", ".join(str(r[0]) for r in connection.execute(query, (int(profile_id),)))
    mine = f"user_id = {row[0]} AND id"
    statements = [
        "\\set variant random(0, 1)",
        "BEGIN;",
        f"SELECT * FROM outbound_profiles WHERE {mine} = {profile_id} FOR UPDATE;",  # noqa: S608 (ids from the database)
        "SELECT id, connection_name, active, outbound_profile_id FROM connections",
        f"  WHERE outbound_profile_id IN ({profile_id}) ORDER BY attach_position, id;",
        f"SELECT id, outbound_profile_id FROM connections WHERE {mine} IN ({ids}) ORDER BY id FOR UPDATE;",  # noqa: S608
        "UPDATE outbound_profiles SET name = 'bench profile ' || :variant, ports = 10 + :variant,",
        f"  version = version + 1, updated_at = now() WHERE {mine} = {profile_id};",
        "COMMIT;",
    ]
    return "\n".join(statements) + "\n"


@dataclass(frozen=True)
class Pgbench:
    tps: float
    p50_ms: float
    p99_ms: float


def pgbench(binary: str, url: str, scripts: list[Path], clients: int, duration: float, logs: Path) -> Pgbench:
    """Transactions/s of pgbench running `scripts` (each as likely), and the latencies of its
    transactions (its per-transaction log, written under `logs`)."""
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir()
    command = [binary, "-n", "-M", "extended", "-c", str(clients), "-j", "2", "-T", str(int(duration))]
    command += ["--log", f"--log-prefix={logs / 'pgbench'}"]
    for script in scripts:
        command += ["-f", f"{script}@1"]
    done = subprocess.run(
        [*command, pg.conninfo(url)], capture_output=True, text=True, timeout=duration + 120, check=False
    )
    tps = _TPS.search(done.stdout)
    if done.returncode != 0 or tps is None:
        raise BenchError(f"pgbench failed (exit {done.returncode}):\n{done.stdout[-1500:]}\n{done.stderr[-1500:]}")
    # Each line: client, transaction number, its latency in microseconds, script, time (s, us).
    latencies = [int(line.split()[2]) / 1000 for log in logs.iterdir() for line in log.read_text().splitlines()]
    if not latencies:
        raise BenchError("pgbench logged no transactions")
    return Pgbench(float(tps.group(1)), percentile(latencies, 50), percentile(latencies, 99))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per run (default 8)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections and pgbench clients")
    parser.add_argument("--profiles", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres", default=pg.DEFAULT_SERVER)
    parser.add_argument("--database", default="outbound_profiles_pgbench", help="database to (re)create and drop")
    parser.add_argument(
        "--compare-src",
        type=Path,
        help="instead: an A/B of the PUT alone, this source against the one in this src/ directory, "
        "served side by side on one database and loaded in turn (no pgbench: both pools and pgbench's "
        "clients would not fit in max_connections)",
    )
    args = parser.parse_args(argv)
    wrk, pgbench_binary = shutil.which("wrk"), shutil.which("pgbench")
    if wrk is None or pgbench_binary is None:
        print("pg_pgbench: needs wrk and pgbench (apt-get install wrk postgresql-client)", file=sys.stderr)
        return 2
    try:
        return compare(args, wrk) if args.compare_src else measure(args, wrk, pgbench_binary)
    except (BenchError, psycopg.Error) as error:
        print(f"pg_pgbench: {error}", file=sys.stderr)
        return 2


def wrk_put(wrk: str, script: Path, port: int, args: argparse.Namespace, side: str, round_: int) -> Run:
    """A PUT (or GET) load on the server at `port`, with the CPU its processes spent on it."""
    cpu = cpu_seconds(PIDS[port])
    run = run_wrk(
        wrk, script, port, side=side, round_=round_, threads=1, connections=args.connections, duration=args.duration
    )
    if run.non_2xx or run.socket_errors:
        raise BenchError(f"{side}: {run.non_2xx} non-2xx, {run.socket_errors} socket errors")
    if run.timeouts:
        print(f"  {side}: {run.timeouts} requests took longer than wrk's 2 s timeout", flush=True)
    return Run(run, (cpu_seconds(PIDS[port]) - cpu) / run.requests * 1e6)


def put_line(label: str, put: Run) -> str:
    return (
        f"{label} {put.wrk.rps:5.0f} req/s p50 {put.wrk.p50_ms:5.1f} p99 {put.wrk.p99_ms:6.1f} "
        f"max {put.wrk.max_ms:6.1f} ms, {put.cpu_us:4.0f} us CPU"
    )


def compare(args: argparse.Namespace, wrk: str) -> int:
    """This source's PUT against another source tree's, alternating which goes first."""
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pg-pgbench-")))
        url = stack.enter_context(pg.fresh_database(args.postgres, args.database))
        env = {
            **os.environ,
            "OUTBOUND_PROFILES_DATABASE_URL": url,
            "OUTBOUND_PROFILES_LOG_LEVEL": "warning",
            "OUTBOUND_PROFILES_DATA_PLANE": "off",
        }
        token = create_user("bench@example.com", env, tmp)["token"]
        sources = {"this": env, "compared": {**env, "PYTHONPATH": str(args.compare_src.resolve())}}
        ports = {
            name: stack.enter_context(server(name, app_command(args.workers), env=e, cwd=tmp))
            for name, e in sources.items()
        }
        ids, bodies = set_up_profiles(ports["this"], token, args.profiles)
        script = tmp / "put.lua"
        script.write_text(lua_script(scenarios(ids, bodies)[0].requests, f"Bearer {token}"))
        print(
            f"PUT A/B, {args.profiles} profiles, {args.connections} connections, --workers {args.workers} on "
            f"PostgreSQL: this source ({source_version()}) against {args.compare_src}; {args.rounds} x "
            f"{args.duration:g}s each, alternating; load average {load_average():.2f}",
            flush=True,
        )
        runs: dict[str, list[Run]] = {name: [] for name in ports}
        for name, port in ports.items():
            run_wrk(wrk, script, port, side=name, round_=0, threads=1, connections=args.connections, duration=2)
        for round_ in range(1, args.rounds + 1):
            for name in ports if round_ % 2 else reversed(ports):
                runs[name].append(wrk_put(wrk, script, ports[name], args, name, round_))
            print(f"  round {round_}: " + " | ".join(put_line(name, runs[name][-1]) for name in ports), flush=True)
    for name, measured in runs.items():
        print(
            f"{name:9} medians: {statistics.median(r.wrk.rps for r in measured):5.0f} req/s, "
            f"p50 {statistics.median(r.wrk.p50_ms for r in measured):.1f} ms, "
            f"p99 {statistics.median(r.wrk.p99_ms for r in measured):.1f} ms, "
            f"max {statistics.median(r.wrk.max_ms for r in measured):.1f} ms, "
            f"{statistics.median(r.cpu_us for r in measured):.0f} us CPU"
        )
    return 0


def measure(args: argparse.Namespace, wrk: str, pgbench_binary: str) -> int:
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pg-pgbench-")))
        url = stack.enter_context(pg.fresh_database(args.postgres, args.database))
        ports: dict[str, int] = {}
        ids: dict[str, list[str]] = {}
        bodies: dict[str, list[tuple[dict[str, Any], ...]]] = {}
        tokens: dict[str, str] = {}
        lite = f"sqlite:///{tmp / 'bench.db'}"
        for name, database_url in (("postgresql", url), ("sqlite", lite)):
            env = {
                **os.environ,
                "OUTBOUND_PROFILES_DATABASE_URL": database_url,
                "OUTBOUND_PROFILES_LOG_LEVEL": "warning",
                "OUTBOUND_PROFILES_DATA_PLANE": "off",  # the control plane alone
            }
            tokens[name] = create_user(f"{name}@example.com", env, tmp)["token"]
            workers = args.workers if name == "postgresql" else 1
            ports[name] = stack.enter_context(server(name, app_command(workers), env=env, cwd=tmp))
            ids[name], bodies[name] = set_up_profiles(ports[name], tokens[name], args.profiles)
        scripts: dict[str, Path] = {}
        for name in ports:
            spread = scenarios(ids[name], bodies[name])[0]
            scripts[f"put-{name}"] = tmp / f"put-{name}.lua"
            scripts[f"put-{name}"].write_text(lua_script(spread.requests, f"Bearer {tokens[name]}"))
            get = [Request("GET", f"/termination/endpoints/{i}") for i in ids[name]]
            scripts[f"get-{name}"] = tmp / f"get-{name}.lua"
            scripts[f"get-{name}"].write_text(lua_script(get, f"Bearer {tokens[name]}"))
        with psycopg.connect(pg.conninfo(url), autocommit=True) as connection:
            sql = []
            for n, profile_id in enumerate(ids["postgresql"]):
                sql.append(tmp / f"put-{n}.sql")
                sql[-1].write_text(put_like(connection, profile_id))
        load = load_average()
        print(
            f"PUT and GET, {args.profiles} profiles, {args.connections} connections; service --workers "
            f"{args.workers} on PostgreSQL (GET and PUT also on SQLite, --workers 1); pgbench -c {args.connections} "
            f"-j 2 -M extended; {args.rounds} x {args.duration:g}s alternating; {os.cpu_count()} CPUs; load average "
            f"{load:.2f}; source {source_version()}",
            flush=True,
        )
        note = busy_note(load)
        if note:
            print(note, flush=True)
        logs = tmp / "pgbench-logs"
        pgbench(pgbench_binary, url, sql, args.connections, 2, logs)  # warm-up
        tps: list[Pgbench] = []
        runs: dict[str, list[Run]] = {}

        def wrk_run(name: str, round_: int) -> None:
            runs.setdefault(name, []).append(
                wrk_put(wrk, scripts[name], ports[name.split("-", 1)[1]], args, name, round_)
            )

        for round_ in range(1, args.rounds + 1):
            tps.append(pgbench(pgbench_binary, url, sql, args.connections, args.duration, logs))
            for name in ("put-postgresql", "put-sqlite", "get-postgresql", "get-sqlite"):
                wrk_run(name, round_)
            bench = tps[-1]
            print(
                f"  round {round_}: pgbench {bench.tps:5.0f} tx/s p50 {bench.p50_ms:5.1f} p99 {bench.p99_ms:6.1f} ms"
                f" | {put_line('PUT', runs['put-postgresql'][-1])} "
                f"({runs['put-postgresql'][-1].wrk.rps / bench.tps:.2f} of pgbench)"
                f" | SQLite PUT {runs['put-sqlite'][-1].wrk.rps:5.0f} req/s, {runs['put-sqlite'][-1].cpu_us:4.0f}"
                f" us CPU | GET PostgreSQL {runs['get-postgresql'][-1].wrk.rps:5.0f}, SQLite "
                f"{runs['get-sqlite'][-1].wrk.rps:5.0f} req/s",
                flush=True,
            )

    def median(name: str, figure: Callable[[Run], float]) -> float:
        return statistics.median(figure(run) for run in runs[name])

    put_pg = runs["put-postgresql"]
    put_ratio = statistics.median(p.wrk.rps / t.tps for p, t in zip(put_pg, tps, strict=True))
    get_ratio = statistics.median(
        p.wrk.rps / s.wrk.rps for p, s in zip(runs["get-postgresql"], runs["get-sqlite"], strict=True)
    )
    p99 = median("put-postgresql", lambda run: run.wrk.p99_ms)
    cpu = median("put-postgresql", lambda run: run.cpu_us)
    print(
        f"pgbench itself: p50 {statistics.median(t.p50_ms for t in tps):.1f} ms, "
        f"p99 {statistics.median(t.p99_ms for t in tps):.1f} ms (medians; no target)"
    )
    checks = (
        (f"PUT / pgbench  {put_ratio:.2f}  target >= {TARGET_PUT}", put_ratio >= TARGET_PUT),
        (
            f"PUT p99        {p99:.1f} ms (p50 {median('put-postgresql', lambda run: run.wrk.p50_ms):.1f} ms)"
            f"  target < {TARGET_PUT_P99_MS:g} ms",
            p99 < TARGET_PUT_P99_MS,
        ),
        (
            f"PUT CPU        {cpu:.0f} us a request  target <= {TARGET_PUT_CPU_US:g} us "
            f"(SQLite {median('put-sqlite', lambda run: run.cpu_us):.0f} us)",
            cpu <= TARGET_PUT_CPU_US,
        ),
        (f"GET PostgreSQL / SQLite  {get_ratio:.2f}  target >= {TARGET_GET}", get_ratio >= TARGET_GET),
    )
    for line, ok in checks:
        print(f"{line}  {'PASS' if ok else 'FAIL'}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
