"""Which PostgreSQL the suite's PostgreSQL pass runs on, decided once per run.

- `OUTBOUND_PROFILES_TEST_POSTGRES_URL` set: that database (it is wiped).
- Otherwise, a server at the default address (postgres@127.0.0.1:5432, as a local install or
  `docker run -p 5432:5432 postgres` gives): the suite's own database on it, `outbound_profiles_test`,
  which the suite creates and marks as its own. A database of that name that the suite did not
  create is left alone (and the pass not run), so no database anyone cares about is ever wiped.
- Neither: the pass is not run, and the run says so in one line (with
  `OUTBOUND_PROFILES_TEST_REQUIRE_POSTGRES=1`, as in CI, that is an error).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
OWN_DATABASE = "outbound_profiles_test"
MARK = "outbound-profiles test suite: wiped by every run"
HOW = "set OUTBOUND_PROFILES_TEST_POSTGRES_URL=postgresql+psycopg://USER@HOST:PORT/DATABASE (it is wiped)"


@dataclass(frozen=True, slots=True)
class Postgres:
    url: str | None
    reason: str


def find(server: str = DEFAULT_SERVER, database: str = OWN_DATABASE) -> Postgres:
    given = os.environ.get("OUTBOUND_PROFILES_TEST_POSTGRES_URL")
    if given:
        return Postgres(given, "OUTBOUND_PROFILES_TEST_POSTGRES_URL")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return Postgres(None, f"psycopg is not installed (pip install -e '.[postgres]'); or {HOW}")
    engine = create_engine(f"{server}/postgres", connect_args={"connect_timeout": 2}, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :name"),
                {"name": database},
            ).first()
            if found is None:
                connection.exec_driver_sql(f'CREATE DATABASE "{database}"')
                connection.exec_driver_sql(f"COMMENT ON DATABASE \"{database}\" IS '{MARK}'")
            elif found[0] != MARK:
                return Postgres(None, f"{server}/{database} exists but was not made by this suite; {HOW}")
    except SQLAlchemyError as error:
        first = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        return Postgres(None, f"no PostgreSQL at {server.split('://')[1]} ({first}); {HOW}")
    finally:
        engine.dispose()
    return Postgres(f"{server}/{database}", f"found at the default address; database {database}, made by the suite")
