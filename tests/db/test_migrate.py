"""Migrating: one process at a time, so nodes started together do not apply a migration twice."""

from __future__ import annotations

import fcntl
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import text

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


def test_processes_migrating_a_new_sqlite_database_at_once_all_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    script = "import sys; from outbound_profiles.db.migrate import upgrade; from outbound_profiles.config import "
    script += "Settings; from outbound_profiles.db.engine import build_engine; "
    script += "print(len(upgrade(build_engine(Settings(database_url=sys.argv[1])))))"
    processes = [
        subprocess.Popen([sys.executable, "-c", script, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outcomes = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], [err[-2000:] for _, err in outcomes]
    applied = sorted(int(out) for out, _ in outcomes)
    assert applied[:2] == [0, 0]  # one process applied them all, the others found nothing left
    assert applied[2] > 0
    engine = build_engine(Settings(database_url=url))
    try:
        assert current(engine).endswith("the latest")
    finally:
        engine.dispose()
