"""API tokens: `KEY<24 hex>_<secret>`. The first part is the token id (the "API key id" that
`x-api-user` may name); only a sha256 of the secret is stored, and it is compared in constant time.

A fast hash is enough: the secret is 256 random bits, so there is nothing to guess by brute force.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token_id: str
    token: str
    secret_hash: str


def issue() -> IssuedToken:
    token_id = "KEY" + secrets.token_hex(12).upper()
    secret = secrets.token_urlsafe(32)
    return IssuedToken(token_id, f"{token_id}_{secret}", hash_secret(secret))


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split(token: str) -> tuple[str, str] | None:
    token_id, sep, secret = token.partition("_")
    if not sep or not token_id.startswith("KEY") or len(token_id) > 32 or not secret:
        return None
    return token_id, secret


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
