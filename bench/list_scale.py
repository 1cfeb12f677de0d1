"""Does a page of profiles cost the same at 10**3 and at 10**6 profiles? (PostgreSQL, two workers)

One tenant holds `--tenant-profiles` profiles (default 500). The table first holds
`--small-profiles` in total (default 1,000, over `--small-tenants` 100 tenants), then is grown to
`--profiles` (default 1,000,000, over `--tenants` 100,000): the measured tenant's rows stay the
same. At each size the benchmark times GET requests of that tenant (list pages in several
orders, a name filter, a retrieve) and explains (EXPLAIN ANALYZE) every statement each of them
runs. The claim holds when no statement reads more rows at the large size (and none scans a
table whole); the latencies are shown beside. See bench/README.md for how to read the output.

    .venv/bin/python bench/list_scale.py [--profiles 1000000] [--tenants 100000] [--requests 300]

Needs a PostgreSQL server on loopback (default postgresql+psycopg://postgres@127.0.0.1:5432, or
--postgres); the database `--database` (default outbound_profiles_scale) is dropped and created
afresh, and dropped at the end unless --keep-database.

Exit status: 0 when the claim holds, 1 when it does not, 2 when the benchmark could not run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy import Connection

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/list_scale.py` finds `bench`

from bench import pg
from bench.explain import explain_all
from bench.harness import (
    HOST,
    RESULTS_DIR,
    BenchError,
    app_command,
    busy_note,
    create_user,
    expect,
    http_stack,
    load_average,
    percentile,
    server,
    source_version,
)
from bench.put_ratio import put_bodies
from bench.scale_report import CaseInfo, Scale, Timing, report
from bench.seed import Layout, Seeder, tenant_token
from outbound_profiles.accounts.account import Account
from outbound_profiles.accounts.service import authenticate
from outbound_profiles.config import Settings
from outbound_profiles.db.database import Database
from outbound_profiles.db.engine import build_engine
from outbound_profiles.http.query import SortKey
from outbound_profiles.profiles import service

RESULTS = RESULTS_DIR / "list_scale.json"
FILTER = "vip"  # matches every 25th of the tenant's profiles ("bench VIP ...", see seed.py)
_BY_CREATED = (SortKey("created_at", descending=False),)  # the list's default order
_BY_NAME = (SortKey("name", descending=False),)
_NEWEST = (SortKey("created_at", descending=True),)
_BY_PLAN = (SortKey("service_plan", descending=False),)  # a sortable field without an index of its own


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    offset: int  # of a page (0 for a retrieve)
    needed: int  # rows a page needs in order: offset + limit (1 for a retrieve)
    run: Callable[[Connection, Account], object]  # the same work, as service code (for EXPLAIN)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", type=int, default=1_000_000, help="profiles in the large table (10**6)")
    parser.add_argument("--tenants", type=int, default=100_000, help="tenants in the large table (10**5)")
    parser.add_argument("--small-profiles", type=int, default=1_000, help="profiles in the small table (10**3)")
    parser.add_argument("--small-tenants", type=int, default=100, help="tenants in the small table (100)")
    parser.add_argument("--tenant-profiles", type=int, default=500, help="profiles of the measured tenant (500)")
    parser.add_argument("--per-page", type=int, default=20, help="page size (20)")
    parser.add_argument("--deep-page", type=int, default=None, help="the deep page (default: ~90%% into the list)")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per case and size (300)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per case first (20)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (2)")
    parser.add_argument("--postgres", default=pg.DEFAULT_SERVER, help=f"server URL (default {pg.DEFAULT_SERVER})")
    parser.add_argument("--database", default="outbound_profiles_scale", help="database to (re)create")
    parser.add_argument("--keep-database", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"JSON results (default {RESULTS})")
    return parser


def _check_args(args: argparse.Namespace) -> str | None:
    if min(args.tenant_profiles, args.per_page, args.requests, args.workers) < 1 or args.warmup < 0:
        return "tenant-profiles, per-page, requests and workers must be positive"
    if not 2 <= args.small_tenants <= args.tenants:
        return "need 2 <= small-tenants <= tenants (the measured tenant and at least one other)"
    if not args.tenant_profiles < args.small_profiles <= args.profiles:
        return "need tenant-profiles < small-profiles <= profiles"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    problem = _check_args(args)
    if problem:
        print(f"list_scale: {problem}", file=sys.stderr)
        return 2
    try:
        return measure(args)
    except (BenchError, psycopg.Error, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        detail = exc.stderr if isinstance(exc, subprocess.CalledProcessError) else ""
        print(f"list_scale: {exc}\n{detail or ''}".rstrip(), file=sys.stderr)
        return 2


def cases(args: argparse.Namespace, retrieve_id: int) -> list[Case]:
    per_page = args.per_page
    deep = args.deep_page or max(2, (args.tenant_profiles * 9 // 10) // per_page)
    base = "/termination/endpoints"

    def page(name: str, query: str, sort: tuple[SortKey, ...], number: int, contains: str | None = None) -> Case:
        offset = (number - 1) * per_page
        return Case(
            name,
            f"{base}?{query}page={number}&per_page={per_page}",
            offset,
            offset + per_page,
            lambda c, a: service.list_page(c, a, name_contains=contains, sort=sort, offset=offset, limit=per_page),
        )

    return [
        page("list p1", "", _BY_CREATED, 1),
        page(f"list p{deep}", "", _BY_CREATED, deep),
        page("name p1", "sort=name&", _BY_NAME, 1),
        page(f"name p{deep}", "sort=name&", _BY_NAME, deep),
        page("newest p1", "sort=-created_at&", _NEWEST, 1),
        page("plan p1", "sort=service_plan&", _BY_PLAN, 1),
        page("filter", f"filter%5Bname%5D={FILTER}&", _BY_CREATED, 1, FILTER),
        Case("retrieve", f"{base}/{retrieve_id}", 0, 1, lambda c, a: service.retrieve(c, a, str(retrieve_id))),
    ]


def time_cases(port: int, token: str, chosen: list[Case], requests: int, warmup: int) -> dict[str, Timing]:
    """Sequential GETs, one keep-alive connection per case, the cases interleaved (so a slow spell
    of the machine hits them all alike)."""
    headers = {"Authorization": f"Bearer {token}"}
    connections = {case.name: http.client.HTTPConnection(HOST, port, timeout=30) for case in chosen}
    samples: dict[str, list[float]] = {case.name: [] for case in chosen}
    first: dict[str, tuple[int, str]] = {}
    try:
        for i in range(warmup + requests):
            for case in chosen:
                connection = connections[case.name]
                began = time.perf_counter()
                connection.request("GET", case.path, headers=headers)
                response = connection.getresponse()
                body = response.read()
                elapsed_ms = (time.perf_counter() - began) * 1000
                if response.status != 200:
                    raise BenchError(f"GET {case.path} answered {response.status}: {body[:300]!r}")
                if i >= warmup:
                    samples[case.name].append(elapsed_ms)
                elif i == 0:
                    decoded = json.loads(body)
                    count = len(decoded) if isinstance(decoded, list) else 1
                    first[case.name] = (count, response.getheader("X-Total-Count") or "")
    finally:
        for connection in connections.values():
            connection.close()
    return {
        name: Timing(statistics.median(values), percentile(values, 99), *first.get(name, (0, "")))
        for name, values in samples.items()
    }


def check_other_tenant(port: int, k: int) -> str:
    """A seeded tenant's token works, and its seeded profiles read back through the API."""
    token = tenant_token(k)
    listed = expect(port, "GET", "/termination/endpoints?per_page=5", None, token)
    if not listed:
        raise BenchError(f"seeded tenant {k} lists no profiles")
    expect(port, "GET", f"/termination/endpoints/{listed[0]['id']}", None, token)
    return f"seeded tenant {k}: its token lists its profiles and reads one (200)"


