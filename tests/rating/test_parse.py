"""A deck's CSV: good rows in chunks with defaults; every problem named by line and column."""

from __future__ import annotations

import pytest

from outbound_profiles.rating.parse import DeckParser, Problem, StoredRow

HEADER = "prefix,country,rate,connect_fee,initial_increment,subsequent_increment\n"


def parse(text: str, **options: int) -> tuple[list[StoredRow], DeckParser]:
    parser = DeckParser(**options)
    rows = [row for chunk in parser.chunks(text.splitlines(keepends=True)) for row in chunk]
    return rows, parser


def problems(text: str) -> list[str]:
    rows, parser = parse(text)
    assert parser.failed
    assert rows == []
    return [str(problem) for problem in parser.problems]


def test_a_good_deck_with_every_column() -> None:
    rows, parser = parse(HEADER + "1,US,0.01,0.005,6,6\n44,gb,0.123456,0,1,1\n800,,0,0,60,60\n")

    assert not parser.failed
    assert parser.rows == 3
    assert rows == [
        StoredRow("1", "US", "0.01", "0.005", 6, 6),
        StoredRow("44", "GB", "0.123456", "0", 1, 1),
        StoredRow("800", "", "0", "0", 60, 60),
    ]


def test_optional_columns_default_whether_left_out_of_the_header_or_of_a_row() -> None:
    only_required, _ = parse("prefix,country,rate\n1,US,0.01\n")
    short_rows, _ = parse(HEADER + "1,US,0.01\n44,GB,0.02,0.1\n33,FR,0.03,,30\n")

    assert only_required == [StoredRow("1", "US", "0.01", "0", 60, 60)]
    assert short_rows == [
        StoredRow("1", "US", "0.01", "0", 60, 60),
        StoredRow("44", "GB", "0.02", "0.1", 60, 60),
        StoredRow("33", "FR", "0.03", "0", 30, 60),
    ]


def test_blank_lines_spaces_and_crlf_are_taken_in_stride() -> None:
    rows, parser = parse("prefix, country, rate\r\n\r\n1, US, 0.01\r\n\n44 ,GB , 0.02 \n")

    assert not parser.failed
    assert rows == [StoredRow("1", "US", "0.01", "0", 60, 60), StoredRow("44", "GB", "0.02", "0", 60, 60)]


def test_rows_come_in_chunks() -> None:
    text = "prefix,country,rate\n" + "".join(f"{n},US,0.01\n" for n in range(100, 125))
    parser = DeckParser(chunk_rows=10)

    assert [len(chunk) for chunk in parser.chunks(text.splitlines(keepends=True))] == [10, 10, 5]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("1,US,abc", "line 2, column 3 (rate): 'abc' is not a rate in USD a minute"),
        ("1,US,-0.01", "line 2, column 3 (rate): '-0.01' is negative"),
        ("1,US,0.0000001", "line 2, column 3 (rate): '0.0000001' is not a rate in USD a minute"),
        ("1,US,1e-3", "line 2, column 3 (rate): '1e-3' is not a rate"),
        ("1,US,", "line 2, column 3 (rate): missing"),
        ("1,US,0.01,-1", "line 2, column 4 (connect_fee): '-1' is negative"),
        ("1,US,0.01,0,0", "line 2, column 5 (initial_increment): '0' is not a whole number of seconds"),
        ("1,US,0.01,0,6,-6", "line 2, column 6 (subsequent_increment): '-6' is not a whole number of seconds"),
        ("1,US,0.01,0,6,1.5", "line 2, column 6 (subsequent_increment): '1.5' is not a whole number"),
        ("+1,US,0.01", "line 2, column 1 (prefix): '+1': leave out the '+'"),
        ("01,US,0.01", "line 2, column 1 (prefix): '01' starts with 0"),
        ("1234567890123456,US,0.01", "line 2, column 1 (prefix): '1234567890123456' has 16 digits"),
        ("1-2,US,0.01", "line 2, column 1 (prefix): '1-2' is not a prefix"),
        (",US,0.01", "line 2, column 1 (prefix): missing"),
        ("1,XX,0.01", "line 2, column 2 (country): 'XX' is not an ISO 3166-1 alpha-2 country code"),
        ("1,USA,0.01", "line 2, column 2 (country): 'USA' is not an ISO 3166-1 alpha-2"),
        ("1,US", "line 2, column 3 (rate): missing"),
        ("1,US,0.01,0,60,60,7", "line 2, column 7 (extra): 7 fields, but the header has 6 columns"),
    ],
)
def test_each_problem_is_named_by_line_and_column(line: str, problem: str) -> None:
    found = problems(HEADER + line + "\n")

    assert len(found) == 1, found
    assert found[0].startswith(problem), found


