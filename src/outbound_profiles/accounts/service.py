"""Operator actions on users and tokens (the command line uses these) and authentication."""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from outbound_profiles.accounts import repository, tokens
from outbound_profiles.accounts.account import DEFAULT_CPS, DEFAULT_MAX_CPS, Account
from outbound_profiles.db.cache import Cache
from outbound_profiles.db.database import Database, changed, database_of, fill
from outbound_profiles.domain.ids import new_id
from outbound_profiles.errors import Forbidden

TENANT = "tenant"
SWITCH = "switch"


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
    _check_ranges(concurrent_call_limit, max_cps, default_cps)
    _check_cps(max_cps, default_cps)
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


# The settings' columns are 32-bit integers on PostgreSQL.
_MOST = 2**31 - 1


def _check_ranges(concurrent_call_limit: int | None, max_cps: int | None, default_cps: int | None) -> None:
    """Each account setting given (None: not given, or no limit) within its column's range."""
    if concurrent_call_limit is not None and not 0 <= concurrent_call_limit <= _MOST:
        raise AccountError(f"the concurrent call limit must be from 0 to {_MOST}, or none")
    if default_cps is not None and not 1 <= default_cps <= _MOST:
        raise AccountError(f"the default CPS must be from 1 to {_MOST}")
    if max_cps is not None and not 1 <= max_cps <= _MOST:
        raise AccountError(f"the maximum CPS must be from 1 to {_MOST}")


def _check_cps(max_cps: int, default_cps: int) -> None:
    """The maximum CPS not below the default: a new profile would be over its own account's maximum."""
    if max_cps < default_cps:
        raise AccountError(f"the maximum CPS ({max_cps}) must be at least the default CPS ({default_cps})")


def create_token(connection: Connection, email: str) -> NewCredentials:
    row = repository.find_user_by_email(connection, email)
    if row is None:
        raise AccountError(f"no user with the email {email!r}")
    return _issue_token(connection, row.id, row.email)


def create_switch_token(connection: Connection) -> NewCredentials:
    """A token for the SIP switch: it authorizes the calls of every tenant and reads no tenant's resources."""
    issued = tokens.issue()
    changed(connection, _credentials(connection), issued.token_id)
    repository.insert_token(
        connection,
        {
            "id": issued.token_id,
            "user_id": None,
            "secret_hash": issued.secret_hash,
            "kind": SWITCH,
            "created_at": datetime.now(UTC),
        },
    )
    return NewCredentials("", "", issued.token_id, issued.token)


def revoke_token(connection: Connection, token: str) -> str:
    """Revoke a token named by its id or given whole (`KEY..._secret`); the id that was revoked."""
    parts = tokens.split(token)
    token_id = parts[0] if parts is not None else token
    if not repository.revoke_token(connection, token_id, datetime.now(UTC)):
        raise AccountError(f"no active token with the id {token_id!r} (see `outbound-profiles tokens list`)")
    # Another process's caches learn of it from the commit (see db/cache.py); this one's here.
    changed(connection, _credentials(connection), token_id)
    return token_id


def _user(connection: Connection, email: str) -> Any:
    row = repository.find_user_by_email(connection, email)
    if row is None:
        raise AccountError(f"no user with the email {email!r} (see `outbound-profiles users list`)")
    return row


def list_users(connection: Connection) -> list[dict[str, Any]]:
    return [
        {
            "user_id": str(row.id),
            "email": row.email,
            "concurrent_call_limit": row.concurrent_call_limit,
            "default_cps": row.default_cps,
            "max_cps": row.max_cps,
            "active_tokens": row.active_tokens,
            "created_at": _timestamp(row.created_at),
            "disabled_at": _timestamp(row.disabled_at),
        }
        for row in repository.list_users(connection)
    ]


UNCHANGED: Any = object()


def update_user(
    connection: Connection,
    email: str,
    *,
    concurrent_call_limit: int | None = UNCHANGED,
    max_cps: int | None = None,
    default_cps: int | None = None,
) -> None:
    """Change a user's account settings; `concurrent_call_limit=None` removes the limit."""
    row = _user(connection, email)
    values: dict[str, Any] = {}
    if concurrent_call_limit is not UNCHANGED:
        values["concurrent_call_limit"] = concurrent_call_limit
    if default_cps is not None:
        values["default_cps"] = default_cps
    if max_cps is not None:
        values["max_cps"] = max_cps
    if not values:
        raise AccountError("nothing to change: give --concurrent-call-limit, --max-cps or --default-cps")
    # Only what is given is checked against its range: what is stored may predate the ranges.
    _check_ranges(values.get("concurrent_call_limit"), max_cps, default_cps)
    _check_cps(values.get("max_cps", row.max_cps), values.get("default_cps", row.default_cps))
    repository.update_user(connection, row.id, values)
    changed(connection, _credentials(connection))  # cached accounts carry the old settings


def set_disabled(connection: Connection, email: str, disabled: bool) -> bool:
    """Disable (or enable) a user: a disabled user's tokens no longer authenticate. Whether anything changed."""
    row = _user(connection, email)
    if (row.disabled_at is not None) == disabled:
        return False
    repository.update_user(connection, row.id, {"disabled_at": datetime.now(UTC) if disabled else None})
    changed(connection, _credentials(connection))
    return True


