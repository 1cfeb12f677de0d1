"""Parsing If-Match and If-None-Match (RFC 9110 §13.1): entity-tag lists, weakness, the star."""

from __future__ import annotations

from typing import Any, cast

import pytest
from litestar import Request

from outbound_profiles.errors import InvalidRequest, PreconditionFailed
from outbound_profiles.http.conditional import IF_MATCH, IF_NONE_MATCH, Condition, condition


def request_with(header: str, value: str | None) -> Request[Any, Any, Any]:
    headers = [] if value is None else [(header.lower().encode(), value.encode())]
    scope = {"type": "http", "method": "GET", "path": "/", "headers": headers, "query_string": b""}
    return Request(cast(Any, scope))


def test_an_absent_header_is_no_condition() -> None:
    assert condition(request_with(IF_MATCH, None), IF_MATCH) is None


@pytest.mark.parametrize(
    ("value", "strong", "weak"),
    [
        ('"a"', {'"a"'}, set()),
        ('W/"a"', set(), {'"a"'}),
        ('"a", W/"b" ,"c"', {'"a"', '"c"'}, {'"b"'}),
        ('""', {'""'}, set()),
        ('"a",,"b"', {'"a"', '"b"'}, set()),  # empty list elements are allowed (RFC 9110 §5.6.1.2)
        (' , "a" ,', {'"a"'}, set()),
    ],
)
def test_entity_tag_lists(value: str, strong: set[str], weak: set[str]) -> None:
    parsed = condition(request_with(IF_MATCH, value), IF_MATCH)

    assert parsed == Condition(IF_MATCH, frozenset(strong), frozenset(weak))


def test_the_star_matches_any_etag() -> None:
    parsed = condition(request_with(IF_MATCH, " * "), IF_MATCH)

    assert parsed is not None
    parsed.require('"anything"')
    assert parsed.matches_weakly('"anything"')


def test_if_match_compares_strongly_and_if_none_match_weakly() -> None:
    parsed = condition(request_with(IF_NONE_MATCH, 'W/"a"'), IF_NONE_MATCH)

    assert parsed is not None
    assert parsed.matches_weakly('"a"')
    with pytest.raises(PreconditionFailed) as refused:
        parsed.require('"a"')
    assert refused.value.problems[0].parameter == IF_NONE_MATCH


@pytest.mark.parametrize("value", ["", " ", ",", "a", '"a', '"a" "b"', 'w/"a"', '"a b"', '"a"x'])
def test_malformed_values_are_refused_naming_the_header(value: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        condition(request_with(IF_MATCH, value), IF_MATCH)

    assert refused.value.problems[0].parameter == IF_MATCH
