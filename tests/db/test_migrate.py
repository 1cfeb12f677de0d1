"""Migrating: one process at a time, so nodes started together do not apply a migration twice."""

from __future__ import annotations

import fcntl
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import make_url, text

from outbound_profiles.config import Settings
from outbound_profiles.db.engine import build_engine
from outbound_profiles.db.migrate import MIGRATION_LOCK, current, upgrade


def test_a_migration_waits_for_the_one_under_way_then_finds_nothing_to_do(settings: Settings) -> None:
    engine = build_engine(settings)
    holder = build_engine(settings)
    results: list[list[str]] = []
    try:
        if engine.dialect.name == "postgresql":
            held = holder.connect()
            held.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            held.commit()

            def release() -> None:
                held.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
                held.close()

        else:
            lock = open(f"{engine.url.database}-migrations.lock", "a")  # noqa: SIM115
            fcntl.flock(lock, fcntl.LOCK_EX)
            release = lock.close
        migrating = threading.Thread(target=lambda: results.append(upgrade(engine)), daemon=True)
        migrating.start()
        migrating.join(timeout=1.0)
        assert migrating.is_alive(), "the migration did not wait for the one under way"
        release()
        migrating.join(timeout=30.0)
        assert not migrating.is_alive()
        assert results == [[]]
    finally:
        engine.dispose()
        holder.dispose()


def _migrate_at_once(url: str, processes: int = 3) -> None:
    """`processes` processes migrate the database at `url` at once: every one succeeds, one applies
    every migration and the others find nothing left."""
    script = "import sys; from outbound_profiles.db.migrate import upgrade; from outbound_profiles.config import "
    script += "Settings; from outbound_profiles.db.engine import build_engine; "
    script += "print(len(upgrade(build_engine(Settings(database_url=sys.argv[1])))))"
    running = [
        subprocess.Popen([sys.executable, "-c", script, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    outcomes = [process.communicate(timeout=120) for process in running]
    assert [process.returncode for process in running] == [0] * processes, [err[-2000:] for _, err in outcomes]
    applied = sorted(int(out) for out, _ in outcomes)
    assert applied[:-1] == [0] * (processes - 1)  # one process applied them all, the others found nothing left
    assert applied[-1] > 0
    engine = build_engine(Settings(database_url=url))
    try:
        assert current(engine).endswith("the latest")
    finally:
        engine.dispose()


def test_processes_migrating_a_new_sqlite_database_at_once_all_succeed(tmp_path: Path) -> None:
    _migrate_at_once(f"sqlite:///{tmp_path / 'new.db'}")


def test_a_sqlite_uri_filename_is_locked_as_its_file(tmp_path: Path) -> None:
    _migrate_at_once(f"sqlite:///file:{tmp_path / 'new.db'}?uri=true")
    assert (tmp_path / "new.db-migrations.lock").exists()


@pytest.mark.postgres
def test_processes_migrating_a_new_postgresql_database_at_once_all_succeed(migrated_postgres: str) -> None:
    # A migration builds an index CONCURRENTLY, which waits for every transaction older than it: one
    # process waiting for the lock inside a transaction made it a deadlock.
    base = build_engine(Settings(database_url=migrated_postgres))
    server = base.execution_options(isolation_level="AUTOCOMMIT")
    url = make_url(migrated_postgres)
    name = f"{url.database}_migrating"
    with server.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        target = url.set(database=name).render_as_string(hide_password=False)
        _migrate_at_once(target)
        engine = build_engine(Settings(database_url=target))
        with engine.connect() as connection:
            invalid = connection.exec_driver_sql("SELECT count(*) FROM pg_index WHERE NOT indisvalid").scalar()
        engine.dispose()
        assert invalid == 0
    finally:
        with server.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        base.dispose()