def list_tokens(connection: Connection, email: str | None) -> list[dict[str, Any]]:
    user_id = None if email is None else _user(connection, email).id
    return [
        {
            "token_id": row.id,
            "kind": row.kind,
            "email": row.email,
            "created_at": _timestamp(row.created_at),
            "last_used_at": _timestamp(row.last_used_at),
            "revoked_at": _timestamp(row.revoked_at),
        }
        for row in repository.list_tokens(connection, user_id)
    ]


def _timestamp(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _issue_token(connection: Connection, user_id: int, email: str) -> NewCredentials:
    issued = tokens.issue()
    changed(connection, _credentials(connection), issued.token_id)  # not unknown any more
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
    # When the token was last recorded as used (seconds since the epoch; 0 for never).
    last_used: float
    # The secret once it matched: a request that presents it again is checked by a constant-time
    # comparison, and `remembered` can answer the data plane from memory alone.
    verified: bytes | None = None


def _credentials(connection: Connection) -> Cache[str, _Credentials]:
    return credentials_cache(database_of(connection))


def credentials_cache(database: Database) -> Cache[str, _Credentials]:
    return database.cache("credentials", depends_on=("api_tokens", "users"), keyed_by="api_tokens")


def remembered(database: Database, token: str, kind: str) -> Account | None:
    """The account of a token of `kind` this process has verified before and whose use is recorded,
    from memory alone; None when the database must be asked (`authenticate`)."""
    parts = tokens.split(token)
    if parts is None:
        return None
    found = credentials_cache(database).get(parts[0])
    if found is None or found.verified is None or found.kind != kind:
        return None
    if time.time() - found.last_used >= LAST_USED_RESOLUTION_S:
        return None
    return found.account if hmac.compare_digest(parts[1].encode(), found.verified) else None


# What an unknown token id is remembered as: checked like any token, so that it costs what a known
# id with a wrong secret costs and the time of a refusal does not tell whether the id exists.
_UNKNOWN = _Credentials(tokens.hash_secret(""), "unknown", Account(0, "", None, 0, 0), 0.0)


# Who a switch token authenticates as: the operator, no tenant.
SWITCH_ACCOUNT = Account(0, "", None, 0, 0)


def authenticate(connection: Connection, token: str, api_user: str | None, kind: str = TENANT) -> Account | None:
    """The account a token of `kind` belongs to (`SWITCH_ACCOUNT` for a switch token); with the v1
    pair, `api_user` must name the same user or key. A valid token of the other kind is refused (403)."""
    parts = tokens.split(token)
    if parts is None:
        return None
    token_id, secret = parts
    cache = _credentials(connection)
    found = cache.get(token_id)
    if found is None:
        row = repository.find_credentials(connection, token_id)
        if row is None:
            found = _UNKNOWN
        else:
            last_used = 0.0 if row.last_used_at is None else row.last_used_at.timestamp()
            account = SWITCH_ACCOUNT if row.kind == SWITCH else Account.from_row(row)
            found = _Credentials(row.secret_hash, row.kind, account, last_used)
        fill(connection, cache, token_id, found)
    presented = secret.encode()
    if found.verified is None or not hmac.compare_digest(presented, found.verified):
        if not tokens.secret_matches(secret, found.secret_hash) or found is _UNKNOWN:
            return None
        fill(connection, cache, token_id, replace(found, verified=presented))
    if found.kind != kind:
        raise Forbidden(_WRONG_KIND[kind])
    account = found.account
    if api_user is not None and api_user.lower() not in (account.email.lower(), token_id.lower()):
        return None
    now = time.time()
    if now - found.last_used >= LAST_USED_RESOLUTION_S:
        _record_use(connection, token_id, now)
        found = cache.get(token_id) or found
        fill(connection, cache, token_id, replace(found, last_used=now))
    return account


_WRONG_KIND = {
    TENANT: "A switch token authorizes calls only; use a tenant's token for its resources.",
    SWITCH: "Only a switch token may authorize calls (outbound-profiles tokens create --switch).",
}


# A token's last use is written at most this often (a write on every request would cost every
# read a transaction that writes): `tokens list` shows it to within this many seconds.
LAST_USED_RESOLUTION_S = 3600.0


def _record_use(connection: Connection, token_id: str, now: float) -> None:
    """Record a token's use, in the request's transaction. On SQLite a read's transaction takes the
    write lock only here; should another process hold it past the busy timeout, the request is
    served anyway and the use recorded next time (a failed statement leaves SQLite's transaction
    usable). On PostgreSQL it is part of the read's transaction (a serialization failure, should
    another process record the same token's use at the same moment, runs the request again)."""
    at = datetime.fromtimestamp(now, UTC)
    if database_of(connection).is_sqlite:
        try:
            repository.touch_token(connection, token_id, at)
        except OperationalError:
            return
    else:
        repository.touch_token(connection, token_id, at)
