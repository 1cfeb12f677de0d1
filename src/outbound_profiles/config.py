"""Settings, read once from the environment (a `.env` file in the working directory may supply them)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar
from urllib.parse import parse_qsl, urlsplit

from dotenv import load_dotenv

SqliteSynchronous = Literal["OFF", "NORMAL", "FULL", "EXTRA"]
N = TypeVar("N", int, float)
UnknownFields = Literal["ignore", "refuse"]
CountersFailure = Literal["closed", "open"]

DEFAULT_DATABASE_URL = "sqlite:///outbound-profiles.db"
MAX_BODY_BYTES = 1024 * 1024
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


class ConfigurationError(ValueError):
    """A setting that cannot work: the command says which and exits 2."""


def database_url(value: str) -> str:
    """The URL SQLAlchemy needs for the common spellings of a PostgreSQL URL: `postgres://` and
    `postgresql://` (as hosting providers and libpq write them) use the psycopg 3 driver."""
    scheme, sep, rest = value.partition("://")
    if sep and scheme in ("postgres", "postgresql", "postgresql+psycopg3"):
        return f"postgresql+psycopg://{rest}"
    if not sep or scheme.partition("+")[0] not in ("sqlite", "postgresql"):
        raise ConfigurationError(
            f"OUTBOUND_PROFILES_DATABASE_URL must be sqlite:///PATH, sqlite:///:memory: or "
            f"postgresql://USER@HOST:PORT/DATABASE, not {value!r}"
        )
    return value


def load_env_file() -> None:
    """Variables from `.env` in the working directory, for those the environment does not set."""
    load_dotenv(os.path.join(os.getcwd(), ".env"), override=False)


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    redis_cluster: bool = False  # redis_url names a node of a Redis Cluster
    # NORMAL in WAL mode survives a crash of the process; a power loss may lose the last
    # transactions that were acknowledged. FULL syncs every commit (slower, nothing lost).
    sqlite_synchronous: SqliteSynchronous = "NORMAL"
    log_level: str = "info"
    # PostgreSQL connections per process: also how many of its requests use the database at once.
    database_pool_size: int = 10
    # What one client may hold of the server (http/server.py): seconds to send a request's head and
    # its body, idle seconds between requests, bytes of head, open connections per process.
    head_timeout: float = 10.0
    body_timeout: float = 30.0
    keepalive_timeout: float = 5.0
    max_head_bytes: int = 16 * 1024
    max_connections: int = 10_000
    # API v2: body members and query parameters it does not know are ignored, as Telnyx does (a newer
    # SDK's field, an `extra_body`); "refuse" answers them with a 422 that names each one.
    v2_unknown_fields: UnknownFields = "ignore"
    # The data plane: what the switch is told when the counters (Redis) cannot be reached: "closed"
    # refuses the call (503), "open" lets it through unreserved. How long an allowed call holds its
    # ports without a keepalive or an end.
    counters_failure: CountersFailure = "closed"
    # Off: the API alone, no authorizations (no counters, no lease sweeper); any number of workers.
    data_plane: bool = True
    lease_seconds: float = 4 * 3600.0
    # How many connections, profiles and accounts (each) a process holds in memory for its decisions,
    # filled from the database at start: about 500 bytes a connection with its own profile.
    decision_cache_entries: int = 1_000_000

    @classmethod
    def from_env(cls, *, dotenv: bool = True) -> Settings:
        if dotenv:
            load_env_file()
        synchronous = os.environ.get("OUTBOUND_PROFILES_SQLITE_SYNCHRONOUS", "NORMAL").upper()
        if synchronous not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ConfigurationError(
                f"OUTBOUND_PROFILES_SQLITE_SYNCHRONOUS must be OFF, NORMAL, FULL or EXTRA, not {synchronous!r}"
            )
        pool_size = os.environ.get("OUTBOUND_PROFILES_DATABASE_POOL_SIZE", "10")
        if not pool_size.isdigit() or not 1 <= int(pool_size) <= 1000:
            raise ConfigurationError(
                f"OUTBOUND_PROFILES_DATABASE_POOL_SIZE must be a number from 1 to 1000, not {pool_size!r}"
            )
        log_level = os.environ.get("OUTBOUND_PROFILES_LOG_LEVEL", "info")
        if log_level.lower() not in LOG_LEVELS:
            raise ConfigurationError(
                f"OUTBOUND_PROFILES_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {log_level!r}"
            )
        limits = {
            "head_timeout": _number("OUTBOUND_PROFILES_HEAD_TIMEOUT", 0.1, 3600, float),
            "body_timeout": _number("OUTBOUND_PROFILES_BODY_TIMEOUT", 0.1, 3600, float),
            "keepalive_timeout": _number("OUTBOUND_PROFILES_KEEPALIVE_TIMEOUT", 0.1, 3600, float),
            "max_head_bytes": _number("OUTBOUND_PROFILES_MAX_HEAD_BYTES", 1024, 1024 * 1024, int),
            "max_connections": _number("OUTBOUND_PROFILES_MAX_CONNECTIONS", 1, 1_000_000, int),
            "lease_seconds": _number("OUTBOUND_PROFILES_LEASE_SECONDS", 1.0, 7 * 86_400, float),
            "decision_cache_entries": _number("OUTBOUND_PROFILES_DECISION_CACHE_ENTRIES", 1, 100_000_000, int),
        }
        unknown = os.environ.get("OUTBOUND_PROFILES_V2_UNKNOWN_FIELDS", "ignore").lower()
        if unknown not in ("ignore", "refuse"):
            raise ConfigurationError(f"OUTBOUND_PROFILES_V2_UNKNOWN_FIELDS must be ignore or refuse, not {unknown!r}")
        failure = os.environ.get("OUTBOUND_PROFILES_COUNTERS_FAILURE", "closed").lower()
        if failure not in ("closed", "open"):
            raise ConfigurationError(f"OUTBOUND_PROFILES_COUNTERS_FAILURE must be closed or open, not {failure!r}")
        redis_url = os.environ.get("OUTBOUND_PROFILES_REDIS_URL") or None
        redis_cluster = os.environ.get("OUTBOUND_PROFILES_REDIS_CLUSTER", "off").lower()
        if redis_cluster not in ("on", "off"):
            raise ConfigurationError(f"OUTBOUND_PROFILES_REDIS_CLUSTER must be on or off, not {redis_cluster!r}")
        if redis_cluster == "on":
            if redis_url is None:
                raise ConfigurationError(
                    "OUTBOUND_PROFILES_REDIS_CLUSTER=on needs OUTBOUND_PROFILES_REDIS_URL (a node of it)"
                )
            _check_cluster_url(redis_url)
        data_plane = os.environ.get("OUTBOUND_PROFILES_DATA_PLANE", "on").lower()
        if data_plane not in ("on", "off"):
            raise ConfigurationError(f"OUTBOUND_PROFILES_DATA_PLANE must be on or off, not {data_plane!r}")
        return cls(
            **{name: value for name, value in limits.items() if value is not None},  # type: ignore[arg-type]
            database_pool_size=int(pool_size),
            database_url=database_url(os.environ.get("OUTBOUND_PROFILES_DATABASE_URL") or DEFAULT_DATABASE_URL),
            redis_url=redis_url,
            redis_cluster=redis_cluster == "on",
            sqlite_synchronous=synchronous,  # type: ignore[arg-type]
            log_level=log_level,
            v2_unknown_fields=unknown,  # type: ignore[arg-type]
            counters_failure=failure,  # type: ignore[arg-type]
            data_plane=data_plane == "on",
        )


def _check_cluster_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise ConfigurationError("OUTBOUND_PROFILES_REDIS_URL: a Redis Cluster is reached by redis:// or rediss://")
    database = parts.path.strip("/") or dict(parse_qsl(parts.query)).get("db", "0")
    if database != "0":
        raise ConfigurationError(
            "OUTBOUND_PROFILES_REDIS_URL names a database other than 0, which a Redis Cluster does not have"
        )


def _number(name: str, minimum: N, maximum: N, kind: Callable[[str], N]) -> N | None:
    """The setting's value, None when it is not set."""
    raw = os.environ.get(name, "")
    if raw == "":
        return None
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or not minimum <= value <= maximum:  # NaN fails the comparison too
        raise ConfigurationError(f"{name} must be a number from {minimum} to {maximum}, not {raw!r}")
    return value


@dataclass(frozen=True, slots=True)
class ServeSettings:
    """Where `serve` listens and with how many workers, unless its flags say otherwise."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1

    @classmethod
    def from_env(cls) -> ServeSettings:
        port = os.environ.get("OUTBOUND_PROFILES_PORT", "8000")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigurationError(f"OUTBOUND_PROFILES_PORT must be a port number from 1 to 65535, not {port!r}")
        workers = os.environ.get("OUTBOUND_PROFILES_WORKERS", "1")
        if not workers.isdigit() or not 1 <= int(workers) <= 256:
            raise ConfigurationError(f"OUTBOUND_PROFILES_WORKERS must be a number from 1 to 256, not {workers!r}")
        return cls(os.environ.get("OUTBOUND_PROFILES_HOST") or "127.0.0.1", int(port), int(workers))
