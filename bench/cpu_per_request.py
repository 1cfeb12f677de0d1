"""CPU the service spends per request, on SQLite and on PostgreSQL, side by side.

One `serve --workers 1` per database, the same profiles and PUT bodies as `pg_ratio.py`, loaded
with wrk; the server process's CPU time (user + system, from /proc) over the requests it answered.
CPU per request moves far less with the machine's load than requests/s does, so the two databases
compare fairly even on a busy machine.

    .venv/bin/python bench/cpu_per_request.py [--duration 10] [--connections 16] [--profiles 16]

Needs wrk and a PostgreSQL server on loopback (the database `outbound_profiles_cpu` is dropped and
created afresh, and dropped at the end).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/cpu_per_request.py` finds `bench`

from bench import pg
from bench.harness import app_command, create_user, server
from bench.pg_ratio import scenarios, set_up_profiles
from bench.wrk import lua_script, run_wrk

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def server_pid(port: int) -> int:
    """The process listening on `port` (from /proc/net/tcp and the processes' sockets)."""
    wanted = f":{port:04X} 00000000:0000 0A"
    inode = next(line.split()[9] for line in Path("/proc/net/tcp").read_text().splitlines()[1:] if wanted in line)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if any(os.readlink(fd) == f"socket:[{inode}]" for fd in (entry / "fd").iterdir()):
                    return int(entry.name)
            except OSError:
                continue
    raise RuntimeError(f"no process listens on {port}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--profiles", type=int, default=16)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is needed: apt-get install wrk")
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        urls = {
            "sqlite": f"sqlite:///{tmp / 'cpu.db'}",
            "postgres": stack.enter_context(pg.fresh_database(args.postgres, "outbound_profiles_cpu")),
        }
        for name, url in urls.items():
            env = {**os.environ, "OUTBOUND_PROFILES_DATABASE_URL": url, "OUTBOUND_PROFILES_LOG_LEVEL": "warning"}
            token = create_user(f"cpu-{name}@example.com", env, tmp)["token"]
            port = stack.enter_context(server(name, app_command(workers=1), env, tmp))
            ids, bodies = set_up_profiles(port, token, args.profiles)
            for case in scenarios(ids, bodies):
                if case.name == "put-one":
                    continue
                script = tmp / f"{name}-{case.name}.lua"
                script.write_text(lua_script(case.requests, f"Bearer {token}"))
                run_wrk(wrk, script, port, side=name, round_=0, threads=1, connections=args.connections, duration=2)
                pid = server_pid(port)
                before = cpu_seconds(pid)
                run = run_wrk(
                    wrk,
                    script,
                    port,
                    side=name,
                    round_=1,
                    threads=1,
                    connections=args.connections,
                    duration=args.duration,
                )
                spent = cpu_seconds(pid) - before
                print(
                    f"{name:<8} {case.name:<4} {run.rps:8.0f} req/s  p99 {run.p99_ms:7.2f} ms  "
                    f"CPU {spent / run.requests * 1e6:6.0f} µs per request  ({run.non_2xx} non-2xx)",
                    flush=True,
                )


if __name__ == "__main__":
    main()
