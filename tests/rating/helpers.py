"""Small decks for the rating tests."""

from __future__ import annotations

from collections.abc import Iterator

HEADER = "prefix,country,rate,connect_fee,initial_increment,subsequent_increment\n"


def deck_lines(rows: int, *, rate: str = "0.01", start: int = 1_000_000) -> list[str]:
    """A good deck of `rows` prefixes (`start`, `start + 1`, ...), all at `rate`."""
    return [HEADER, *(f"{start + n},US,{rate},0,6,6\n" for n in range(rows))]


def failing_after(lines: list[str], count: int) -> Iterator[str]:
    """The first `count` lines, then a failure (a file that could not be read to its end)."""
    yield from lines[:count]
    raise OSError("the disk went away")
