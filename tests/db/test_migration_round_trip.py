"""The data plane's migrations go down and up again without losing what other tables hold: on
SQLite with foreign keys on, copying `outbound_profiles` to drop a column would detach its
connections and delete its decks (their ON DELETE actions)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient

from outbound_profiles.config import Settings
from outbound_profiles.db.engine import build_engine
from tests.conftest import Api
from tests.db.test_migration_organization_id import _migrate


def test_down_to_before_the_call_records_and_up_again_keeps_profiles_and_their_parts(
    settings: Settings, client: TestClient[Any], api: Api
) -> None:
    connection = api.connection()
    profile = api.profile(connection_ids=[connection["id"]])
    deck = "prefix,country,rate\n1,US,0.01\n"
    uploaded = api.client.put(
        f"/termination/endpoints/{profile['id']}/rate_deck",
        content=deck,
        headers={**api.tenant.headers, "Content-Type": "text/csv"},
    )
    assert uploaded.status_code == 200, uploaded.text
    engine = build_engine(settings)
    try:
        _migrate(engine, "0010", down=True)
        with engine.connect() as db:
            attached = db.execute(
                sa.text("SELECT outbound_profile_id FROM connections WHERE id = :id"), {"id": int(connection["id"])}
            ).scalar_one()
            assert attached == int(profile["id"])
            assert db.execute(sa.text("SELECT count(*) FROM rate_decks")).scalar_one() == 1
        _migrate(engine, "head")
        with engine.begin() as db:
            columns = {c["name"] for c in sa.inspect(db).get_columns("calls")}
            assert {"cost_micros", "billed_seconds"} <= columns
            db.execute(sa.text("INSERT INTO daily_spend VALUES (1, :day, 1, 5, 1)"), {"day": datetime.now(UTC).date()})
    finally:
        engine.dispose()
