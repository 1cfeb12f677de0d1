"""Fixtures: a real, migrated database per test, the app over HTTP, and factories for test data.

Every test that uses the database runs twice: on SQLite, where each test gets its own file copied
from one migrated once per session, and on PostgreSQL, where one database is migrated once per
session and emptied before each test. Tests share no state and run in any order.

Which PostgreSQL the pass runs on (OUTBOUND_PROFILES_TEST_POSTGRES_URL, or one found at the default
address) is decided in `tests/postgres.py`. Without one, the PostgreSQL tests are left out and the
run says so in one line; OUTBOUND_PROFILES_TEST_REQUIRE_POSTGRES=1 makes that an error (CI).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from outbound_profiles.accounts import service as accounts
from outbound_profiles.accounts.account import Account
from outbound_profiles.app import create_app
from outbound_profiles.config import Settings
from outbound_profiles.db.database import Database
from outbound_profiles.db.engine import build_engine
from outbound_profiles.db.migrate import upgrade
from outbound_profiles.models import metadata
from tests import postgres
from tests.live import LiveServer, live_server

pytest_plugins = ["tests.redis_pass", "tests.kamailio_pass"]


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = build_engine(Settings(database_url=f"sqlite:///{path}"))
    upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


REQUIRE_POSTGRES = os.environ.get("OUTBOUND_PROFILES_TEST_REQUIRE_POSTGRES") == "1"
_POSTGRES = pytest.StashKey[postgres.Postgres]()
_LEFT_OUT = pytest.StashKey[int]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_POSTGRES] = postgres.find()


def pytest_report_header(config: pytest.Config) -> str:
    found = config.stash[_POSTGRES]
    return f"PostgreSQL pass: {found.url} ({found.reason})" if found.url else "PostgreSQL pass: not run"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    found = config.stash[_POSTGRES]
    if found.url is not None:
        return
    if REQUIRE_POSTGRES:
        raise pytest.UsageError(f"OUTBOUND_PROFILES_TEST_REQUIRE_POSTGRES=1 but {found.reason}")
    left_out = [item for item in items if item.get_closest_marker("postgres") is not None]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item.get_closest_marker("postgres") is None]
    config.stash[_LEFT_OUT] = len(left_out)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    left_out = config.stash.get(_LEFT_OUT, 0)
    if left_out:
        reason = config.stash[_POSTGRES].reason
        terminalreporter.write_line(f"PostgreSQL pass NOT RUN ({left_out} tests left out): {reason}", yellow=True)


@pytest.fixture(scope="session")
def migrated_postgres(pytestconfig: pytest.Config) -> str:
    url = pytestconfig.stash[_POSTGRES].url
    assert url is not None, "the PostgreSQL tests are left out when there is no PostgreSQL"
    engine = build_engine(Settings(database_url=url))
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    upgrade(engine)
    engine.dispose()
    return url


def empty_postgres(url: str) -> None:
    engine = build_engine(Settings(database_url=url))
    with engine.begin() as connection:
        connection.exec_driver_sql(f"TRUNCATE {', '.join(t.name for t in metadata.sorted_tables)} CASCADE")
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, migrated_template: Path, tmp_path: Path) -> Settings:
    if request.param == "postgres":
        url: str = request.getfixturevalue("migrated_postgres")
        empty_postgres(url)
        return Settings(database_url=url)
    path = tmp_path / "outbound-profiles.db"
    shutil.copyfile(migrated_template, path)
    return Settings(database_url=f"sqlite:///{path}")


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    db = Database(build_engine(settings))
    yield db
    db.dispose()


@pytest.fixture
def client(settings: Settings, database: Database) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(settings, database)) as test_client:
        yield test_client


@dataclass(frozen=True)
class Tenant:
    account: Account
    email: str
    token_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class TenantFactory:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._count = 0

    def __call__(
        self, *, email: str | None = None, concurrent_call_limit: int | None = None, max_cps: int = 1000
    ) -> Tenant:
        self._count += 1
        email = email or f"user{self._count}@example.com"
        credentials = self._database.run_sync(
            lambda c: accounts.create_user(c, email, concurrent_call_limit=concurrent_call_limit, max_cps=max_cps),
            write=True,
        )
        account = Account(int(credentials.user_id), email, concurrent_call_limit, 100, max_cps)
        return Tenant(account, email, credentials.token_id, credentials.token)


@pytest.fixture
def make_tenant(database: Database) -> TenantFactory:
    return TenantFactory(database)


@pytest.fixture
def tenant(make_tenant: TenantFactory) -> Tenant:
    return make_tenant()


@pytest.fixture
def other_tenant(make_tenant: TenantFactory) -> Tenant:
    return make_tenant()


class Api:
    """Test-data factories that go through the HTTP API, with keyword defaults."""

    def __init__(self, client: TestClient[Any], tenant: Tenant) -> None:
        self.client = client
        self.tenant = tenant

    def connection(self, *, connection_name: str = "trunk", active: bool = True) -> dict[str, Any]:
        response = self.client.post(
            "/security/connections",
            json={"connection_name": connection_name, "active": active},
            headers=self.tenant.headers,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def billing_group(self, *, name: str = "group") -> dict[str, Any]:
        response = self.client.post("/billing_groups", json={"name": name}, headers=self.tenant.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def profile(self, **fields: Any) -> dict[str, Any]:
        fields.setdefault("connection_ids", [])
        response = self.client.post("/termination/endpoints", json=fields, headers=self.tenant.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def api(client: TestClient[Any], tenant: Tenant) -> Api:
    return Api(client, tenant)


@pytest.fixture
def other_api(client: TestClient[Any], other_tenant: Tenant) -> Api:
    return Api(client, other_tenant)


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[LiveServer]:
    """The service in its own process, on its own copy of the migrated database."""
    with live_server(settings.database_url, tmp_path) as running:
        yield running
