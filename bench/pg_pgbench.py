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
from contextlib import ExitStack
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/pg_pgbench.py` finds `bench`

from bench import pg
from bench.harness import BenchError, app_command, busy_note, create_user, load_average, server, source_version
from bench.pg_ratio import scenarios, set_up_profiles
from bench.wrk import Request, lua_script, run_wrk

TARGET_PUT = 0.5
TARGET_PUT_P99_MS = 100.0
TARGET_GET = 0.8
_TPS = re.compile(r"tps = ([0-9.]+) \(without initial connection time\)")
_LATENCY = re.compile(r"latency average = ([0-9.]+) ms")


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


def pgbench(binary: str, url: str, scripts: list[Path], clients: int, duration: float) -> tuple[float, float]:
    """Transactions/s and mean latency (ms) of pgbench running `scripts` (each as likely)."""
    command = [binary, "-n", "-M", "extended", "-c", str(clients), "-j", "2", "-T", str(int(duration))]
    for script in scripts:
        command += ["-f", f"{script}@1"]
    done = subprocess.run(
        [*command, pg.conninfo(url)], capture_output=True, text=True, timeout=duration + 120, check=False
    )
    tps, latency = _TPS.search(done.stdout), _LATENCY.search(done.stdout)
    if done.returncode != 0 or tps is None or latency is None:
        raise BenchError(f"pgbench failed (exit {done.returncode}):\n{done.stdout[-1500:]}\n{done.stderr[-1500:]}")
    return float(tps.group(1)), float(latency.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per run (default 8)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections and pgbench clients")
    parser.add_argument("--profiles", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres", default=pg.DEFAULT_SERVER)
    args = parser.parse_args(argv)
    wrk, pgbench_binary = shutil.which("wrk"), shutil.which("pgbench")
    if wrk is None or pgbench_binary is None:
        print("pg_pgbench: needs wrk and pgbench (apt-get install wrk postgresql-client)", file=sys.stderr)
        return 2
    try:
        return measure(args, wrk, pgbench_binary)
    except (BenchError, psycopg.Error) as error:
        print(f"pg_pgbench: {error}", file=sys.stderr)
        return 2


def measure(args: argparse.Namespace, wrk: str, pgbench_binary: str) -> int:
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pg-pgbench-")))
        url = stack.enter_context(pg.fresh_database(args.postgres, "outbound_profiles_pgbench"))
        ports: dict[str, int] = {}
        ids: dict[str, list[str]] = {}
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
            ids[name], bodies = set_up_profiles(ports[name], tokens[name], args.profiles)
            if name == "postgresql":
                put = scenarios(ids[name], bodies)[0]
        put_script = tmp / "put.lua"
        put_script.write_text(lua_script(put.requests, f"Bearer {tokens['postgresql']}"))
        get_scripts = {}
        for name in ports:
            get_scripts[name] = tmp / f"get-{name}.lua"
            get = [Request("GET", f"/termination/endpoints/{i}") for i in ids[name]]
            get_scripts[name].write_text(lua_script(get, f"Bearer {tokens[name]}"))
        with psycopg.connect(pg.conninfo(url), autocommit=True) as connection:
            sql = []
            for n, profile_id in enumerate(ids["postgresql"]):
                sql.append(tmp / f"put-{n}.sql")
                sql[-1].write_text(put_like(connection, profile_id))
        load = load_average()
        print(
            f"PUT and GET, {args.profiles} profiles, {args.connections} connections; service --workers "
            f"{args.workers} on PostgreSQL (GET also on SQLite, --workers 1); pgbench -c {args.connections} -j 2 "
            f"-M extended; {args.rounds} x {args.duration:g}s alternating; {os.cpu_count()} CPUs; load average "
            f"{load:.2f}; source {source_version()}",
            flush=True,
        )
        note = busy_note(load)
        if note:
            print(note, flush=True)
        pgbench(pgbench_binary, url, sql, args.connections, 2)  # warm-up
        tps, put_rps, put_p99, get_pg, get_lite = [], [], [], [], []

        def wrk_run(script: Path, port: int, side: str, round_: int) -> tuple[float, float]:
            run = run_wrk(
                wrk,
                script,
                port,
                side=side,
                round_=round_,
                threads=1,
                connections=args.connections,
                duration=args.duration,
            )
            if run.non_2xx or run.socket_errors:
                raise BenchError(f"{side}: {run.non_2xx} non-2xx, {run.socket_errors} socket errors")
            if run.timeouts:
                print(f"  {side}: {run.timeouts} requests took longer than wrk's 2 s timeout", flush=True)
            return run.rps, run.p99_ms

        for round_ in range(1, args.rounds + 1):
            tps.append(pgbench(pgbench_binary, url, sql, args.connections, args.duration)[0])
            rps, p99 = wrk_run(put_script, ports["postgresql"], "put", round_)
            put_rps.append(rps)
            put_p99.append(p99)
            get_pg.append(wrk_run(get_scripts["postgresql"], ports["postgresql"], "get-pg", round_)[0])
            get_lite.append(wrk_run(get_scripts["sqlite"], ports["sqlite"], "get-sqlite", round_)[0])
            print(
                f"  round {round_}: pgbench {tps[-1]:7.0f} tx/s | "
                f"PUT {put_rps[-1]:7.0f} req/s p99 {put_p99[-1]:6.1f} ms "
                f"({put_rps[-1] / tps[-1]:.2f}) | GET PostgreSQL {get_pg[-1]:7.0f}, SQLite {get_lite[-1]:7.0f} req/s "
                f"({get_pg[-1] / get_lite[-1]:.2f})",
                flush=True,
            )
    put_ratio = statistics.median(p / t for p, t in zip(put_rps, tps, strict=True))
    get_ratio = statistics.median(p / s for p, s in zip(get_pg, get_lite, strict=True))
    p99 = statistics.median(put_p99)
    checks = (
        (f"PUT / pgbench  {put_ratio:.2f}  target >= {TARGET_PUT}", put_ratio >= TARGET_PUT),
        (f"PUT p99        {p99:.1f} ms  target < {TARGET_PUT_P99_MS:g} ms", p99 < TARGET_PUT_P99_MS),
        (f"GET PostgreSQL / SQLite  {get_ratio:.2f}  target >= {TARGET_GET}", get_ratio >= TARGET_GET),
    )
    for line, ok in checks:
        print(f"{line}  {'PASS' if ok else 'FAIL'}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
