"""What the data plane's benchmarks share: a default deck of N prefixes and valid destination numbers."""

from __future__ import annotations

import random
from collections.abc import Iterator

import phonenumbers

DECK_HEADER = "prefix,country,rate,connect_fee,initial_increment,subsequent_increment\n"
GB_SHARE = 10  # one prefix in GB_SHARE is British (+44 20 ...), the rest North American (+1 NPA NXX)


def deck_lines(rows: int) -> Iterator[str]:
    """A default deck's CSV: `rows` distinct prefixes, +1 NPA-NXX (7 digits; then NPA-NXX-X) and
    +44 20 xxxx (8 digits and more), 50 distinct tariffs, and the country codes 1 and 44 for the
    rest; every rate at most 0.06 USD a minute."""
    yield DECK_HEADER
    yield "1,US,0.02,0,6,6\n"  # what no longer prefix covers
    yield "44,GB,0.03,0,60,60\n"
    rows -= 2
    gb = rows // GB_SHARE
    for i in range(gb):
        yield f"4420{i:04d},GB,{0.01 + (i % 50) / 1000:.3f},0,60,60\n"
    us = rows - gb
    for i in range(us):
        rate = f"{0.005 + (i % 50) / 1000:.3f}"
        if i < 640_000:  # every NPA-NXX from 200-200 to 999-999
            npa, nxx = divmod(i, 800)
            yield f"1{200 + npa}{200 + nxx},US,{rate},0,6,6\n"
        else:  # then NPA-NXX-X (8 digits)
            npa, rest = divmod(i - 640_000, 8000)
            nxx, digit = divmod(rest, 10)
            yield f"1{200 + npa}{200 + nxx}{digit},US,{rate},0,6,6\n"


def valid_numbers(count: int, seed: int = 7) -> list[str]:
    """`count` distinct E.164 numbers libphonenumber holds valid, US (+1 202/212/312/415 ...) and
    GB (+44 20 7/8 ...), about one in ten British, in a fixed random order."""
    rng = random.Random(seed)
    found: set[str] = set()
    while len(found) < count:
        if rng.randrange(10) == 0:
            text = f"+4420{rng.choice('78')}{rng.randrange(10**7):07d}"
        else:
            text = f"+1{rng.choice((202, 212, 312, 415, 617, 713))}{rng.randrange(200, 1000)}{rng.randrange(10**4):04d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(text)):
            found.add(text)
    numbers = sorted(found)
    rng.shuffle(numbers)
    return numbers


DENIED_NUMBER = "+33612345678"  # valid, French: outside a US/GB whitelist
