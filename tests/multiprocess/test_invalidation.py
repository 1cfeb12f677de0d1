"""Each process caches credentials and profiles; what another process commits reaches every one of
them within a second.

On PostgreSQL through the notifications the database sends on commit (one LISTEN connection per
process); on SQLite through `PRAGMA data_version`. Each test first has both processes answer from
their caches, then changes the state through the command line or the other process, and polls
each process until it shows the change, failing past the deadline. Runs on two `serve` processes
and on the two workers of one `serve --workers 2`, on each database (`conftest.py`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from tests.contract.helpers import AUTHENTICATION_FAILED, assert_error
from tests.multiprocess.sides import CONNECTIONS, PROFILES, Pair, Side, bearer

WITHIN_S = 1.0
# What the tests make each process read before a change, so that it holds it in its cache.
WARM_READS = 3


def within(deadline_s: float, what: str, seen: Callable[..., bool], *args: Any) -> float:
    """Poll `seen(*args)` until it holds; fail after `deadline_s`. The seconds it took."""
    start = time.monotonic()
    while not seen(*args):
        if time.monotonic() - start > deadline_s:
            raise AssertionError(f"not within {deadline_s} s: {what}")
        time.sleep(0.02)
    return time.monotonic() - start


def test_a_token_revoked_with_the_cli_stops_authenticating_everywhere_within_a_second(pair: Pair) -> None:
    issued = json.loads(pair.server.cli("tokens", "create", pair.email, "--json"))
    headers = bearer(issued["token"])
    for side in pair.both:
        for _ in range(WARM_READS):
            assert side.request("GET", PROFILES, headers=headers).status_code == 200

    pair.server.cli("tokens", "revoke", issued["token_id"])

    for side in pair.both:
        within(WITHIN_S, side.name, answers, side, 401, headers)
        assert_error(side.request("GET", PROFILES, headers=headers), 401, AUTHENTICATION_FAILED)
        assert side.request("GET", PROFILES).status_code == 200  # the user's other token still works


def test_a_profile_changed_through_one_process_is_shown_by_the_other_within_a_second(pair: Pair) -> None:
    for writer, reader in ((pair.a, pair.b), (pair.b, pair.a)):
        profile = writer.ok("POST", PROFILES, {"connection_ids": [], "name": "before"})
        url = f"{PROFILES}/{profile['id']}"
        for _ in range(WARM_READS):
            assert reader.ok("GET", url)["name"] == "before"

        written = writer.ok("PUT", url, {"name": "after", "ports": 7})

        within(WITHIN_S, f"{reader.name} shows the change", lambda: reader.ok("GET", url) == written)  # noqa: B023
        assert reader.request("GET", url).headers["etag"] == writer.request("GET", url).headers["etag"]


def test_a_connection_renamed_or_deleted_is_reflected_in_the_profile_within_a_second(pair: Pair) -> None:
    a, b = pair.both
    trunk = a.ok("POST", CONNECTIONS, {"connection_name": "trunk"})["id"]
    profile = a.ok("POST", PROFILES, {"connection_ids": [trunk], "name": "p"})
    url = f"{PROFILES}/{profile['id']}"
    assert [c["id"] for c in b.ok("GET", url)["connections"]] == [trunk]

    a.ok("PUT", f"{url}/actions/detach_connections", {"connection_ids": [trunk]})
    a.ok("DELETE", f"{CONNECTIONS}/{trunk}")

    within(WITHIN_S, "B drops the deleted connection", lambda: b.ok("GET", url)["connections"] == [])


def test_a_disabled_user_is_refused_everywhere_within_a_second(pair: Pair) -> None:
    for side in pair.both:
        for _ in range(WARM_READS):
            assert side.request("GET", PROFILES).status_code == 200

    pair.server.cli("users", "disable", pair.email)

    for side in pair.both:
        within(WITHIN_S, f"{side.name} refuses", answers, side, 401)

    pair.server.cli("users", "enable", pair.email)

    for side in pair.both:
        within(WITHIN_S, f"{side.name} accepts", answers, side, 200)


# PostgreSQL only: SQLite has no listening connection.
@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True, scope="module"
)
def test_after_the_listening_connection_is_killed_every_answer_is_still_current(pair: Pair, database_url: str) -> None:
    """PostgreSQL: a process whose LISTEN connection drops has missed notifications: it must stop
    using its caches at once, and take them up again once it listens again."""
    a, b = pair.both
    profile = a.ok("POST", PROFILES, {"connection_ids": [], "name": "v0"})
    url = f"{PROFILES}/{profile['id']}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        listeners = _listeners(admin)
        assert len(listeners) >= 2, listeners  # one per process of the pair
        for version in range(1, 4):
            for side in (a, b):
                assert side.ok("GET", url)["name"] == f"v{version - 1}"  # cached
            with admin.connect() as connection:
                for pid in listeners:
                    connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            a.ok("PUT", url, {"name": f"v{version}"})
            # Changed while B's listener is down (or reconnecting): B must not answer from its cache.
            within(WITHIN_S, f"B shows v{version}", lambda: b.ok("GET", url)["name"] == f"v{version}")  # noqa: B023
            # Each process listens again, on a new connection.
            within(5.0, "both listen again", _reconnected, admin, listeners)
            listeners = _listeners(admin)
        # Listening again, a change is seen within a second as before.
        b.ok("PUT", url, {"name": "last"})
        within(WITHIN_S, "A shows the last change", lambda: a.ok("GET", url)["name"] == "last")
    finally:
        admin.dispose()


def answers(side: Side, status: int, headers: dict[str, str] | None = None) -> bool:
    return side.request("GET", PROFILES, headers=headers).status_code == status


def _listeners(admin: Engine) -> list[int]:
    with admin.connect() as connection:
        return [
            row[0]
            for row in connection.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND query LIKE 'LISTEN%' AND application_name = 'outbound-profiles-listener'"
                )
            )
        ]


def _reconnected(admin: Engine, old: list[int]) -> bool:
    now = _listeners(admin)
    return len(now) >= len(old) and not set(now) & set(old)
