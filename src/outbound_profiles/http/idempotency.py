"""`Idempotency-Key` on creates, one mechanism for API v1 and v2.

A create sent with the header is answered once: the key, the request's fingerprint (method, path,
query, body) and the answer are stored in the same transaction as the created resource, so a
retry with the same key gets the first answer again and creates nothing. Keys belong to the user
and are kept 24 hours. The same key with another request is refused with a 422 (as the IETF draft
"The Idempotency-Key HTTP Header Field" says), on both surfaces. A create that fails stores
nothing (its transaction rolls back), so its retry is processed afresh.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import msgspec
from litestar import Request
from sqlalchemy import Connection

from outbound_profiles.accounts.account import Account
from outbound_profiles.domain.timestamps import now
from outbound_profiles.errors import ErrorCode, Problem, Unprocessable
from outbound_profiles.idempotency import repository

T = TypeVar("T")
HEADER = "Idempotency-Key"
KEPT_FOR = timedelta(hours=24)
_VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII, as the keys SDKs make (uuids and the like)
# Numbers with a fraction or an exponent as the digits sent, not as doubles: 0.1 and
# 0.10000000000000000001 are different requests (the second is refused), though one double holds both.
_decoder = msgspec.json.Decoder(float_hook=Decimal)
_encoder = msgspec.json.Encoder(order="sorted", decimal_format="number")


def _refused(detail: str) -> Unprocessable:
    return Unprocessable([Problem(ErrorCode.BAD_REQUEST, detail, parameter=HEADER)])


@dataclass(frozen=True, slots=True)
class Idempotency:
    """The key a request came with (None: none) and the request's fingerprint."""

    key: str | None
    fingerprint: str = ""

    def apply(self, connection: Connection, account: Account, answer: Any, work: Callable[[], T]) -> T:
        """`work()`, or the answer it gave the first time this key was used by this user (decoded as
        `answer`, a type msgspec can decode)."""
        if self.key is None:
            return work()
        if not _VALID_KEY.fullmatch(self.key):
            raise _refused(f"The {HEADER} header must be 1 to 255 visible ASCII characters.")
        at = now()
        repository.forget_expired(connection, account.id, at)
        for _ in range(2):  # a key held by a transaction that then rolled back can be claimed again
            if repository.claim(connection, account.id, self.key, self.fingerprint, at, at + KEPT_FOR):
                result = work()
                repository.answer(connection, account.id, self.key, 200, msgspec.json.encode(result))
                return result
            stored = repository.get(connection, account.id, self.key)
            if stored is None:
                continue
            if stored.fingerprint != self.fingerprint:
                raise _refused(
                    f"This {HEADER} was already used for a different request in the last 24 hours; "
                    "use a new key for a new request."
                )
            first: T = msgspec.json.decode(stored.response, type=answer)
            return first
        raise _refused(f"The {HEADER} could not be claimed; retry the request.")  # pragma: no cover


async def idempotency(request: Request[Any, Any, Any]) -> Idempotency:
    """The request's key and fingerprint (the body is read here; Litestar keeps it for the handler)."""
    key = request.headers.get(HEADER)
    if key is None:
        return Idempotency(None)
    raw = await request.body()
    try:
        body: bytes = _encoder.encode(_decoder.decode(raw))  # the same JSON written differently is the same
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError, InvalidOperation):
        body = raw  # not JSON: the handler refuses it (after authentication), the bytes are its fingerprint
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.url.path.encode(), _query(request), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return Idempotency(key, digest.hexdigest())


def _query(request: Request[Any, Any, Any]) -> bytes:
    return "&".join(f"{k}={v}" for k, v in sorted(request.query_params.multi_items())).encode()
