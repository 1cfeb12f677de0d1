"""In-process caches of the database's state, owned by the Database that keeps them valid.

A cache is only used while the process can tell when another process has written:

- On SQLite, `PRAGMA data_version` changes whenever another connection commits. The Database
  reads it at the start of each transaction and every `WATCH_INTERVAL_S` on the event loop
  (`Database.start_watching`), and clears every cache when it moved.
- On PostgreSQL, triggers send a notification on commit for each changed row (migration 0010) and
  a connection of each process listens for them (`db/changes.py`). A cache names the tables it
  depends on; a change of one discards the entry it names, or the whole cache. While the listener
  is not connected (at start, after a lost connection) the caches are disabled: notifications may
  have been missed, so every read goes to the database.

A read that started before a change may finish after the change's notification has been handled
(on PostgreSQL a statement suspends the request, and the listener runs meanwhile): what it read
is older than the notification and must not be put in the cache. Each invalidation takes the next
value of the Database's `Clock`; a transaction notes the clock's value when it starts, and `put`
refuses a value read in a transaction that started before the key, or the whole cache, was
last invalidated.

An entry is the state as this process's transactions left it. On SQLite, while the requests of
one commit are running (`db/group_commit.py`) that state is not committed yet, but no answer that
could have read it is sent before the commit, and a commit that fails clears every cache. A
request whose own work rolls back takes its entries out again (`db.database.on_rollback`). On
PostgreSQL a request's own change invalidates its entries when its transaction ends
(`db.database.changed`): before that, other requests may still read the committed state.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Final, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

ALL: Final[Any] = object()
# Keys invalidated one by one that are remembered with their time; past this many, the whole cache
# counts as invalidated (a fill in flight is refused) and the record starts again.
MAX_INVALIDATED_KEYS = 1024


class Clock:
    """Counts the invalidations of a Database's caches: a transaction's start and an
    invalidation are ordered by its value."""

    __slots__ = ("now",)

    def __init__(self) -> None:
        self.now = 0

    def tick(self) -> int:
        self.now += 1
        return self.now


class Cache(Generic[K, V]):
    """A bounded LRU map; a disabled cache stores nothing.

    `depends_on`: the tables whose change makes an entry stale. `keyed_by`: the table whose row id
    is the key (read from a notification with `parse_key`): a change of that table's row discards
    that entry only; a change of any other table it depends on clears the cache.
    `cleared_by_writes`: this process's own writes of those tables invalidate it too (`table_written`:
    the written row's entry when it is keyed by that table, else everything), for a cache whose
    writers do not keep its entries one by one.
    """

    def __init__(
        self,
        name: str,
        *,
        max_entries: int,
        enabled: bool,
        clock: Clock | None = None,
        depends_on: tuple[str, ...] = (),
        keyed_by: str | None = None,
        parse_key: Callable[[str], Any] = str,
        cleared_by_writes: bool = False,
    ) -> None:
        self.name = name
        self.enabled = enabled
        self.depends_on = depends_on
        self.cleared_by_writes = cleared_by_writes
        self.keyed_by = keyed_by
        self.parse_key = parse_key
        self._clock = clock or Clock()
        self._max_entries = max_entries
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._cleared = 0  # the clock when the whole cache was last invalidated
        self._emptied = 0  # the clock when its entries were last dropped all at once
        self._invalidated: dict[K, int] = {}  # the clock when a key was last invalidated alone

    def get(self, key: K) -> V | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V, since: int | None = None) -> bool:
        """Store `value`, unless the cache is disabled or `key` was invalidated after `since` (the
        clock when the transaction that read `value` started). Whether it was stored."""
        if not self.enabled:
            return False
        if since is not None and (self._cleared > since or self._invalidated.get(key, 0) > since):
            return False
        self._entries[key] = value
        self._entries.move_to_end(key)
        if len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
        return True

    def discard(self, key: K) -> None:
        """Take an entry out; a fill already in flight may still put it back (see `invalidate`)."""
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def invalidate(self, key: K = ALL) -> None:
        """The database changed `key` (or anything, by default): take it out and refuse every fill
        of it read by a transaction that started before now."""
        now = self._clock.tick()
        if key is ALL:
            self._entries.clear()
            self._invalidated.clear()
            self._cleared = self._emptied = now
            return
        self._entries.pop(key, None)
        if len(self._invalidated) >= MAX_INVALIDATED_KEYS:
            self._invalidated.clear()
            self._cleared = now
        self._invalidated[key] = now

    @property
    def emptied_at(self) -> int:
        """The clock when every entry was last invalidated at once (not when too many keys were
        invalidated one by one: those dropped only their own entries)."""
        return self._emptied

    def disable(self) -> None:
        self.enabled = False
        self.invalidate()

    def enable(self) -> None:
        self.invalidate()
        self.enabled = True

    def __len__(self) -> int:
        return len(self._entries)
