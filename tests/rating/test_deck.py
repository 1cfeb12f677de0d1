"""The in-memory deck: longest-prefix match (against a brute-force model), rows back, CSV lines."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from outbound_profiles.rating.deck import Deck, DeckBuilder, DeckRow, Tariff


def row(prefix: str, rate: str = "0.01", country: str = "US") -> DeckRow:
    return DeckRow(prefix, country, Decimal(rate), Decimal(0), 60, 60)


def test_the_longest_prefix_wins() -> None:
    deck = Deck.build(7, [row("1", "0.01"), row("1212", "0.02"), row("12125", "0.03"), row("44", "0.1", "GB")])

    assert deck.match("12125550100") == row("12125", "0.03")
    assert deck.match("12124550100") == row("1212", "0.02")
    assert deck.match("13125550100") == row("1", "0.01")
    assert deck.match("447911123456") == row("44", "0.1", "GB")
    assert deck.match("33123456789") is None
    assert len(deck) == 4
    assert deck.deck_id == 7


def test_leading_zeros_and_non_digits_never_match() -> None:
    deck = Deck.build(1, [row("44"), row("1")])

    assert deck.match("0044123") is None
    assert deck.match("") is None
    assert deck.match("+44123") is None
    assert deck.match("4_4123") is None
    assert deck.match("٤٤123") is None  # Arabic-Indic digits: str.isdigit() says yes, E.164 says no


def test_only_the_first_15_digits_count() -> None:
    deck = Deck.build(1, [row("123456789012345")])

    assert deck.match("1234567890123456789") == row("123456789012345")


def test_equal_tariffs_are_kept_once() -> None:
    builder = DeckBuilder()
    for prefix in ("1", "2", "3"):
        builder.add_stored((prefix, "US", "0.01", "0", 60, 60))
    deck = builder.finish(1)

    first, second = deck.match("1"), deck.match("2")
    assert first is not None
    assert second is not None
    assert first.rate is second.rate


def test_rows_and_csv_lines_give_the_deck_back() -> None:
    rows = [row("44", "0.1", "GB"), row("1", "0.0123"), row("800", "0", "")]
    deck = Deck.build(1, rows)

    assert sorted(deck.rows()) == sorted(rows)
    assert list(deck.csv_lines()) == [
        "prefix,country,rate,connect_fee,initial_increment,subsequent_increment\n",
        "1,US,0.0123,0,60,60\n",
        "44,GB,0.1,0,60,60\n",
        "800,,0,0,60,60\n",
    ]
    assert row("44").tariff == Tariff("US", Decimal("0.01"), Decimal(0), 60, 60)


prefixes = st.text("0123456789", min_size=1, max_size=15).filter(lambda p: p[0] != "0")


@given(st.sets(prefixes, max_size=60), st.lists(st.text("0123456789", max_size=20), max_size=30))
def test_match_is_the_longest_prefix_a_brute_force_search_finds(table: set[str], numbers: list[str]) -> None:
    rates = {prefix: Decimal(index) for index, prefix in enumerate(sorted(table))}
    deck = Deck.build(1, [row(prefix, str(rate)) for prefix, rate in rates.items()])
    # Numbers that begin with a prefix of the deck too, not only random ones.
    numbers += [prefix + number for prefix, number in zip(sorted(table), numbers, strict=False)]

    for number in numbers:
        candidates = [prefix for prefix in table if number[:15].startswith(prefix)]
        found = deck.match(number)
        if not candidates:
            assert found is None
        else:
            best = max(candidates, key=len)
            assert found == row(best, str(rates[best]))