def test_a_row_with_one_field_misses_two_columns() -> None:
    assert problems(HEADER + "1\n") == ["line 2, column 2 (country): missing", "line 2, column 3 (rate): missing"]


def test_too_many_fields_for_a_short_header() -> None:
    assert problems("prefix,country,rate\n1,US,0.01,0\n") == [
        "line 2, column 4 (connect_fee): 4 fields, but the header has 3 columns"
    ]


def test_a_duplicate_prefix_names_the_line_it_first_appeared_on() -> None:
    assert problems(HEADER + "1,US,0.01\n44,GB,0.02\n\n44,GB,0.03\n") == [
        "line 5, column 1 (prefix): prefix 44 is already on line 3"
    ]


def test_every_problem_of_every_line_is_named_and_good_rows_after_a_bad_one_are_not_handed_on() -> None:
    _rows, parser = parse(HEADER + "1,US,0.01\n2,ZZ,x\n3,US,0.01\n4,US,0.01,0,0,0\n")

    assert parser.problems == [
        Problem(3, 2, "country", "'ZZ' is not an ISO 3166-1 alpha-2 country code (leave it empty for none)"),
        Problem(
            3,
            3,
            "rate",
            "'x' is not a rate in USD a minute: a decimal number below 1000000 with at most 6 decimals, such as 0.0123",
        ),
        Problem(5, 5, "initial_increment", "'0' is not a whole number of seconds from 1 to 999999"),
        Problem(5, 6, "subsequent_increment", "'0' is not a whole number of seconds from 1 to 999999"),
    ]
    assert parser.rows == 4


def test_problems_are_listed_up_to_the_cap_and_the_rest_counted() -> None:
    text = HEADER + "".join(f"{n},US,bad\n" for n in range(1, 151))
    _rows, parser = parse(text, max_problems=100)

    assert len(parser.problems) == 100
    assert parser.more_problems == 50
    assert parser.problems[-1].line == 101


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "line 1, column 1 (prefix): the file is empty"),
        ("\n\n", "line 1, column 1 (prefix): the file is empty"),
        ("1,US,0.01\n", "line 1, column 1 (prefix): '1' where 'prefix' belongs"),
        ("prefix,rate,country\n", "line 1, column 2 (country): 'rate' where 'country' belongs"),
        ("prefix,country\n1,US\n", "line 1, column 3 (rate): missing from the header"),
        (HEADER.strip() + ",note\n", "line 1, column 7 (extra): 7 columns, at most 6"),
        (HEADER, "line 2, column 1 (prefix): the deck has no rows"),
    ],
)
def test_a_header_that_is_not_the_one_expected_or_no_rows_is_a_problem(text: str, problem: str) -> None:
    found = problems(text)

    assert len(found) == 1
    assert found[0].startswith(problem), found
    if "belongs" in problem or "header" in problem:
        assert "prefix,country,rate[,connect_fee" in found[0]


def test_the_header_is_case_insensitive() -> None:
    rows, parser = parse("Prefix,COUNTRY,Rate\n1,us,0.01\n")

    assert not parser.failed
    assert rows == [StoredRow("1", "US", "0.01", "0", 60, 60)]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        # One field past the csv module's size limit.
        (HEADER + "1,US,0.01\n" + "9" * 200_000 + ",US,0.01\n", 3),
        # An unclosed quote takes the rest of the file into one field, until the limit.
        (HEADER + '1,US,"0.01\n' + "44,GB,0.02\n" * 20_000, 2),
        ("x" * 200_000 + "\n1,US,0.01\n", 1),  # in the header
    ],
)
def test_a_line_the_csv_module_cannot_read_is_a_problem_not_an_error(text: str, line: int) -> None:
    rows, parser = parse(text)

    assert rows == []
    [problem] = parser.problems
    assert (problem.line, problem.column) == (line, 1)
    assert "cannot be read as CSV" in problem.message


def test_a_problem_quotes_a_long_field_cut_short() -> None:
    long = "9" * 1000

    [prefix, country, rate] = problems(HEADER + f"{long},{'X' * 1000},{long}.5\n")

    assert prefix == f"line 2, column 1 (prefix): '{'9' * 37}...' has 1000 digits; a prefix has at most 15"
    assert len(country) < 200
    assert len(rate) < 200