def measure(args: argparse.Namespace) -> int:
    n = args.tenant_profiles
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="list-scale-")))
        url = stack.enter_context(pg.fresh_database(args.postgres, args.database, keep=args.keep_database))
        env = {**os.environ, "OUTBOUND_PROFILES_DATABASE_URL": url, "OUTBOUND_PROFILES_LOG_LEVEL": "warning"}
        credentials = create_user("bench@example.com", env, tmp)
        token = credentials["token"]
        port = stack.enter_context(server("app", app_command(args.workers), env=env, cwd=tmp))

        # The template: one real profile made through the API; the seeded rows copy its shape.
        group_id = expect(port, "POST", "/billing_groups", {"name": "bench"}, token)["id"]
        connection_id = expect(port, "POST", "/security/connections", {"connection_name": "bench"}, token)["id"]
        body = {**put_bodies(group_id, [connection_id])[0], "name": "bench template"}
        template = expect(port, "POST", "/termination/endpoints", body, token)

        database = Database(build_engine(Settings(database_url=url)))
        stack.callback(database.dispose)
        account = database.run_sync(lambda c: authenticate(c, token, None), write=False)
        if account is None:
            raise BenchError("the benchmark's own token does not authenticate")
        layout = Layout.now()
        chosen = cases(args, retrieve_id=layout.profile_id(n // 2))
        admin = stack.enter_context(psycopg.connect(pg.conninfo(url), autocommit=True))
        seeder = Seeder(stack.enter_context(psycopg.connect(pg.conninfo(url))), layout, int(template["id"]))
        settings = pg.server_settings(url)
        load = load_average()
        print(
            f"PostgreSQL {settings['server_version']} (shared_buffers {settings['shared_buffers']}); "
            f"serve --workers {args.workers}; tenant with {n} profiles (one connection each), pages of "
            f"{args.per_page}; {args.requests} timed GETs per case and size after {args.warmup}; "
            f"{os.cpu_count()} CPUs; {http_stack()}; load average {load:.2f}; source {source_version()}",
            flush=True,
        )
        note = busy_note(load)
        if note:
            print(note, flush=True)

        def as_service(case: Case) -> Callable[[], object]:
            """The case's work as service code, in a read transaction as a request runs it."""
            return lambda: database.run_sync(lambda c: case.run(c, account), write=False)

        def measure_scale(profiles: int, tenants: int) -> Scale:
            print(f"  {check_other_tenant(port, tenants - 2)}; load average {load_average():.2f}", flush=True)
            timings = time_cases(port, token, chosen, args.requests, args.warmup)
            plans = {case.name: explain_all(admin, as_service(case), database.engine) for case in chosen}
            return Scale(profiles, tenants, timings, plans)

        began = time.perf_counter()
        seeder.seed_tenant(int(credentials["user_id"]), n - 1)  # and the template: n
        seeder.seed_users(0, args.small_tenants - 2)
        seeder.seed_others(n, args.small_profiles - 1, first_other=n, n_others=args.small_tenants - 1)
        seeder.vacuum_analyze()
        print(f"seeded {args.small_profiles:,} profiles over {args.small_tenants:,} tenants: {_took(seeder, began)}")
        small = measure_scale(args.small_profiles, args.small_tenants)

        seeder.timings.clear()
        began = time.perf_counter()
        seeder.seed_users(args.small_tenants - 1, args.tenants - 2)
        seeder.seed_others(args.small_profiles, args.profiles - 1, first_other=n, n_others=args.tenants - 1)
        seeder.vacuum_analyze()
        print(f"seeded up to {args.profiles:,} profiles over {args.tenants:,} tenants: {_took(seeder, began)}")
        large = measure_scale(args.profiles, args.tenants)
    run = {
        "settings": {k: v for k, v in vars(args).items() if k not in ("output", "postgres")},
        "source": source_version(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "http_stack": http_stack(),
            "load_average_1min_before": load,
            "postgresql": settings,
        },
    }
    infos = [CaseInfo(case.name, case.path, case.offset, case.needed) for case in chosen]
    return report(infos, small, large, output=args.output, run=run)


def _took(seeder: Seeder, began: float) -> str:
    steps = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in seeder.timings.items())
    return f"{time.perf_counter() - began:.1f} s ({steps})"


if __name__ == "__main__":
    sys.exit(main())
