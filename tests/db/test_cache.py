"""The cache's generations: a value read before an invalidation is never stored after it."""

from __future__ import annotations

import asyncio

from outbound_profiles.db.cache import MAX_INVALIDATED_KEYS, Cache, Clock


def cache(clock: Clock | None = None, *, enabled: bool = True) -> Cache[int, str]:
    return Cache("test", max_entries=10, enabled=enabled, clock=clock or Clock())


def test_a_fill_read_before_its_key_was_invalidated_is_refused() -> None:
    clock = Clock()
    views = cache(clock)
    since = clock.now  # a transaction starts
    views.invalidate(1)  # a notification for key 1 comes while it reads
    assert not views.put(1, "old", since)
    assert views.get(1) is None
    assert views.put(2, "other key", since)  # another key was not invalidated
    assert views.put(1, "new", clock.now)  # a transaction that started after it


def test_a_fill_read_before_the_whole_cache_was_invalidated_is_refused() -> None:
    clock = Clock()
    views = cache(clock)
    since = clock.now
    views.invalidate()
    assert not views.put(1, "old", since)
    assert not views.put(2, "old", since)
    assert views.put(1, "new", clock.now)


def test_an_invalidation_of_another_cache_does_not_refuse_a_fill() -> None:
    clock = Clock()
    views, credentials = cache(clock), cache(clock)
    since = clock.now
    credentials.invalidate()
    assert views.put(1, "read", since)


def test_a_discard_takes_the_entry_out_without_refusing_fills() -> None:
    clock = Clock()
    views = cache(clock)
    views.put(1, "a")
    since = clock.now
    views.discard(1)
    assert views.get(1) is None
    assert views.put(1, "b", since)


def test_past_the_record_of_invalidated_keys_every_older_fill_is_refused() -> None:
    clock = Clock()
    views = cache(clock)
    since = clock.now
    for key in range(MAX_INVALIDATED_KEYS + 1):
        views.invalidate(key)
    # The record of the first keys is gone: the whole cache counts as invalidated.
    assert not views.put(0, "old", since)
    assert not views.put(MAX_INVALIDATED_KEYS + 5, "old", since)
    assert views.put(0, "new", clock.now)


def test_only_an_invalidation_of_everything_empties_the_cache() -> None:
    # The data plane fills its caches again from the database when they were emptied whole: a
    # stream of changes of single rows, past the record of invalidated keys, empties nothing.
    clock = Clock()
    views = cache(clock)
    views.put(-1, "kept")
    for key in range(MAX_INVALIDATED_KEYS + 1):
        views.invalidate(key)
    assert views.emptied_at == 0
    assert views.get(-1) == "kept"
    views.invalidate()
    assert views.emptied_at == clock.now
    assert len(views) == 0


def test_a_disabled_cache_stores_nothing_and_what_started_before_it_was_enabled_is_refused() -> None:
    clock = Clock()
    views = cache(clock)
    views.put(1, "a")
    views.disable()
    assert views.get(1) is None
    assert not views.put(1, "b")
    since = clock.now
    views.enable()
    assert not views.put(1, "read while disabled", since)
    assert views.put(1, "c", clock.now)
    assert views.get(1) == "c"


def test_an_unconditional_put_ignores_generations() -> None:
    views = cache()
    views.invalidate(1)
    assert views.put(1, "written by this transaction")


def test_a_read_that_suspends_while_a_notification_is_handled_does_not_leave_a_stale_entry() -> None:
    """As on PostgreSQL's asynchronous driver: the read's statement suspends the request, the
    listener handles a notification on the same loop, and then the read fills the cache."""
    clock = Clock()
    views = cache(clock)

    async def read() -> bool:
        since = clock.now  # the transaction starts
        await asyncio.sleep(0)  # the statement: the loop runs the listener meanwhile
        return views.put(1, "read before the change", since)

    async def notification() -> None:
        views.invalidate(1)

    async def both() -> bool:
        reading = asyncio.create_task(read())
        await asyncio.sleep(0)  # the read has started and is waiting for its statement
        await notification()
        return await reading

    assert asyncio.run(both()) is False
    assert views.get(1) is None
