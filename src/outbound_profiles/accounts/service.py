"""Operator actions on users and tokens (the command line uses these) and authentication."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import Connection

from outbound_profiles.accounts import repository, tokens
from outbound_profiles.accounts.account import DEFAULT_CPS, DEFAULT_MAX_CPS, Account
from outbound_profiles.db.cache import Cache
from outbound_profiles.db.database import database_of
from outbound_profiles.domain.ids import new_id

TENANT = "tenant"


class AccountError(Exception):
    """An operator command that cannot be carried out (shown as the command's error)."""


@dataclass(frozen=True, slots=True)
class NewCredentials:
    user_id: str
    email: str
    token_id: str
    token: str


def create_user(
    connection: Connection,
    email: str,
    *,
    concurrent_call_limit: int | None = None,
    max_cps: int = DEFAULT_MAX_CPS,
    default_cps: int = DEFAULT_CPS,
) -> NewCredentials:
    email = email.strip()
    if "@" not in email or len(email) > 255:
        raise AccountError(f"{email!r} is not an email address")
    if concurrent_call_limit is not None and concurrent_call_limit < 0:
        raise AccountError("the concurrent call limit must be >= 0")
    if max_cps < default_cps:
        raise AccountError(f"the maximum CPS must be at least the default CPS ({default_cps})")
    if repository.find_user_by_email(connection, email) is not None:
        raise AccountError(f"a user with the email {email!r} already exists")
    user_id = new_id()
    repository.insert_user(
        connection,
        {
            "id": user_id,
            "email": email,
            "concurrent_call_limit": concurrent_call_limit,
            "default_cps": default_cps,
            "max_cps": max_cps,
            "created_at": datetime.now(UTC),
        },
    )
    return _issue_token(connection, user_id, email)


def create_token(connection: Connection, email: str) -> NewCredentials:
    row = repository.find_user_by_email(connection, email)
    if row is None:
        raise AccountError(f"no user with the email {email!r}")
    return _issue_token(connection, row.id, row.email)


def revoke_token(connection: Connection, token_id: str) -> None:
    if not repository.revoke_token(connection, token_id, datetime.now(UTC)):
        raise AccountError(f"no active token with the id {token_id!r}")
    # Another process's caches are cleared by the commit itself (see db/cache.py); this one's here.
    _credentials(connection).discard(token_id)


def _issue_token(connection: Connection, user_id: int, email: str) -> NewCredentials:
    issued = tokens.issue()
    _credentials(connection).discard(issued.token_id)  # not unknown any more
    repository.insert_token(
        connection,
        {
            "id": issued.token_id,
            "user_id": user_id,
            "secret_hash": issued.secret_hash,
            "kind": TENANT,
            "created_at": datetime.now(UTC),
        },
    )
    return NewCredentials(str(user_id), email, issued.token_id, issued.token)


@dataclass(frozen=True, slots=True)
class _Credentials:
    secret_hash: str
    kind: str
    account: Account
    # The secret once it matched: a request that presents it again is checked by a constant-time
    # comparison instead of a sha256 (hashlib's set-up costs ~4% of a profile update's CPU).
    verified: bytes | None = None


def _credentials(connection: Connection) -> Cache[str, _Credentials]:
    return database_of(connection).cache("credentials")


# What an unknown token id is remembered as: checked like any token, so that it costs what a known
# id with a wrong secret costs and the time of a refusal does not tell whether the id exists.
_UNKNOWN = _Credentials(tokens.hash_secret(""), "unknown", Account(0, "", None, 0, 0))


def authenticate(connection: Connection, token: str, api_user: str | None) -> Account | None:
    """The account a token belongs to; with the v1 pair, `api_user` must name the same user or key."""
    parts = tokens.split(token)
    if parts is None:
        return None
    token_id, secret = parts
    cache = _credentials(connection)
    found = cache.get(token_id)
    if found is None:
        row = repository.find_credentials(connection, token_id)
        found = _UNKNOWN if row is None else _Credentials(row.secret_hash, row.kind, Account.from_row(row))
        cache.put(token_id, found)
    presented = secret.encode()
    if found.verified is None or not hmac.compare_digest(presented, found.verified):
        if not tokens.secret_matches(secret, found.secret_hash) or found is _UNKNOWN:
            return None
        cache.put(token_id, replace(found, verified=presented))
    if found.kind != TENANT:
        return None
    account = found.account
    if api_user is not None and api_user.lower() not in (account.email.lower(), token_id.lower()):
        return None
    return account
