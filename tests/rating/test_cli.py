"""`outbound-profiles rate-decks import` and `show`, run as an operator would, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

from outbound_profiles.config import Settings
from outbound_profiles.db.database import Database
from outbound_profiles.rating import repository
from tests.cli.helpers import run
from tests.rating.helpers import HEADER, deck_lines


def write(tmp_path: Path, name: str, lines: list[str]) -> str:
    path = tmp_path / name
    path.write_text("".join(lines), encoding="utf-8")
    return str(path)


def test_import_then_show(settings: Settings, database: Database, tmp_path: Path) -> None:
    deck = write(tmp_path, "deck.csv", deck_lines(1_500))

    result = run(settings.database_url, "rate-decks", "import", deck, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no progress line when stderr is not a terminal
    deck_id = database.run_sync(repository.default_deck_id, write=False)
    assert result.stdout.startswith(f"rate deck {deck_id} in effect: 1,500 rows (")

    again = run(settings.database_url, "rate-decks", "import", deck, "--json", cwd=tmp_path)
    outcome = json.loads(again.stdout)
    assert outcome["rows"] == 1_500
    assert outcome["replaced"] == str(deck_id)
    assert set(outcome) == {"deck_id", "rows", "replaced", "seconds"}

    shown = json.loads(run(settings.database_url, "rate-decks", "show", "--json", cwd=tmp_path).stdout)
    assert shown["deck_id"] == outcome["deck_id"]
    assert shown["rows"] == 1_500
    assert shown["imported_at"].endswith("Z")
    text = run(settings.database_url, "rate-decks", "show", cwd=tmp_path).stdout
    assert f"deck_id:      {outcome['deck_id']}\nrows:         1500\n" in text


def test_a_refused_deck_names_every_problem_and_exits_1(settings: Settings, tmp_path: Path) -> None:
    good = write(tmp_path, "good.csv", deck_lines(10))
    assert run(settings.database_url, "rate-decks", "import", good, cwd=tmp_path).returncode == 0
    before = json.loads(run(settings.database_url, "rate-decks", "show", "--json", cwd=tmp_path).stdout)
    bad = write(tmp_path, "bad.csv", [HEADER, "1,US,0.01\n", "1,US,0.02\n", "2,U,-1,0,0\n"])

    result = run(settings.database_url, "rate-decks", "import", bad, cwd=tmp_path)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "line 3, column 1 (prefix): prefix 1 is already on line 2",
        "line 4, column 2 (country): 'U' is not an ISO 3166-1 alpha-2 country code (leave it empty for none)",
        "line 4, column 3 (rate): '-1' is negative: a rate in USD a minute is 0 or more",
        "line 4, column 5 (initial_increment): '0' is not a whole number of seconds from 1 to 999999",
        "outbound-profiles: the rate deck was refused: 4 problems; nothing was changed",
    ]
    after = json.loads(run(settings.database_url, "rate-decks", "show", "--json", cwd=tmp_path).stdout)
    assert after == before


def test_problems_past_the_first_hundred_are_counted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'decks.db'}"
    bad = write(tmp_path, "bad.csv", [HEADER, *(f"{n},US,x\n" for n in range(1, 131))])

    result = run(url, "rate-decks", "import", bad, cwd=tmp_path)
    as_json = run(url, "rate-decks", "import", bad, "--json", cwd=tmp_path)

    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 101
    assert lines[-1] == (
        "outbound-profiles: the rate deck was refused: 130 problems (the first 100 above); nothing was changed"
    )
    assert as_json.returncode == 1
    refused = json.loads(as_json.stdout)
    assert refused["more_problems"] == 30
    assert refused["problems"][0] == {
        "line": 2,
        "column": 3,
        "name": "rate",
        "message": "'x' is not a rate in USD a minute: a decimal number below 1000000 with at most 6 decimals,"
        " such as 0.0123",
    }


def test_a_missing_file_or_one_not_utf8_fails_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'decks.db'}"
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(b"prefix,country,rate\n1,US,0.01\n2,\xe9,0.01\n")

    missing = run(url, "rate-decks", "import", str(tmp_path / "nope.csv"), cwd=tmp_path)
    not_utf8 = run(url, "rate-decks", "import", str(latin1), cwd=tmp_path)

    assert missing.returncode == 2
    assert (
        missing.stderr.strip() == f"outbound-profiles: cannot read {tmp_path / 'nope.csv'}: No such file or directory"
    )
    assert not_utf8.returncode == 1
    assert "is not UTF-8 text" in not_utf8.stderr
    assert json.loads(run(url, "rate-decks", "show", "--json", cwd=tmp_path).stdout) is None


def test_show_without_a_deck(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'decks.db'}"

    result = run(url, "rate-decks", "show", cwd=tmp_path)

    assert result.returncode == 0
    assert result.stdout.startswith("no default rate deck")
