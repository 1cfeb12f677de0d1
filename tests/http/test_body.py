"""Body parsing: every problem of a body is reported, down to each bad entry of a list."""

from __future__ import annotations

import pytest

from outbound_profiles.errors import ErrorCode, InvalidRequest, Problems
from outbound_profiles.http.body import convert_fields, decode_object
from outbound_profiles.profiles.schemas import ProfileCreate, ProfileUpdate


def _pointers(body: dict[str, object]) -> list[str | None]:
    problems = Problems()
    convert_fields(body, ProfileUpdate, problems)
    with pytest.raises(InvalidRequest) as raised:
        problems.raise_if_any()
    return [p.pointer for p in raised.value.problems]


def test_a_wrong_type_in_a_list_does_not_hide_the_other_bad_entries() -> None:
    pointers = _pointers({"call_recording_phone_numbers": [5, "+13125550100", None]})

    assert pointers == ["/call_recording_phone_numbers/0", "/call_recording_phone_numbers/2"]


def test_every_field_is_checked_even_when_one_fails() -> None:
    pointers = _pointers({"ports": "1", "active": 1, "tag_list": ["ok", ""], "bogus": True})

    assert pointers == ["/ports", "/active", "/tag_list/1", "/bogus"]


def test_a_list_where_the_field_takes_no_list_is_one_problem_at_the_field() -> None:
    assert _pointers({"name": ["x"], "translation_rule": [1, 2]}) == ["/name", "/translation_rule"]


def test_a_list_with_good_entries_but_too_many_is_reported_at_the_list() -> None:
    assert _pointers({"tag_list": [f"t{i}" for i in range(101)]}) == ["/tag_list"]


def test_bad_entries_of_a_huge_list_are_reported_up_to_a_bound() -> None:
    pointers = _pointers({"whitelisted_destinations": [1] * 10_000})

    assert pointers == [f"/whitelisted_destinations/{i}" for i in range(20)]


def test_a_missing_required_field_has_its_own_code() -> None:
    problems = Problems()
    convert_fields({}, ProfileCreate, problems)
    with pytest.raises(InvalidRequest) as raised:
        problems.raise_if_any()

    (problem,) = raised.value.problems
    assert (problem.pointer, problem.code) == ("/connection_ids", ErrorCode.MISSING_PARAMETER)


def test_read_only_fields_are_dropped_not_refused() -> None:
    problems = Problems()

    converted = convert_fields({"id": "1", "name": "x"}, ProfileUpdate, problems, ignored=frozenset({"id"}))

    assert converted == {"name": "x"}
    assert not problems


@pytest.mark.parametrize("raw", [b"{", b"[]", b"1e400", b'{"a": NaN}'])
def test_a_body_that_is_not_a_json_object_is_invalid_json(raw: bytes) -> None:
    with pytest.raises(InvalidRequest) as raised:
        decode_object(raw)

    assert raised.value.problems[0].code == ErrorCode.INVALID_JSON
