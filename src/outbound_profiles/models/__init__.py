"""The schema, as SQLAlchemy Core tables.

Core rather than ORM classes: the update is the hot path, and a plain statement with a cached
compilation costs a fraction of a unit-of-work flush (docs/decisions/0002-core-not-orm.md).
Enums are stored as strings or small integers, money as integer cents, and constraint names
follow one convention, so the schema means the same on SQLite and PostgreSQL.
"""

from outbound_profiles.models.accounts import api_tokens, users
from outbound_profiles.models.base import metadata
from outbound_profiles.models.billing_groups import billing_groups
from outbound_profiles.models.calls import calls, daily_spend
from outbound_profiles.models.connections import connections
from outbound_profiles.models.external import external_references
from outbound_profiles.models.idempotency import idempotency_keys
from outbound_profiles.models.profiles import outbound_profiles
from outbound_profiles.models.rating import rate_deck_rows, rate_decks

__all__ = [
    "api_tokens",
    "billing_groups",
    "calls",
    "connections",
    "daily_spend",
    "external_references",
    "idempotency_keys",
    "metadata",
    "outbound_profiles",
    "rate_deck_rows",
    "rate_decks",
    "users",
]
