"""Time-ordered 63-bit ids, rendered as numeric strings (Telnyx style, e.g. "1293384261075731499").

Layout: 41 bits of milliseconds since 2020-01-01, 10 bits of node, 12 bits of sequence. The node
is drawn at random per process, so several workers and nodes rarely need coordination; a
collision would need the same node, millisecond and sequence, and the primary key refuses it.
"""

from __future__ import annotations

import re
import secrets
import threading
import time

_EPOCH_MS = 1_577_836_800_000  # 2020-01-01T00:00:00Z
_NODE_BITS = 10
_SEQUENCE_BITS = 12
_SEQUENCE_MASK = (1 << _SEQUENCE_BITS) - 1


class IdGenerator:
    def __init__(self, node: int | None = None) -> None:
        self._node = secrets.randbits(_NODE_BITS) if node is None else node & ((1 << _NODE_BITS) - 1)
        self._lock = threading.Lock()
        self._last_ms = -1
        self._sequence = 0

    def next_id(self) -> int:
        with self._lock:
            now = int(time.time() * 1000) - _EPOCH_MS
            if now <= self._last_ms:
                # Same millisecond (or the clock stepped back): keep ordering by borrowing the future.
                now = self._last_ms
                self._sequence = (self._sequence + 1) & _SEQUENCE_MASK
                if self._sequence == 0:
                    now += 1
            else:
                self._sequence = 0
            self._last_ms = now
            return (now << (_NODE_BITS + _SEQUENCE_BITS)) | (self._node << _SEQUENCE_BITS) | self._sequence


_default = IdGenerator()
new_id = _default.next_id


def parse_id(value: str) -> int | None:
    """The integer behind an id string, or None when it cannot be one of ours.

    Only the canonical spelling is an id: "0123" is not "123" (one resource, one id string).
    """
    if not value.isascii() or not value.isdigit() or len(value) > 19 or value.startswith("0"):
        return None
    number = int(value)
    return number if 0 < number < (1 << 63) else None


def canonical_uuid(value: str) -> str | None:
    """A UUID written `8-4-4-4-12` in any case, in its canonical lower-case form; None for anything else.

    UUIDs are case-insensitive (RFC 9562): "6A09CDC3-..." names the same resource as "6a09cdc3-...".
    Other spellings `uuid.UUID` accepts (braces, `urn:uuid:`, no hyphens) are not ids of ours.
    """
    return value.lower() if _UUID.fullmatch(value) else None


# Matched, not parsed with `uuid.UUID`: every PUT that names a billing group reads one.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
