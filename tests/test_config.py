"""Settings from the environment: defaults, and bad values refused at start with the variable's name."""

from __future__ import annotations

import pytest

from outbound_profiles.config import DEFAULT_DATABASE_URL, Settings

_VARIABLES = (
    "OUTBOUND_PROFILES_DATABASE_URL",
    "OUTBOUND_PROFILES_SQLITE_SYNCHRONOUS",
    "OUTBOUND_PROFILES_DATABASE_POOL_SIZE",
    "OUTBOUND_PROFILES_LOG_LEVEL",
    "OUTBOUND_PROFILES_REDIS_URL",
    "OUTBOUND_PROFILES_REDIS_CLUSTER",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_defaults() -> None:
    settings = Settings.from_env(dotenv=False)

    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.sqlite_synchronous == "NORMAL"
    assert settings.database_pool_size == 10


def test_values_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTBOUND_PROFILES_SQLITE_SYNCHRONOUS", "full")
    monkeypatch.setenv("OUTBOUND_PROFILES_DATABASE_POOL_SIZE", "25")

    settings = Settings.from_env(dotenv=False)

    assert settings.sqlite_synchronous == "FULL"
    assert settings.database_pool_size == 25


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("OUTBOUND_PROFILES_SQLITE_SYNCHRONOUS", "SOMETIMES"),
        ("OUTBOUND_PROFILES_DATABASE_POOL_SIZE", "0"),
        ("OUTBOUND_PROFILES_DATABASE_POOL_SIZE", "-1"),
        ("OUTBOUND_PROFILES_DATABASE_POOL_SIZE", "ten"),
        ("OUTBOUND_PROFILES_DATABASE_POOL_SIZE", "1001"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ValueError, match=variable):
        Settings.from_env(dotenv=False)


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://me@db:5432/profiles", "postgresql+psycopg://me@db:5432/profiles"),
        ("postgresql://me@db/profiles", "postgresql+psycopg://me@db/profiles"),
        ("postgresql+psycopg://me@db/profiles", "postgresql+psycopg://me@db/profiles"),
        ("sqlite:///data/profiles.db", "sqlite:///data/profiles.db"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
    ],
)
def test_common_database_url_spellings_are_accepted(monkeypatch: pytest.MonkeyPatch, given: str, used: str) -> None:
    monkeypatch.setenv("OUTBOUND_PROFILES_DATABASE_URL", given)

    assert Settings.from_env(dotenv=False).database_url == used


def test_a_redis_cluster_is_named_by_one_of_its_nodes(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings.from_env(dotenv=False).redis_cluster is False
    monkeypatch.setenv("OUTBOUND_PROFILES_REDIS_URL", "redis://node-1:7000")
    monkeypatch.setenv("OUTBOUND_PROFILES_REDIS_CLUSTER", "ON")

    settings = Settings.from_env(dotenv=False)

    assert (settings.redis_url, settings.redis_cluster) == ("redis://node-1:7000", True)


@pytest.mark.parametrize(
    ("url", "cluster", "says"),
    [
        (None, "on", "needs OUTBOUND_PROFILES_REDIS_URL"),
        ("redis://node-1:7000/3", "on", "database other than 0"),
        ("redis://node-1:7000?db=3", "on", "database other than 0"),
        ("unix:///run/redis.sock", "on", "redis:// or rediss://"),
        ("redis://node-1:7000", "yes", "must be on or off"),
    ],
)
def test_a_redis_cluster_setting_that_cannot_work_is_refused(
    monkeypatch: pytest.MonkeyPatch, url: str | None, cluster: str, says: str
) -> None:
    if url is not None:
        monkeypatch.setenv("OUTBOUND_PROFILES_REDIS_URL", url)
    monkeypatch.setenv("OUTBOUND_PROFILES_REDIS_CLUSTER", cluster)

    with pytest.raises(ValueError, match=says):
        Settings.from_env(dotenv=False)
