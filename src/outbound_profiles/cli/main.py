"""`outbound-profiles serve | users | tokens | db` (SPEC §9)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Sequence
from functools import partial
from types import FrameType
from typing import Any

from outbound_profiles.accounts import service as accounts
from outbound_profiles.accounts.account import DEFAULT_MAX_CPS
from outbound_profiles.config import Settings
from outbound_profiles.db.database import Database
from outbound_profiles.db.engine import build_engine
from outbound_profiles.db.migrate import upgrade


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="outbound-profiles", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="apply pending migrations, then serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--demo", action="store_true", help="make sure a demo tenant exists; print its token")

    users = commands.add_parser("users", help="manage users").add_subparsers(dest="action", required=True)
    create_user = users.add_parser("create", help="create a user and its first token")
    create_user.add_argument("email")
    create_user.add_argument("--concurrent-call-limit", type=int, default=None)
    create_user.add_argument("--max-cps", type=int, default=DEFAULT_MAX_CPS)
    create_user.add_argument("--json", action="store_true")

    tokens = commands.add_parser("tokens", help="manage API tokens").add_subparsers(dest="action", required=True)
    create_token = tokens.add_parser("create", help="issue a token for a user")
    create_token.add_argument("email")
    create_token.add_argument("--json", action="store_true")
    revoke = tokens.add_parser("revoke", help="revoke a token")
    revoke.add_argument("token_id")

    db = commands.add_parser("db", help="database").add_subparsers(dest="action", required=True)
    db.add_parser("upgrade", help="apply pending migrations")
    return parser


def _print_credentials(credentials: accounts.NewCredentials, as_json: bool) -> None:
    if as_json:
        print(
            json.dumps(
                {
                    "user_id": credentials.user_id,
                    "email": credentials.email,
                    "token_id": credentials.token_id,
                    "token": credentials.token,
                }
            )
        )
    else:
        print(f"user:     {credentials.email} ({credentials.user_id})")
        print(f"token id: {credentials.token_id}")
        print(f"token:    {credentials.token}   (shown once; keep it)")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings.from_env()
    database = Database(build_engine(settings))
    try:
        upgrade(database.engine)
        if args.command == "serve":
            return _serve(args, settings, database)
        if args.command == "users":
            credentials = database.run_sync(
                lambda c: accounts.create_user(
                    c, args.email, concurrent_call_limit=args.concurrent_call_limit, max_cps=args.max_cps
                ),
                write=True,
            )
            _print_credentials(credentials, args.json)
        elif args.command == "tokens" and args.action == "create":
            _print_credentials(database.run_sync(lambda c: accounts.create_token(c, args.email), write=True), args.json)
        elif args.command == "tokens":
            database.run_sync(lambda c: accounts.revoke_token(c, args.token_id), write=True)
            print(f"revoked {args.token_id}")
        elif args.command == "db":
            print("database is at the latest migration")
        return 0
    except accounts.AccountError as exc:
        print(f"outbound-profiles: {exc}", file=sys.stderr)
        return 1
    finally:
        database.dispose()


# On SIGTERM uvicorn stops accepting connections and lets the requests in flight finish, for at most
# this long (then it cancels them); a supervisor's own deadline (Kubernetes: 30 s) should be longer.
SHUTDOWN_TIMEOUT_S = 20
APP = "outbound_profiles.app:create_served_app"


def _exit_cleanly(_signal: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def _serve(args: argparse.Namespace, settings: Settings, database: Database) -> int:
    import uvicorn

    from outbound_profiles.http.server import LimitedHttpProtocol, raise_open_files_limit
    from outbound_profiles.observability.logs import log_config
    from outbound_profiles.observability.metrics import multiprocess_directory

    logs = log_config(settings.log_level)  # first: a bad level is refused before anything starts
    if args.demo:
        from outbound_profiles.cli.demo import ensure_demo_tenant

        credentials = database.run_sync(ensure_demo_tenant, write=True)
        base = f"http://{args.host}:{args.port}"
        print("Demo tenant ready.")
        _print_credentials(credentials, as_json=False)
        print(f"Try:      curl -s -H 'Authorization: Bearer {credentials.token}' {base}/termination/endpoints")
        print(f"Docs:     {base}/docs")
        sys.stdout.flush()
    database.dispose()
    options: dict[str, Any] = {
        "factory": True,
        "host": args.host,
        "port": args.port,
        "workers": args.workers,
        "log_config": logs,
        "log_level": settings.log_level.lower(),
        "access_log": False,  # the application writes its own (outbound_profiles.access)
        "timeout_graceful_shutdown": SHUTDOWN_TIMEOUT_S,
        # HTTP/1.1 with the limits of http/server.py; the service has no WebSocket route.
        "http": partial(LimitedHttpProtocol, settings=settings),
        "ws": "none",
        "timeout_keep_alive": settings.keepalive_timeout,
    }
    raise_open_files_limit(settings.max_connections)
    # uvicorn drains on SIGTERM and then raises it again, to die of it (exit status 143); the
    # handler it restores before that is this one, so a drained server exits 0. With workers, the
    # parent handles the signals itself and returns once its workers have drained.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    with multiprocess_directory(args.workers):
        if args.workers > 1:
            from outbound_profiles.cli.workers import Workers

            config = uvicorn.Config(APP, **options)
            Workers(config, sockets=[config.bind_socket()]).run()
        else:
            uvicorn.run(APP, **options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
