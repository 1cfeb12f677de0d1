"""A CSV download of 10^6 call records: rows/s, and the server's memory before, during and after.

SQLite file, one `serve` worker. The records are inserted by SQLite itself (a recursive CTE), ended
calls of one tenant over 10 profiles, one a second from 2026-01-01. The download is
`GET /termination/cdrs` with `Accept: text/csv` over HTTP, read by the client in 64 KiB pieces and
counted, never kept; a thread samples the server's resident set every 50 ms meanwhile.
Target: every record arrives, and the server's peak resident set (VmHWM) grows by less than
`--max-growth-mb` (the file itself is over 200 MB: a server that gathered it would grow by more).

    .venv/bin/python bench/cdrs_csv.py [--records 1000000] [--max-growth-mb 32]

Exit status: 0 within the target, 1 not, 2 could not run.
"""

from __future__ import annotations

import argparse
import http.client
import os
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/cdrs_csv.py` finds `bench`

from bench.harness import (
    HOST,
    PIDS,
    BenchError,
    app_command,
    busy_note,
    create_user,
    expect,
    http_stack,
    load_average,
    rss_mb,
    server,
    source_version,
)

PATH = "/termination/cdrs"
PIECE = 64 * 1024


def seed(path: Path, user_id: int, records: int) -> float:
    """`records` ended calls of the user; seconds taken."""
    at = "strftime('%Y-%m-%d %H:%M:%S', '2026-01-01 00:00:00', '+' || (i + {0}) || ' seconds') || '.000000'"
    began = time.perf_counter()
    with sqlite3.connect(path) as db:
        db.execute(
            f"""WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < :last)
            INSERT INTO calls (call_id, user_id, outbound_profile_id, connection_id, billing_group_id, to_number,
              from_number, destination_country, rate, connect_fee, initial_increment, subsequent_increment,
              started_at, lease_expires_at, last_keepalive_at, decision, ended_at, duration_seconds, end_reason,
              billed_seconds, cost_micros)
            SELECT 'bench-' || substr('0000000' || i, -8), :user_id, 7000000000000000000 + i % 10,
              7000000000000001000 + i % 10, '6a09cdc3-3b39-4c36-8a8b-3d0b3c1d7e01',
              '+1202555' || substr('0000' || (i % 10000), -4), '+13125550100', 'US', '0.0100', '0.0010', 60, 60,
              {at.format(0)}, {at.format(4 * 3600)}, {at.format(0)}, '{{}}', {at.format(63)}, 63, 'completed',
              120, 21000
            FROM n""",  # noqa: S608 (constants only)
            {"last": records - 1, "user_id": user_id},
        )
    return time.perf_counter() - began


def download(port: int, token: str) -> tuple[int, int, float, float]:
    """Lines and bytes of the whole CSV, seconds to the first byte and in all."""
    began = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=600)
    try:
        connection.request("GET", PATH, headers={"Authorization": f"Bearer {token}", "Accept": "text/csv"})
        response = connection.getresponse()
        if response.status != 200:
            raise BenchError(f"GET {PATH} answered {response.status}: {response.read()[:500]!r}")
        first_byte = 0.0
        lines = size = 0
        while piece := response.read(PIECE):
            if not first_byte:
                first_byte = time.perf_counter() - began
            lines += piece.count(b"\n")
            size += len(piece)
    finally:
        connection.close()
    return lines, size, first_byte, time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--max-growth-mb", type=float, default=32.0)
    args = parser.parse_args()
    load = load_average()
    with tempfile.TemporaryDirectory(prefix="cdrs-bench-") as tmp:
        workdir = Path(tmp)
        database = workdir / "bench.db"
        env = {**os.environ, "OUTBOUND_PROFILES_DATABASE_URL": f"sqlite:///{database}"}
        try:
            credentials = create_user("bench@example.com", env, workdir)
            seconds = seed(database, int(credentials["user_id"]), args.records)
            print(f"seeded {args.records:,} call records in {seconds:.1f} s ({database.stat().st_size / 2**20:.0f} MB)")
            with server("app", app_command(1), env, workdir) as port:
                pid = PIDS[port]
                token = credentials["token"]
                expect(port, "GET", f"{PATH}?per_page=10", None, token)  # warm: the route, the statements
                before, peak_before = rss_mb(pid), rss_mb(pid, "VmHWM")
                samples: list[float] = []
                done = threading.Event()

                def sample() -> None:
                    while not done.wait(0.05):
                        samples.append(rss_mb(pid))

                sampler = threading.Thread(target=sample, daemon=True)
                sampler.start()
                try:
                    lines, size, first_byte, total = download(port, token)
                finally:
                    done.set()
                    sampler.join()
                after, peak_after = rss_mb(pid), rss_mb(pid, "VmHWM")
        except BenchError as error:
            print(f"cdrs_csv: {error}", file=sys.stderr)
            return 2
    records = lines - 1
    growth = peak_after - peak_before
    print(
        f"GET {PATH} Accept: text/csv, {records:,} records, {size / 2**20:.0f} MB; serve --workers 1, SQLite, "
        f"{http_stack()}; {os.cpu_count()} CPUs; {source_version()}; load average {load:.2f} at start"
    )
    if note := busy_note(load):
        print(note)
    print(
        f"download: {total:.1f} s, {records / total:,.0f} records/s, {size / 2**20 / total:.1f} MB/s, "
        f"first byte after {first_byte * 1000:.0f} ms"
    )
    print(
        f"server RSS: {before:.0f} MB before, {max(samples, default=after):.0f} MB at most during "
        f"({len(samples)} samples), {after:.0f} MB after; peak (VmHWM) {peak_before:.0f} -> {peak_after:.0f} MB"
    )
    passed = records == args.records and growth < args.max_growth_mb
    print(
        f"records {'all' if records == args.records else f'MISSING {args.records - records:,} of'} "
        f"{args.records:,}; peak growth {growth:.1f} MB, target < {args.max_growth_mb:.0f} MB: "
        f"{'PASS' if passed else 'FAIL'}"
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
