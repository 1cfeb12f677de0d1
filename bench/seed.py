"""Bulk seeding of PostgreSQL for `list_scale.py`: many tenants with many profiles, in seconds.

Every row is built by the database itself (`INSERT ... SELECT` over `generate_series`), and every
seeded profile is a copy of a template: a real profile that the benchmark first creates through
the API, so the seeded rows have exactly the shape the service writes. Only the identity of a
row changes from one copy to the next: id, tenant, name, billing group, timestamps.

- **ids** have the service's layout (`domain/ids.py`: 41 bits of milliseconds since 2020, 10 bits
  of node, 12 bits of sequence), with node 1023 for profiles and 1022 for users, and times in the
  past, so they never meet an id the running service makes.
- **the measured tenant** (made with `users create`) gets rows 1 .. tenant_profiles - 1 (its
  template is the last one): names `bench NNNNNNN`, every 25th `bench VIP NNNNNNN`, every 50th
  none, and the template's billing group.
- **the other tenants** are users bulk-inserted the way `accounts/service.py` makes them (its
  default and maximum CPS), each with a tenant token: id `KEY` + 24 hex digits, the sha256 of the
  secret stored as the service stores it, so `KEY<k as 24 hex>_bench-<k>` authenticates as
  tenant k. Their profiles are spread evenly over them, without a billing group.
- **connections**: every seeded profile has one attached connection of its own tenant.

Seeding in two steps (`seed_tenant`, then `seed_others` to a first total, then again to a larger
one) keeps the measured tenant's rows the same at every scale.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg

from outbound_profiles.accounts.account import DEFAULT_CPS, DEFAULT_MAX_CPS
from outbound_profiles.accounts.service import TENANT
from outbound_profiles.models import outbound_profiles

_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)  # the id epoch of domain/ids.py
PROFILE_NODE = 1023
USER_NODE = 1022
VIP_EVERY = 25  # every 25th of the tenant's profiles is named "bench VIP ..." (the filter's target)
UNNAMED_EVERY = 50  # every 50th has no name (null names sort first)
_IDENTITY = ("id", "user_id", "name", "billing_group_id", "version", "created_at", "updated_at")


@dataclass(frozen=True)
class Layout:
    """Where the seeded rows sit in time; fixed for one run."""

    start: datetime  # profile g was created at start + g seconds

    @classmethod
    def now(cls) -> Layout:
        # Far enough back that 10**7 profiles at one per second still end before today.
        return cls(start=(datetime.now(UTC) - timedelta(days=200)).replace(microsecond=0))

    @property
    def profile_base_ms(self) -> int:
        return int((self.start - _EPOCH).total_seconds() * 1000)

    @property
    def users_start(self) -> datetime:
        return self.start - timedelta(days=1)

    @property
    def user_base_ms(self) -> int:
        return int((self.users_start - _EPOCH).total_seconds() * 1000)

    def profile_id(self, g: int) -> int:
        return ((self.profile_base_ms + g * 1000) << 22) | (PROFILE_NODE << 12)

    def user_id(self, k: int) -> int:
        return ((self.user_base_ms + k) << 22) | (USER_NODE << 12)


def tenant_token(k: int) -> str:
    """The token of seeded tenant k (see the module docstring)."""
    return f"KEY{k:024X}_bench-{k}"


def _user_id(k: str) -> str:
    """SQL for the id of seeded user `k` (an SQL expression): Layout.user_id in SQL."""
    return f"((%(user_base_ms)s::bigint + {k}) << 22) | ({USER_NODE} << 12)"


_PROFILE_ID = f"((%(profile_base_ms)s::bigint + g * 1000) << 22) | ({PROFILE_NODE} << 12)"
_CREATED = "%(start)s::timestamptz + g * interval '1 second'"


def _profiles_insert(*, tenant: bool) -> str:
    if tenant:
        user = "%(tenant_user_id)s::bigint"
        name = (
            f"CASE WHEN g %% {UNNAMED_EVERY} = 0 THEN NULL "
            f"WHEN g %% {VIP_EVERY} = 0 THEN 'bench VIP ' || lpad(g::text, 7, '0') "
            "ELSE 'bench ' || lpad(g::text, 7, '0') END"
        )
        group = "t.billing_group_id"
    else:
        # Other tenant k = (g - first_other) mod n_others.
        user = _user_id("(g - %(first_other)s) %% %(n_others)s")
        name = "'tenant profile ' || g"
        group = "NULL"
    identity = [_PROFILE_ID, user, name, group, "1", _CREATED, _CREATED]
    copied = [c.name for c in outbound_profiles.c if c.name not in _IDENTITY]
    columns = ", ".join([*_IDENTITY, *copied])
    values = ", ".join([*identity, *(f"t.{c}" for c in copied)])
    return (
        f"INSERT INTO outbound_profiles ({columns}) SELECT {values} "  # noqa: S608 (constants only)
        "FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g "
        "CROSS JOIN (SELECT * FROM outbound_profiles WHERE id = %(template)s) AS t"
    )


_USERS_INSERT = (
    "INSERT INTO users (id, email, concurrent_call_limit, default_cps, max_cps, created_at) "  # noqa: S608
    f"SELECT {_user_id('k')}, 'tenant-' || k || '@bench.example', NULL, %(default_cps)s, %(max_cps)s, "
    "%(users_start)s::timestamptz + k * interval '1 millisecond' "
    "FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS k"
)
_TOKENS_INSERT = (
    "INSERT INTO api_tokens (id, user_id, secret_hash, kind, created_at, revoked_at) "  # noqa: S608
    f"SELECT 'KEY' || upper(lpad(to_hex(k), 24, '0')), {_user_id('k')}, "
    "encode(sha256(convert_to('bench-' || k, 'UTF8')), 'hex'), %(kind)s, "
    "%(users_start)s::timestamptz + k * interval '1 millisecond', NULL "
    "FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS k"
)
_CONNECTIONS_INSERT = (
    "INSERT INTO connections (id, user_id, connection_name, active, outbound_profile_id, attach_position, created_at) "
    "SELECT p.id, p.user_id, 'bench connection ' || p.id, true, p.id, 0, p.created_at "
    "FROM outbound_profiles AS p WHERE p.id BETWEEN %(low)s AND %(high)s"
)


class Seeder:
    """Seeds one database through one psycopg connection; `timings` collects seconds per step."""

    def __init__(self, connection: psycopg.Connection[tuple[object, ...]], layout: Layout, template_id: int) -> None:
        self.connection = connection
        self.layout = layout
        self.template_id = template_id
        self.timings: dict[str, float] = {}

    def _params(self, **extra: object) -> dict[str, object]:
        return {
            "profile_base_ms": self.layout.profile_base_ms,
            "user_base_ms": self.layout.user_base_ms,
            "start": self.layout.start,
            "users_start": self.layout.users_start,
            "template": self.template_id,
            **extra,
        }

    def _timed(self, step: str, statement: str, params: dict[str, object]) -> None:
        began = time.perf_counter()
        with self.connection.transaction():
            self.connection.execute(statement.encode(), params)
        self.timings[step] = self.timings.get(step, 0.0) + time.perf_counter() - began

    def _connections(self, first: int, last: int) -> None:
        low, high = self.layout.profile_id(first), self.layout.profile_id(last)
        self._timed("connections", _CONNECTIONS_INSERT, {"low": low, "high": high})

    def seed_tenant(self, user_id: int, count: int) -> None:
        """Profiles 1 .. count of the measured tenant, with their connections."""
        if count < 1:
            return
        params = self._params(first=1, last=count, tenant_user_id=user_id)
        self._timed("profiles", _profiles_insert(tenant=True), params)
        self._connections(1, count)

    def seed_users(self, first: int, last: int) -> None:
        """Other tenants first .. last (inclusive), each with one token."""
        if last < first:
            return
        params = self._params(first=first, last=last, default_cps=DEFAULT_CPS, max_cps=DEFAULT_MAX_CPS, kind=TENANT)
        self._timed("users", _USERS_INSERT, params)
        self._timed("tokens", _TOKENS_INSERT, params)

    def seed_others(self, first: int, last: int, *, first_other: int, n_others: int) -> None:
        """Profiles first .. last (inclusive) of the other tenants, spread over tenants 0 .. n_others - 1."""
        if last < first:
            return
        params = self._params(first=first, last=last, first_other=first_other, n_others=n_others)
        self._timed("profiles", _profiles_insert(tenant=False), params)
        self._connections(first, last)

    def vacuum_analyze(self) -> None:
        """What autovacuum would do in time: statistics for the planner, a visibility map for
        index-only scans (`count(*)`)."""
        began = time.perf_counter()
        autocommit = self.connection.autocommit
        self.connection.autocommit = True
        try:
            self.connection.execute(b"VACUUM (ANALYZE) outbound_profiles, connections, users, api_tokens")
        finally:
            self.connection.autocommit = autocommit
        self.timings["vacuum analyze"] = self.timings.get("vacuum analyze", 0.0) + time.perf_counter() - began
