"""Which file a SQLite URL names, and which URLs are a database in memory."""

from __future__ import annotations

import pytest

from outbound_profiles.db.engine import is_memory, sqlite_file


@pytest.mark.parametrize(
    ("url", "file"),
    [
        ("sqlite:///outbound-profiles.db", "outbound-profiles.db"),
        ("sqlite:////var/lib/profiles.db", "/var/lib/profiles.db"),
        ("sqlite:///file:/var/lib/profiles%20a.db?uri=true", "/var/lib/profiles a.db"),  # a URI filename
        ("sqlite:///file:/var/lib/profiles.db?uri=true&mode=rwc", "/var/lib/profiles.db"),
        ("sqlite:///file:profiles.db", "file:profiles.db"),  # without uri=true, a plain name
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("sqlite:///file::memory:?uri=true", None),
        ("sqlite:///file:shared?mode=memory&cache=shared&uri=true", None),
        ("postgresql+psycopg://postgres@127.0.0.1/profiles", None),
    ],
)
def test_the_file_a_url_names_and_whether_it_is_in_memory(url: str, file: str | None) -> None:
    assert sqlite_file(url) == file
    assert is_memory(url) == (file is None and url.startswith("sqlite"))
