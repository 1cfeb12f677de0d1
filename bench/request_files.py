"""Which of the project's files one request runs through, traced in-process with `sys.setprofile`.

A request's way through the code should be short enough to hold in one's head: handler, one
transaction helper, service, repository. This counts it. After a warm-up (so that caches and
imports are what a running server has), each request below runs once with a profile hook that notes
the file of every Python function called, in this process's threads; the files under
`src/outbound_profiles` are listed, in the order first entered.

    .venv/bin/python bench/request_files.py [--postgres URL]

SQLite by default; with `--postgres` the run uses that database (its tables are made afresh: never
point it at a database that matters).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from outbound_profiles.accounts import service as accounts
from outbound_profiles.app import create_app
from outbound_profiles.config import Settings
from outbound_profiles.db.database import Database
from outbound_profiles.db.engine import build_engine
from outbound_profiles.db.migrate import upgrade

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.put_inprocess import Asgi
from bench.put_ratio import put_bodies

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "outbound_profiles"


class Files:
    """The project's files entered while `on`, in order."""

    def __init__(self) -> None:
        self.on = False
        self.seen: dict[str, None] = {}

    def hook(self, frame: FrameType, event: str, _arg: Any) -> None:
        if self.on and event == "call":
            name = frame.f_code.co_filename
            if name.startswith(str(PACKAGE)) and name not in self.seen:
                self.seen[name] = None

    async def trace(self, client: Asgi, method: str, path: str, body: object) -> tuple[int, list[str]]:
        self.seen = {}
        self.on = True
        try:
            status, _ = await client.call(method, path, json.dumps(body).encode())
        finally:
            self.on = False
        return status, [str(Path(f).relative_to(PACKAGE.parent)) for f in self.seen]


async def run(database_url: str) -> None:
    files = Files()
    sys.setprofile(files.hook)
    threading.setprofile(files.hook)  # threads started from here on: a database's worker threads
    settings = Settings(database_url=database_url, data_plane=False)
    database = Database(build_engine(settings))
    upgrade(database.engine)
    credentials = database.run_sync(lambda c: accounts.create_user(c, "trace@example.com"), write=True)
    app = create_app(settings, database)
    async with app.lifespan():
        client = Asgi(app, credentials.token)
        group = await client.expect("POST", "/billing_groups", {"name": "trace"})
        connections = [
            (await client.expect("POST", "/security/connections", {"connection_name": f"c{i}"}))["id"] for i in range(2)
        ]
        created = await client.expect("POST", "/termination/endpoints", {"name": "trace", "connection_ids": []})
        v1 = f"/termination/endpoints/{created['id']}"
        v2 = f"/v2/outbound_voice_profiles/{created['id']}"
        requests: list[tuple[str, str, object]] = [
            ("PUT", v1, put_bodies(group["id"], connections)[0]),
            ("GET", v1, None),
            ("PATCH", v2, {"name": "traced v2"}),
            ("POST", "/v2/outbound_voice_profiles", {"name": "created v2"}),
        ]
        for method, path, body in requests:  # warm-up: caches filled, every module imported
            await client.call(method, path, json.dumps(body).encode())
        for method, path, body in requests:
            status, seen = await files.trace(client, method, path, body)
            print(f"{method} {path.rsplit('/', 1)[0]}/...: {status}, {len(seen)} project files")
            for name in seen:
                print(f"    {name}")
    sys.setprofile(None)
    threading.setprofile(None)
    database.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="a PostgreSQL URL (postgresql+psycopg://...) instead of SQLite")
    args = parser.parse_args(argv)
    if args.postgres:
        asyncio.run(run(args.postgres))
        return 0
    with tempfile.TemporaryDirectory() as workdir:
        asyncio.run(run(f"sqlite:///{workdir}/trace.db"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
