"""Reading a rate deck's CSV: rows in chunks while the file is good, every problem when it is not.

The format (README, "Rate decks"): a header line, then one row per prefix:

    prefix,country,rate,connect_fee,initial_increment,subsequent_increment

The header is required and names the columns in that order; the last three may be left out of it
(then no row may have them), and they default to 0, 60 and 60. A row may end before the header's
last optional columns, or leave one empty: it takes the default. A row with more fields than the
header has columns is a problem. Blank lines are skipped; spaces around a field are ignored.

The file is read once, line by line, and never held whole: good rows are handed on in chunks (to be
written as they come), and the duplicate check keeps only each prefix's line. From the first problem
on, no more chunks are handed on, but reading goes on to the end, so that every problem is named at
once (the first `MAX_PROBLEMS`, and how many more there are). Only a field the csv module will not read
(longer than its limit, as a quote left open makes of the rest of the file) ends the reading, as a
problem of the line it starts on.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from outbound_profiles.domain.countries import BY_ALPHA2
from outbound_profiles.rating.deck import COLUMNS, MAX_PREFIX_DIGITS, encode

MAX_PROBLEMS = 100
CHUNK_ROWS = 20_000
DEFAULTS = ("0", 60, 60)  # connect_fee, initial_increment, subsequent_increment
REQUIRED = 3  # prefix, country, rate

_PREFIX = re.compile(rf"[1-9][0-9]{{0,{MAX_PREFIX_DIGITS - 1}}}")
# USD: no sign, no exponent, at most 6 decimals, below a million (so that no call's cost in
# micro-dollars, for the longest call and increments, passes a 64-bit integer).
_MONEY = re.compile(r"(?:0|[1-9][0-9]{0,5})(?:\.[0-9]{1,6})?")
_SECONDS = re.compile(r"[1-9][0-9]{0,5}")  # 1 to 999,999


# A row whose every field is well formed, for each header width (3 to 6 columns): fields joined by
# commas (a field holding one cannot match, as no field's pattern has one); absent optional fields
# are empty groups.
_FIELDS = (
    r"([1-9][0-9]{0,14})",
    r"([A-Za-z]{2}|)",
    rf"({_MONEY.pattern})",
    rf"({_MONEY.pattern}|)",
    rf"({_SECONDS.pattern}|)",
    rf"({_SECONDS.pattern}|)",
)
_PLAIN_ROWS = {width: re.compile(",".join(_FIELDS[:width]) + "()" * (6 - width)) for width in range(3, 7)}

_HEADER = "prefix,country,rate[,connect_fee[,initial_increment[,subsequent_increment]]]"


class Problem(NamedTuple):
    line: int
    column: int  # 1-based
    name: str  # the column's name
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column} ({self.name}): {self.message}"


class StoredRow(NamedTuple):
    """A row as stored: money as the decimal text the file gave (validated, so exact)."""

    prefix: str
    country: str
    rate: str
    connect_fee: str
    initial_increment: int
    subsequent_increment: int


class DeckParser:
    """`chunks(lines)` yields good rows in chunks; afterwards `problems` (empty if the file was good),
    `more_problems` (how many were not listed) and `rows` (how many rows the file had) say how it went."""

    def __init__(self, *, max_problems: int = MAX_PROBLEMS, chunk_rows: int = CHUNK_ROWS) -> None:
        self.problems: list[Problem] = []
        self.more_problems = 0
        self.rows = 0
        self._max_problems = max_problems
        self._chunk_rows = chunk_rows

    @property
    def failed(self) -> bool:
        return bool(self.problems)

    def _problem(self, line: int, column: int, message: str) -> None:
        if len(self.problems) < self._max_problems:
            name = COLUMNS[column - 1] if column <= len(COLUMNS) else "extra"
            self.problems.append(Problem(line, column, name, message))
        else:
            self.more_problems += 1

    def chunks(self, lines: Iterable[str]) -> Iterator[list[StoredRow]]:
        reader = csv.reader(lines, skipinitialspace=True)
        header = self._header(reader)
        if header is None:
            return
        width = len(header)
        seen: dict[int, int] = {}  # encoded prefix -> line
        chunk: list[StoredRow] = []
        problem = self._problem
        plain = _PLAIN_ROWS[width].fullmatch
        line = reader.line_num  # the last line read
        try:
            for fields in reader:
                line = reader.line_num
                if not fields or fields == [""]:
                    continue  # a blank line
                self.rows += 1
                # The usual row, every field well formed, checked by one pattern; any other goes the long
                # way, which names its problems. The same rows either way (tests/rating/test_parse.py).
                match = plain(",".join(fields)) if len(fields) == width else None
                if match is not None:
                    prefix, country, rate, fee, initial, subsequent = match.groups("")
                    country = country.upper()
                    key = encode(prefix)
                    if (not country or country in BY_ALPHA2) and key not in seen:
                        seen[key] = line
                        if not self.failed:
                            chunk.append(
                                StoredRow(prefix, country, rate, fee or "0", int(initial or 60), int(subsequent or 60))
                            )
                            if len(chunk) >= self._chunk_rows:
                                yield chunk
                                chunk = []
                        continue
                if len(fields) > width:
                    problem(line, width + 1, f"{len(fields)} fields, but the header has {width} columns")
                    continue
                if len(fields) < REQUIRED:
                    for missing in range(len(fields), REQUIRED):
                        problem(line, missing + 1, "missing")
                    continue
                fields += [""] * (width - len(fields))
                row = self._row(line, [field.strip() for field in fields], width, seen)
                if row is None or self.failed:
                    continue
                chunk.append(row)
                if len(chunk) >= self._chunk_rows:
                    yield chunk
                    chunk = []
        except csv.Error as error:  # the reader can go no further
            self._unreadable(line + 1, error)
        if self.rows == 0 and not self.failed:
            self._problem(2, 1, "the deck has no rows")
        if chunk and not self.failed:
            yield chunk

    def _header(self, reader: Any) -> list[str] | None:
        try:
            return self._read_header(reader)
        except csv.Error as error:
            self._unreadable(1, error)
            return None

    def _read_header(self, reader: Any) -> list[str] | None:
        expected = f"the first line must be the header {_HEADER}"
        for fields in reader:
            if not fields or fields == [""]:
                continue
            names = [field.strip().lower() for field in fields]
            line = reader.line_num
            if len(names) > len(COLUMNS):
                self._problem(line, len(COLUMNS) + 1, f"{len(names)} columns, at most {len(COLUMNS)}; {expected}")
                return None
            for index, name in enumerate(names):
                if name != COLUMNS[index]:
                    self._problem(line, index + 1, f"{_shown(name)} where {COLUMNS[index]!r} belongs; {expected}")
                    return None
            if len(names) < REQUIRED:
                self._problem(line, len(names) + 1, f"missing from the header; {expected}")
                return None
            return names
        self._problem(1, 1, f"the file is empty; {expected}")
        return None

    def _unreadable(self, line: int, error: csv.Error) -> None:
        """The csv module cannot read on from `line` (a field longer than its limit, as a quote never
        closed makes of the rest of the file): a problem, and the end of the reading."""
        self._problem(line, 1, f"the file cannot be read as CSV from this line on: {error}; is a quote left open?")

    def _row(self, line: int, fields: list[str], width: int, seen: dict[int, int]) -> StoredRow | None:
        problem = self._problem
        prefix, country, rate = fields[0], fields[1].upper(), fields[2]
        good = True
        if not _PREFIX.fullmatch(prefix):
            problem(line, 1, _prefix_problem(prefix))
            good = False
        else:
            key = encode(prefix)
            first = seen.setdefault(key, line)
            if first != line:
                problem(line, 1, f"prefix {prefix} is already on line {first}")
                good = False
        if country and country not in BY_ALPHA2:
            problem(line, 2, f"{_shown(fields[1])} is not an ISO 3166-1 alpha-2 country code (leave it empty for none)")
            good = False
        if not _MONEY.fullmatch(rate):
            problem(line, 3, _money_problem(rate, "a rate in USD a minute"))
            good = False
        connect_fee, initial, subsequent = DEFAULTS
        if width > 3 and fields[3]:
            connect_fee = fields[3]
            if not _MONEY.fullmatch(connect_fee):
                problem(line, 4, _money_problem(connect_fee, "a connect fee in USD"))
                good = False
        if width > 4 and fields[4]:
            initial = _seconds(fields[4], line, 5, problem)
        if width > 5 and fields[5]:
            subsequent = _seconds(fields[5], line, 6, problem)
        if not good or not initial or not subsequent:
            return None
        return StoredRow(prefix, country, rate, str(connect_fee), initial, subsequent)


def _prefix_problem(prefix: str) -> str:
    if not prefix:
        return "missing: a prefix is 1 to 15 digits"
    if prefix.startswith("+"):
        return f"{_shown(prefix)}: leave out the '+'; a prefix is 1 to 15 digits"
    if prefix.isascii() and prefix.isdigit():
        if prefix.startswith("0"):
            return f"{_shown(prefix)} starts with 0; no E.164 country code does"
        return f"{_shown(prefix)} has {len(prefix)} digits; a prefix has at most {MAX_PREFIX_DIGITS}"
    return f"{_shown(prefix)} is not a prefix: 1 to 15 digits"


def _money_problem(text: str, what: str) -> str:
    if not text:
        return f"missing: {what}, such as 0.0123"
    if text.startswith("-"):
        return f"{_shown(text)} is negative: {what} is 0 or more"
    return f"{_shown(text)} is not {what}: a decimal number below 1000000 with at most 6 decimals, such as 0.0123"


def _seconds(text: str, line: int, column: int, problem: Callable[[int, int, str], None]) -> int:
    if _SECONDS.fullmatch(text):
        return int(text)
    problem(line, column, f"{_shown(text)} is not a whole number of seconds from 1 to 999999")
    return 0


def _shown(text: str) -> str:
    """A field as a problem quotes it: a long one cut short (a file's problems must not be the file again)."""
    return repr(text if len(text) <= 40 else text[:37] + "...")
