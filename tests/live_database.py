"""A migrated database that the live servers of a whole test module share.

Starting a server process costs seconds, so the modules that need several of them (tests/multiprocess,
the races in tests/profiles) start them once per module and database, and keep their tests apart by
giving each its own user. `DATABASES` runs such a module once on SQLite and once on PostgreSQL, as
the `settings` fixture does for single tests.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from outbound_profiles.config import Settings
from outbound_profiles.db.engine import build_engine
from outbound_profiles.models import metadata

DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def live_database_url(request: pytest.FixtureRequest, workdir: Path) -> str:
    """A fresh copy of the migrated SQLite template in `workdir`, or the emptied PostgreSQL test
    database, by `request.param` (one of `DATABASES`)."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("migrated_postgres")
        engine = build_engine(Settings(database_url=url))
        with engine.begin() as connection:
            connection.exec_driver_sql(f"TRUNCATE {', '.join(t.name for t in metadata.sorted_tables)} CASCADE")
        engine.dispose()
        return url
    template: Path = request.getfixturevalue("migrated_template")
    path = workdir / "outbound-profiles.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"
