"""The in-memory rate deck: longest-prefix match of a dialled number, in little memory.

A deck of a million prefixes is held in two flat arrays instead of a dict of strings: `_keys`, the
prefixes encoded as integers and sorted, and `_tariffs`, for each prefix the index of its tariff
(country, rate, connect fee, increments) in a list where each distinct tariff is kept once (a deck
has far fewer distinct tariffs than prefixes). A key is `int(prefix) << 4 | len(prefix)`: the
length keeps a dialled "0044" from matching the prefix "44" (a prefix itself never starts with 0,
as no E.164 country code does, so its text is `str(key >> 4)`).

A match tries the number's leading digits longest first, but only at the lengths the deck has,
each a binary search of `_keys`. The figures that chose this layout are in
docs/decisions/0011-rate-decks.md.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import NamedTuple

MAX_PREFIX_DIGITS = 15  # E.164: a number has at most 15 digits


class Tariff(NamedTuple):
    """What a prefix costs; many prefixes share one (a country's mobile ranges, say)."""

    country: str  # ISO 3166-1 alpha-2, or "" for a non-geographic prefix
    rate: Decimal  # USD a minute
    connect_fee: Decimal  # USD a call
    initial_increment: int  # seconds
    subsequent_increment: int  # seconds


class DeckRow(NamedTuple):
    prefix: str
    country: str
    rate: Decimal
    connect_fee: Decimal
    initial_increment: int
    subsequent_increment: int

    @property
    def tariff(self) -> Tariff:
        return Tariff(*self[1:])


def encode(prefix: str) -> int:
    return int(prefix) << 4 | len(prefix)


def _decode(key: int) -> str:
    return str(key >> 4)


class Deck:
    """An immutable deck. `deck_id` names the stored deck it was loaded from (0: not stored)."""

    __slots__ = ("_keys", "_lengths", "_tariff_of", "_tariffs", "deck_id")

    def __init__(self, deck_id: int, keys: array[int], tariff_of: array[int], tariffs: list[Tariff]) -> None:
        self.deck_id = deck_id
        self._keys = keys
        self._tariff_of = tariff_of
        self._tariffs = tariffs
        self._lengths = tuple(sorted({key & 0xF for key in keys}, reverse=True))

    @classmethod
    def build(cls, deck_id: int, rows: Iterable[DeckRow]) -> Deck:
        """A deck of `rows` (whose prefixes must be distinct: the stored deck's primary key sees to it)."""
        builder = DeckBuilder()
        for row in rows:
            builder.add(row.prefix, row.tariff)
        return builder.finish(deck_id)

    def __len__(self) -> int:
        return len(self._keys)

    def match(self, digits: str) -> DeckRow | None:
        """The row of the longest prefix of `digits` (a number's digits, no '+'), or None."""
        if not (digits.isascii() and digits.isdigit()):
            return None  # int() would take "1_2" or " 12"
        keys = self._keys
        size = len(keys)
        available = min(len(digits), MAX_PREFIX_DIGITS)
        for length in self._lengths:
            if length > available:
                continue
            key = int(digits[:length]) << 4 | length
            index = bisect_left(keys, key)
            if index < size and keys[index] == key:
                tariff = self._tariffs[self._tariff_of[index]]
                return DeckRow(digits[:length], *tariff)
        return None

    def rows(self) -> Iterator[DeckRow]:
        """Every row, in the order of their prefixes' numeric values."""
        tariffs = self._tariffs
        for key, index in zip(self._keys, self._tariff_of, strict=True):
            yield DeckRow(_decode(key), *tariffs[index])

    def csv_lines(self) -> Iterator[str]:
        """The deck as CSV text, header first, one line per row (each ending in a newline)."""
        yield ",".join(COLUMNS) + "\n"
        for row in self.rows():
            yield ",".join(map(str, row)) + "\n"


COLUMNS = ("prefix", "country", "rate", "connect_fee", "initial_increment", "subsequent_increment")


class DeckBuilder:
    """Collects (prefix, tariff) pairs one by one, sharing equal tariffs, then sorts them once."""

    __slots__ = ("_index_of", "_keys", "_tariff_of", "_tariffs")

    def __init__(self) -> None:
        self._keys: array[int] = array("q")
        self._tariff_of: array[int] = array("I")
        self._tariffs: list[Tariff] = []
        self._index_of: dict[tuple[object, ...], int] = {}

    def add_stored(self, row: tuple[str, str, str, str, int, int]) -> None:
        """A row as stored (money as text); equal texts share one tariff, made on first sight."""
        key = row[1:]
        index = self._index_of.get(key)
        if index is None:
            index = self._index_of[key] = len(self._tariffs)
            self._tariffs.append(Tariff(row[1], Decimal(row[2]), Decimal(row[3]), row[4], row[5]))
        self._keys.append(encode(row[0]))
        self._tariff_of.append(index)

    def add(self, prefix: str, tariff: Tariff) -> None:
        index = self._index_of.get(tariff)
        if index is None:
            index = self._index_of[tariff] = len(self._tariffs)
            self._tariffs.append(tariff)
        self._keys.append(encode(prefix))
        self._tariff_of.append(index)

    def __len__(self) -> int:
        return len(self._keys)

    def finish(self, deck_id: int) -> Deck:
        keys, tariff_of = self._keys, self._tariff_of
        if any(keys[i] > keys[i + 1] for i in range(len(keys) - 1)):
            order = sorted(range(len(keys)), key=keys.__getitem__)
            keys = array("q", [keys[i] for i in order])
            tariff_of = array("I", [tariff_of[i] for i in order])
        return Deck(deck_id, keys, tariff_of, self._tariffs)
