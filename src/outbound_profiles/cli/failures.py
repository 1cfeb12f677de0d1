"""Why a command could not start, in one line: what is wrong and what to set.

A setting that cannot work is a configuration error (exit code 2, as argparse's usage errors);
something the command needed that failed at run time (PostgreSQL down, the port taken) exits 1.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from outbound_profiles.accounts.service import AccountError
from outbound_profiles.config import ConfigurationError

CONFIGURATION = 2
RUNTIME = 1
_URL = "OUTBOUND_PROFILES_DATABASE_URL"


@dataclass(frozen=True, slots=True)
class Failure(Exception):
    message: str
    exit_code: int = RUNTIME

    def __str__(self) -> str:
        return self.message


def explain(error: BaseException, database_url: str | None) -> Failure | None:
    """The one-line failure for an error a command can meet at start; None for an unexpected one."""
    if isinstance(error, Failure):
        return error
    if isinstance(error, ConfigurationError):
        return Failure(str(error), CONFIGURATION)
    if isinstance(error, AccountError):
        return Failure(str(error), RUNTIME)
    if isinstance(error, ModuleNotFoundError) and (error.name or "").split(".")[0] == "psycopg":
        return Failure(
            f"{_URL} names PostgreSQL, whose driver is not installed: pip install 'outbound-profiles[postgres]'",
            CONFIGURATION,
        )
    if isinstance(error, NoSuchModuleError):
        return Failure(
            f"{_URL} names a database this service does not support ({_scheme(database_url)}); "
            "use sqlite:///PATH or postgresql://USER@HOST:PORT/DATABASE",
            CONFIGURATION,
        )
    if isinstance(error, ArgumentError):
        return Failure(
            f"{_URL} is not a database URL ({database_url!r}); use sqlite:///PATH or postgresql://USER@HOST:PORT/DATABASE",
            CONFIGURATION,
        )
    if isinstance(error, DBAPIError):
        return _database_failure(error, database_url or "")
    return None


def _scheme(database_url: str | None) -> str:
    return (database_url or "").partition("://")[0] or "no scheme"


def _database_failure(error: DBAPIError, database_url: str) -> Failure:
    detail = " ".join(str(error.orig).split()) if error.orig is not None else str(error)
    try:
        url = make_url(database_url)
    except ArgumentError:
        return Failure(f"the database failed: {detail}")
    if url.get_backend_name() == "sqlite":
        if "unable to open database file" in detail:
            return Failure(
                f"cannot open the SQLite database {url.database!r}: its directory must exist and be writable "
                f"(set {_URL})",
                CONFIGURATION,
            )
        return Failure(f"the SQLite database {url.database!r} failed: {detail}")
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    if "does not exist" in detail and "database" in detail:
        return Failure(
            f"the PostgreSQL database {url.database!r} does not exist on {where}: create it "
            f"(createdb {url.database}) or set {_URL}",
            CONFIGURATION,
        )
    if "authentication failed" in detail or ("role" in detail and "does not exist" in detail):
        return Failure(f"PostgreSQL at {where} refused the login: {detail} (set {_URL})", CONFIGURATION)
    if "connection" in detail.lower() or "could not translate host name" in detail:
        return Failure(f"cannot reach PostgreSQL at {where}: is it running? ({detail}; set {_URL})", RUNTIME)
    return Failure(f"PostgreSQL at {where} failed: {detail}")
