"""A profile's own rate deck of 10^5 rows: how long its upload takes over HTTP, on each database.

    .venv/bin/python bench/custom_deck_upload.py [--rows 100000] [--postgres URL]

The deck is generated as `rate_deck_import.py` generates one (E.164 country codes followed by 1 to
7 digits, a few tariffs per country, every column). The service runs as an operator starts it
(`serve`, one worker), on a fresh SQLite file and, when a server URL is given (`--postgres`, or
OUTBOUND_PROFILES_BENCH_POSTGRES_URL), on a PostgreSQL database of the benchmark's own
(`outbound_profiles_custom_deck_bench`, created afresh, dropped at the end). For each: a tenant and
a profile with a connection, then, timed from the client (the whole request: sending the body,
parsing, writing, the answer):

- `PUT .../rate_deck` of the deck, the profile having none;
- `PUT` again, replacing it (the old rows are deleted in the same transaction);
- `GET .../rate_deck`, the download;
- the first authorization of a call on the profile (the server loads the deck on first use) and
  the second (the deck held).

Exit status: 0 when every upload took under 5 s, 1 when one did not, 2 when it could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/custom_deck_upload.py` finds `bench`

from bench import pg
from bench.harness import CLI, HOST, BenchError, app_command, create_user, load_average, server, source_version
from bench.rate_deck_import import generate

TARGET_S = 5.0
PG_DATABASE = "outbound_profiles_custom_deck_bench"


def _timed(send: Any) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = send()
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise BenchError(
            f"{response.request.method} {response.request.url} answered {response.status_code}: {response.text[:2000]}"
        )
    return elapsed, response


def measure(url: str, deck: bytes, work: Path) -> dict[str, float]:
    work.mkdir()
    env = {**os.environ, "OUTBOUND_PROFILES_DATABASE_URL": url, "OUTBOUND_PROFILES_LOG_LEVEL": "warning"}
    credentials = create_user("bench@example.com", env, work)
    switch = subprocess.run(
        [*CLI, "tokens", "create", "--switch", "--json"], env=env, cwd=work, capture_output=True, text=True, check=True
    )
    switch_token = json.loads(switch.stdout)["token"]
    tenant = {"Authorization": f"Bearer {credentials['token']}"}
    with (
        server("app", app_command(1), env, work) as port,
        httpx.Client(base_url=f"http://{HOST}:{port}", timeout=60) as http,
    ):
        connection = http.post("/security/connections", json={"connection_name": "bench"}, headers=tenant).json()
        profile = http.post(
            "/termination/endpoints",
            json={"connection_ids": [connection["id"]], "whitelisted_destinations": ["US", "CA", "GB"]},
            headers=tenant,
        ).json()
        deck_url = f"/termination/endpoints/{profile['id']}/rate_deck"
        csv = {**tenant, "Content-Type": "text/csv"}
        figures: dict[str, float] = {}
        figures["upload_s"], answer = _timed(lambda: http.put(deck_url, content=deck, headers=csv))
        figures["rows"] = answer.json()["rows"]
        figures["replace_s"], _ = _timed(lambda: http.put(deck_url, content=deck, headers=csv))
        figures["download_s"], got = _timed(lambda: http.get(deck_url, headers=tenant))
        figures["download_mb"] = len(got.content) / 1e6

        def authorize(call_id: str) -> httpx.Response:
            body = {"call_id": call_id, "connection_id": connection["id"], "to": "+12025550123", "from": "+13125550100"}
            return http.post(
                "/termination/authorizations", json=body, headers={"Authorization": f"Bearer {switch_token}"}
            )

        figures["first_call_s"], _ = _timed(lambda: authorize("first"))
        figures["second_call_s"], _ = _timed(lambda: authorize("second"))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", default=os.environ.get("OUTBOUND_PROFILES_BENCH_POSTGRES_URL"))
    args = parser.parse_args(argv)
    print(
        f"custom rate deck of {args.rows:,} rows; {os.cpu_count()} CPUs; load average {load_average():.2f}; "
        f"{source_version()}"
    )
    slowest = 0.0
    try:
        with ExitStack() as stack:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="custom-deck-bench-")))
            deck_file = work / "deck.csv"
            generate(deck_file, args.rows)
            deck = deck_file.read_bytes()
            print(f"deck: {len(deck) / 1e6:.1f} MB")
            urls = {"SQLite": f"sqlite:///{work / 'bench.db'}"}
            if args.postgres:
                urls["PostgreSQL"] = stack.enter_context(pg.fresh_database(args.postgres, PG_DATABASE))
            for name, url in urls.items():
                f = measure(url, deck, work / name)
                slowest = max(slowest, f["upload_s"], f["replace_s"])
                print(
                    f"{name:<10} upload {f['upload_s']:.2f} s ({f['rows'] / f['upload_s']:,.0f} rows/s), "
                    f"replace {f['replace_s']:.2f} s, download {f['download_s']:.2f} s ({f['download_mb']:.1f} MB), "
                    f"first call {f['first_call_s'] * 1000:.0f} ms (loads the deck), "
                    f"second {f['second_call_s'] * 1000:.1f} ms"
                )
    except BenchError as error:
        print(f"custom_deck_upload: {error}", file=sys.stderr)
        return 2
    verdict = "PASS" if slowest < TARGET_S else "FAIL"
    print(f"slowest upload {slowest:.2f} s, target < {TARGET_S:.0f} s: {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
