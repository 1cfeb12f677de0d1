# PYTHON_ARGCOMPLETE_OK
"""Run the Outbound Profile API and administer its tenants."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
from collections.abc import Sequence
from functools import partial
from types import FrameType
from typing import Any

import argcomplete

from outbound_profiles import __version__
from outbound_profiles.cli import admin, rate_decks, transfer
from outbound_profiles.cli.admin import print_credentials as _print_credentials
from outbound_profiles.cli.failures import CONFIGURATION, Failure, explain
from outbound_profiles.config import ServeSettings, Settings, load_env_file
from outbound_profiles.db.database import Database
from outbound_profiles.db.engine import build_engine, is_memory
from outbound_profiles.db.migrate import current, upgrade

_ENVIRONMENT = """\
environment (a .env file in the working directory may set them too):
  OUTBOUND_PROFILES_DATABASE_URL        sqlite:///PATH (default sqlite:///outbound-profiles.db),
                                        sqlite:///:memory: (one process, gone when it stops),
                                        or postgresql://USER@HOST:PORT/DATABASE
  OUTBOUND_PROFILES_HOST, _PORT, _WORKERS
                                        serve's defaults for --host, --port, --workers
  OUTBOUND_PROFILES_LOG_LEVEL           critical, error, warning, info (default), debug, trace
  OUTBOUND_PROFILES_DATABASE_POOL_SIZE  PostgreSQL connections per worker (default 10)
  OUTBOUND_PROFILES_SQLITE_SYNCHRONOUS  NORMAL (default) or FULL

Every command first applies the database migrations that are pending."""


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Help that names each option's default (but not a flag's False or a missing None)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False) or "default:" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def _parser(serving: ServeSettings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="outbound-profiles", description=__doc__, epilog=_ENVIRONMENT, formatter_class=_Formatter
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="apply pending migrations, then serve the API",
        description="Apply pending migrations, then serve the API until SIGTERM or Ctrl-C.",
        epilog=_ENVIRONMENT,
        formatter_class=_Formatter,
    )
    serve.add_argument("--host", default=serving.host, help="address to listen on (OUTBOUND_PROFILES_HOST)")
    serve.add_argument("--port", type=int, default=serving.port, help="port to listen on (OUTBOUND_PROFILES_PORT)")
    serve.add_argument(
        "--workers", type=int, default=serving.workers, help="worker processes (OUTBOUND_PROFILES_WORKERS)"
    )
    serve.add_argument("--demo", action="store_true", help="make sure a demo tenant exists; print a token for it")

    admin.add_commands(commands, _Formatter)
    transfer.add_commands(commands, _Formatter)
    rate_decks.add_commands(commands, _Formatter)

    db = commands.add_parser("db", help="the database schema", formatter_class=_Formatter).add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    db.add_parser("upgrade", help="apply pending migrations and say which", formatter_class=_Formatter)
    db.add_parser(
        "current", help="show the database's migration and whether one is pending", formatter_class=_Formatter
    )
    argcomplete.autocomplete(parser)  # answers the shell's completion request, if this is one, and exits
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    database_url: str | None = None
    try:
        load_env_file()
        args = _parser(ServeSettings.from_env()).parse_args(argv)
        settings = Settings.from_env()
        database_url = settings.database_url
        return _run(args, settings)
    except Exception as error:
        failure = explain(error, database_url)
        if failure is None:
            raise
        print(f"outbound-profiles: {failure}", file=sys.stderr)
        return failure.exit_code


def _run(args: argparse.Namespace, settings: Settings) -> int:
    database = Database(build_engine(settings))
    try:
        if args.command == "db" and args.action == "current":
            print(current(database.engine))
            return 0
        applied = upgrade(database.engine)
        if args.command == "serve":
            return _serve(args, settings, database)
        if args.command in ("users", "tokens"):
            admin.run(args, database)
        elif args.command in ("import", "export"):
            transfer.run(args, database)
        elif args.command == "rate-decks":
            return rate_decks.run(args, database)
        elif args.command == "db":
            for migration in applied:
                print(f"applied {migration}")
            print(current(database.engine))
        return 0
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
    memory = is_memory(settings.database_url)
    if memory and args.workers != 1:
        raise Failure(
            "an in-memory database (sqlite:///:memory:) lives in one process: serve it with --workers 1",
            CONFIGURATION,
        )
    if args.workers > 1 and settings.data_plane and settings.redis_url is None:
        raise Failure(
            "the data plane's call counters live in one process unless they are in Redis: set "
            "OUTBOUND_PROFILES_REDIS_URL=redis://HOST:6379/0 to serve with --workers "
            f"{args.workers}, serve with --workers 1, or set OUTBOUND_PROFILES_DATA_PLANE=off to serve "
            "the API without call authorization",
            CONFIGURATION,
        )
    _check_listen(args.host, args.port)
    if args.demo:
        from outbound_profiles.cli.demo import ensure_demo_tenant

        credentials = database.run_sync(ensure_demo_tenant, write=True)
        base = f"http://{args.host}:{args.port}"
        print("Demo tenant ready.")
        _print_credentials(credentials, as_json=False)
        print(f"Try:      curl -s -H 'Authorization: Bearer {credentials.token}' {base}/termination/endpoints")
        print(f"Docs:     {base}/docs")
        sys.stdout.flush()
    app: Any = APP
    if memory:
        # The database lives in this process: the application serves the one just migrated.
        from outbound_profiles.app import create_served_app

        app = create_served_app(database)
    else:
        database.dispose()
    options: dict[str, Any] = {
        "factory": isinstance(app, str),
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
            uvicorn.run(app, **options)
    return 0


def _check_listen(host: str, port: int) -> None:
    """Fail in one line if the address cannot be listened on (uvicorn would log it and exit 1)."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        raise Failure(f"cannot listen on {host}:{port}: {reason} (set --port or OUTBOUND_PROFILES_PORT)") from None


if __name__ == "__main__":
    sys.exit(main())
