from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from outbound_profiles.domain import ids
from outbound_profiles.domain.ids import IdGenerator, new_id, parse_id


def test_ids_are_strictly_increasing_positive_63_bit_integers() -> None:
    generated = [new_id() for _ in range(20_000)]

    assert generated == sorted(set(generated))
    assert all(0 < i < 1 << 63 for i in generated)


def test_ids_stay_ordered_when_the_sequence_overflows_in_one_millisecond(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ids, "time", SimpleNamespace(time=lambda: 1_800_000_000.0))
    generator = IdGenerator(node=5)

    generated = [generator.next_id() for _ in range(3 * 4096)]

    assert generated == sorted(set(generated))


def test_ids_stay_ordered_when_the_clock_steps_back(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([1_800_000_001.0, 1_800_000_000.0, 1_800_000_000.5, 1_800_000_002.0])
    monkeypatch.setattr(ids, "time", SimpleNamespace(time=lambda: next(clock)))
    generator = IdGenerator(node=1)

    generated = [generator.next_id() for _ in range(4)]

    assert generated == sorted(set(generated))


def test_the_node_is_part_of_the_id() -> None:
    a, b = IdGenerator(node=1), IdGenerator(node=2 + 1024)  # the node is masked to 10 bits

    assert (a.next_id() >> 12) & 1023 == 1
    assert (b.next_id() >> 12) & 1023 == 2


def test_ids_from_many_threads_are_unique() -> None:
    generator = IdGenerator()
    results: list[list[int]] = [[] for _ in range(8)]

    def work(out: list[int]) -> None:
        out.extend(generator.next_id() for _ in range(2000))

    threads = [threading.Thread(target=work, args=(out,)) for out in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    everything = [i for out in results for i in out]
    assert len(set(everything)) == len(everything)
    assert all(out == sorted(out) for out in results)


def test_parse_id_round_trips_generated_ids() -> None:
    value = new_id()

    assert parse_id(str(value)) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [("1", 1), ("9223372036854775807", (1 << 63) - 1)],
)
def test_parse_id_accepts_positive_63_bit_numbers(text: str, value: int) -> None:
    assert parse_id(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0",
        "00",
        "01",
        "007",
        "-1",
        "+1",
        "1.0",
        "1e5",
        " 1",
        "abc",
        "9223372036854775808",
        "12345678901234567890",
        "١٢",
    ],
)
def test_parse_id_refuses_what_cannot_be_an_id(text: str) -> None:
    assert parse_id(text) is None


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("6a09cdc3-8948-47f0-aa62-74ac943d6c58", "6a09cdc3-8948-47f0-aa62-74ac943d6c58"),
        ("6A09CDC3-8948-47F0-AA62-74AC943D6C58", "6a09cdc3-8948-47f0-aa62-74ac943d6c58"),
        ("6a09cdc3-8948-47F0-aa62-74ac943d6c58", "6a09cdc3-8948-47f0-aa62-74ac943d6c58"),
        ("6a09cdc389484 7f0aa6274ac943d6c58", None),
        ("6a09cdc3894847f0aa6274ac943d6c58", None),
        ("{6a09cdc3-8948-47f0-aa62-74ac943d6c5}", None),
        ("6a09cdc3-8948-47f0-aa62-74ac943d6c5g", None),
        ("6a09cdc3-8948-47f0-aa62-74ac943d6c5\u0660", None),
        ("", None),
    ],
)
def test_a_uuid_is_read_in_any_case(value: str, canonical: str | None) -> None:
    assert ids.canonical_uuid(value) == canonical
