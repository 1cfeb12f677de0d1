"""`serve --demo`: a ready tenant to try the API with."""

from __future__ import annotations

from sqlalchemy import Connection

from outbound_profiles.accounts import repository as accounts
from outbound_profiles.accounts import service as account_service
from outbound_profiles.accounts.account import Account
from outbound_profiles.billing_groups import service as billing_groups
from outbound_profiles.connections import service as connections

DEMO_EMAIL = "demo@example.com"


def ensure_demo_tenant(connection: Connection) -> account_service.NewCredentials:
    """The demo user (created with two connections and a billing group on first use) and a new token.

    Tokens are shown only once, so every start issues a fresh one for the demo user.
    """
    if accounts.find_user_by_email(connection, DEMO_EMAIL) is not None:
        return account_service.create_token(connection, DEMO_EMAIL)
    credentials = account_service.create_user(connection, DEMO_EMAIL, concurrent_call_limit=100)
    row = accounts.find_user_by_email(connection, DEMO_EMAIL)
    assert row is not None
    account = Account.from_row(row)
    for name in ("demo-sip-trunk-1", "demo-sip-trunk-2"):
        connections.create(connection, account, {"connection_name": name})
    billing_groups.create(connection, account, {"name": "Demo billing group"})
    return credentials
