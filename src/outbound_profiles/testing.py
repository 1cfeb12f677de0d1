"""The service as a stand-in for the Telnyx API in another project's test suite.

`running_service()` starts the service in the calling process, on a thread, listening on a free
loopback port, on a fresh in-memory SQLite database (nothing is written to disk; it is gone when
the block ends), with one tenant whose token it hands over::

    import pytest
    from outbound_profiles.testing import running_service

    @pytest.fixture(scope="session")
    def telnyx_api():
        with running_service() as service:
            yield service  # service.base_url, service.token, service.new_tenant()
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from outbound_profiles.accounts import service as accounts
from outbound_profiles.app import create_app
from outbound_profiles.config import Settings
from outbound_profiles.db.database import Database
from outbound_profiles.db.engine import build_engine
from outbound_profiles.db.migrate import upgrade

START_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class Tenant:
    email: str
    user_id: str
    token_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True, slots=True)
class RunningService:
    base_url: str
    """`http://127.0.0.1:PORT`; API v2 (the official SDKs' `base_url`) is at `base_url + "/v2"`."""
    tenant: Tenant
    database: Database

    @property
    def token(self) -> str:
        return self.tenant.token

    def new_tenant(self, email: str, *, concurrent_call_limit: int | None = None, max_cps: int = 1000) -> Tenant:
        """Another user, with its own token (tenants see only their own resources)."""
        credentials = self.database.run_sync(
            lambda c: accounts.create_user(c, email, concurrent_call_limit=concurrent_call_limit, max_cps=max_cps),
            write=True,
        )
        return Tenant(credentials.email, credentials.user_id, credentials.token_id, credentials.token)


@contextmanager
def running_service(
    *, email: str = "test@example.com", database_url: str = "sqlite:///:memory:"
) -> Iterator[RunningService]:
    """The service, up and answering, until the block ends (then stopped and its database gone)."""
    settings = Settings(database_url=database_url)
    database = Database(build_engine(settings))
    upgrade(database.engine)
    sock = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, database), log_config=None, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="outbound-profiles", daemon=True)
    try:
        first = RunningService(f"http://127.0.0.1:{sock.getsockname()[1]}", _NO_TENANT, database)
        service = RunningService(first.base_url, first.new_tenant(email), database)
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the outbound-profiles service did not start")
            time.sleep(0.01)
        yield service
    finally:
        server.should_exit = True
        if thread.is_alive():
            thread.join(timeout=START_TIMEOUT_S)
        sock.close()
        database.dispose()


_NO_TENANT = Tenant("", "", "", "")
