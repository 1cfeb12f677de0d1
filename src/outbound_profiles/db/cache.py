"""In-process caches of the database's state, owned by the Database that keeps them valid.

A cache is only kept where the process can tell when another process has written: on SQLite,
`PRAGMA data_version` changes whenever another connection commits, and the Database clears every
cache before the next transaction that sees it change. On PostgreSQL the caches are disabled
(every read goes to the database) until a cross-process invalidation channel exists.

An entry is the state as this process's transactions left it. While the requests of one commit
are running (`db/group_commit.py`) that state is not committed yet, but no answer that could have
read it is sent before the commit, and a commit that fails clears every cache. A request whose
own work rolls back takes its entries out again (`db.database.on_rollback`).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Cache(Generic[K, V]):
    """A bounded LRU map; a disabled cache stores nothing."""

    def __init__(self, name: str, *, max_entries: int, enabled: bool, depends_on: frozenset[str] = frozenset()) -> None:
        self.name = name
        self.enabled = enabled
        self.depends_on = depends_on  # the tables its entries are read from
        self._max_entries = max_entries
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        if not self.enabled:
            return
        self._entries[key] = value
        self._entries.move_to_end(key)
        if len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def discard(self, key: K) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
