"""The parser's short way for well-formed rows gives exactly the rows, and the problems, of its long
way: each deck is parsed as written and again with a space after every field (which only the long
way takes)."""

from __future__ import annotations

import pytest

from outbound_profiles.rating.parse import DeckParser, Problem, StoredRow

DECKS = [
    "prefix,country,rate\n1,us,0.01\n44,,0\n800,GB,123456.123456\n",
    "prefix,country,rate,connect_fee\n1,US,0.01,\n44,GB,0.02,0.5\n",
    "prefix,country,rate,connect_fee,initial_increment\n1,US,0.01,0,1\n2,CA,0.01,,\n",
    "prefix,country,rate,connect_fee,initial_increment,subsequent_increment\r\n"
    "1,US,0.01,0,6,6\r\n1,US,0.02,0,6,6\r\n12,XX,0.01,0,6,6\r\n13,US,0.01,0,0,6\r\n14,US,1e3\r\n"
    "15,US,0.0000001\r\n16,US,0.01,0,6,6,7\r\n17\r\n\r\n18,CA,0.03,0.1,999999,1\r\n",
]


def _parsed(text: str) -> tuple[list[StoredRow], list[Problem], int]:
    parser = DeckParser()
    rows = [row for chunk in parser.chunks(text.splitlines(keepends=True)) for row in chunk]
    return rows, parser.problems, parser.rows


def _spaced(text: str) -> str:
    header, *rows = text.splitlines(keepends=True)
    spaced = [row.rstrip("\r\n").replace(",", " ,") + " " + row[len(row.rstrip("\r\n")) :] for row in rows]
    return header + "".join(spaced)


@pytest.mark.parametrize("text", DECKS)
def test_the_short_way_and_the_long_way_agree(text: str) -> None:
    short, long = _parsed(text), _parsed(_spaced(text))

    assert short == long
    assert short[0] or short[1]  # each deck gives rows or problems


def test_a_good_deck_gives_its_rows_with_the_defaults() -> None:
    rows, problems, count = _parsed(DECKS[0])

    assert problems == []
    assert count == 3
    assert rows == [
        StoredRow("1", "US", "0.01", "0", 60, 60),
        StoredRow("44", "", "0", "0", 60, 60),
        StoredRow("800", "GB", "123456.123456", "0", 60, 60),
    ]
