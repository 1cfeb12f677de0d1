"""Start-up and configuration through the installed command: settings from the environment, one
line for whatever keeps the command from starting (exit 2 for a setting, 1 for a failure at run
time), `--version`, help that names the defaults and the environment, `db current`, and shell
completion."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.cli.helpers import SCRIPT, assert_failed_clearly, environment, run
from tests.live import free_port, process_tree, stop, wait_until_up


def run_with(tmp_path: Path, variables: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {**environment(f"sqlite:///{tmp_path / 'db.sqlite'}"), **variables}
    return subprocess.run(
        [SCRIPT, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    ("variables", "fragments"),
    [
        ({"OUTBOUND_PROFILES_LOG_LEVEL": "loud"}, ["OUTBOUND_PROFILES_LOG_LEVEL", "'loud'", "info"]),
        ({"OUTBOUND_PROFILES_DATABASE_POOL_SIZE": "0"}, ["OUTBOUND_PROFILES_DATABASE_POOL_SIZE", "1 to 1000"]),
        ({"OUTBOUND_PROFILES_SQLITE_SYNCHRONOUS": "often"}, ["OUTBOUND_PROFILES_SQLITE_SYNCHRONOUS", "FULL"]),
        ({"OUTBOUND_PROFILES_COUNTERS_FAILURE": "ajar"}, ["OUTBOUND_PROFILES_COUNTERS_FAILURE", "closed or open"]),
        ({"OUTBOUND_PROFILES_DATA_PLANE": "maybe"}, ["OUTBOUND_PROFILES_DATA_PLANE", "on or off"]),
        ({"OUTBOUND_PROFILES_LEASE_SECONDS": "0"}, ["OUTBOUND_PROFILES_LEASE_SECONDS", "604800"]),
        ({"OUTBOUND_PROFILES_PORT": "eighty"}, ["OUTBOUND_PROFILES_PORT", "'eighty'"]),
        ({"OUTBOUND_PROFILES_WORKERS": "0"}, ["OUTBOUND_PROFILES_WORKERS", "'0'"]),
        ({"OUTBOUND_PROFILES_DATABASE_URL": "mysql://me@localhost/db"}, ["OUTBOUND_PROFILES_DATABASE_URL", "mysql"]),
        ({"OUTBOUND_PROFILES_DATABASE_URL": "outbound.db"}, ["OUTBOUND_PROFILES_DATABASE_URL", "sqlite:///PATH"]),
        (
            {"OUTBOUND_PROFILES_DATABASE_URL": "sqlite:////no/such/directory/db.sqlite"},
            ["/no/such/directory/db.sqlite", "directory must exist", "OUTBOUND_PROFILES_DATABASE_URL"],
        ),
    ],
)
def test_a_bad_setting_is_one_line_and_exit_code_2(
    tmp_path: Path, variables: dict[str, str], fragments: list[str]
) -> None:
    for args in (["serve"], ["db", "upgrade"], ["users", "list"]):
        result = run_with(tmp_path, variables, *args)

        assert_failed_clearly(result, *fragments)
        assert result.returncode == 2, result.stderr


def test_without_the_postgres_extra_the_command_says_what_to_install(tmp_path: Path) -> None:
    # An interpreter on which psycopg cannot be imported, as after `pip install outbound-profiles`.
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "psycopg.py").write_text("raise ModuleNotFoundError(\"No module named 'psycopg'\", name='psycopg')\n")
    variables = {"PYTHONPATH": str(blocker), "OUTBOUND_PROFILES_DATABASE_URL": "postgres://me@127.0.0.1:1/db"}

    result = run_with(tmp_path, variables, "db", "upgrade")

    assert_failed_clearly(result, "pip install 'outbound-profiles[postgres]'")
    assert result.returncode == 2


def test_an_unreachable_postgresql_is_one_line_and_exit_code_1(tmp_path: Path) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    for scheme in ("postgres", "postgresql", "postgresql+psycopg"):
        result = run_with(
            tmp_path, {"OUTBOUND_PROFILES_DATABASE_URL": f"{scheme}://postgres@127.0.0.1:{port}/db"}, "serve"
        )

        assert_failed_clearly(result, f"cannot reach PostgreSQL at 127.0.0.1:{port}", "is it running?")
        assert result.returncode == 1


@pytest.mark.postgres
def test_a_missing_postgresql_database_is_one_line_and_exit_code_2(tmp_path: Path, migrated_postgres: str) -> None:
    server = migrated_postgres.rsplit("/", 1)[0].replace("postgresql+psycopg://", "postgres://")

    result = run_with(tmp_path, {"OUTBOUND_PROFILES_DATABASE_URL": f"{server}/no_such_database_here"}, "db", "upgrade")

    assert_failed_clearly(result, "'no_such_database_here' does not exist", "createdb no_such_database_here")
    assert result.returncode == 2


def test_a_port_in_use_is_one_line_and_exit_code_1(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        for variables, args in (({}, ["--port", str(port)]), ({"OUTBOUND_PROFILES_PORT": str(port)}, [])):
            result = run_with(tmp_path, variables, "serve", *args)

            assert_failed_clearly(result, f"127.0.0.1:{port}", "already in use", "OUTBOUND_PROFILES_PORT")
            assert result.returncode == 1


def test_serve_takes_host_port_and_workers_from_the_environment(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **environment(f"sqlite:///{tmp_path / 'db.sqlite'}"),
        "OUTBOUND_PROFILES_HOST": "127.0.0.1",
        "OUTBOUND_PROFILES_PORT": str(port),
        "OUTBOUND_PROFILES_WORKERS": "2",
        "OUTBOUND_PROFILES_DATA_PLANE": "off",  # several workers' call counters need Redis
    }
    with subprocess.Popen([SCRIPT, "serve"], env=env, cwd=tmp_path) as process:
        try:
            wait_until_up(f"http://127.0.0.1:{port}", process)
            health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
            workers = len(process_tree(process.pid)) - 1
        finally:
            stop(process)

    assert health.status_code == 200
    assert workers >= 2


def test_several_workers_without_redis_are_refused_with_what_to_set(tmp_path: Path) -> None:
    result = run_with(tmp_path, {"OUTBOUND_PROFILES_REDIS_URL": ""}, "serve", "--workers", "2")
    assert result.returncode == 2
    assert "OUTBOUND_PROFILES_REDIS_URL" in result.stderr
    assert "OUTBOUND_PROFILES_DATA_PLANE=off" in result.stderr


def test_version_and_help(tmp_path: Path) -> None:
    version = run_with(tmp_path, {}, "--version")
    top = run_with(tmp_path, {}, "--help")
    serve = run_with(tmp_path, {"COLUMNS": "200"}, "serve", "--help")
    update = run_with(tmp_path, {"OUTBOUND_PROFILES_PORT": "9123"}, "users", "update", "--help")
    serve_from_env = run_with(tmp_path, {"OUTBOUND_PROFILES_PORT": "9123", "COLUMNS": "200"}, "serve", "--help")

    assert version.returncode == 0
    assert version.stdout.startswith("outbound-profiles 0.")
    for command in ("serve", "users", "tokens", "db"):
        assert command in top.stdout
    for text in (top.stdout, serve.stdout):
        assert "OUTBOUND_PROFILES_DATABASE_URL" in text
        assert "OUTBOUND_PROFILES_LOG_LEVEL" in text
    assert "(default: 8000)" in serve.stdout
    assert "(default: 127.0.0.1)" in serve.stdout
    assert "(default: 9123)" in serve_from_env.stdout
    assert "(default: False)" not in serve.stdout
    for option in ("--concurrent-call-limit", "--max-cps", "--default-cps", "--json"):
        assert option in update.stdout


def test_db_current_says_where_the_database_stands(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"

    before = run(url, "db", "current", cwd=tmp_path)
    upgraded = run(url, "db", "upgrade", cwd=tmp_path)
    after = run(url, "db", "current", cwd=tmp_path)

    assert before.returncode == 0, before.stderr
    assert "no migration applied" in before.stdout
    assert "db upgrade" in before.stdout
    assert after.stdout.startswith("database is at migration ")
    assert "the latest" in after.stdout
    assert upgraded.stdout.splitlines()[-1] == after.stdout.strip()


def test_shell_completion(tmp_path: Path) -> None:
    completions = tmp_path / "completions"
    line = "outbound-profiles users "
    variables = {
        "_ARGCOMPLETE": "1",
        "_ARGCOMPLETE_IFS": "\n",
        "COMP_LINE": line,
        "COMP_POINT": str(len(line)),
        "_ARGCOMPLETE_STDOUT_FILENAME": str(completions),
    }

    result = run_with(tmp_path, variables)

    assert result.returncode == 0, result.stderr
    assert set(completions.read_text().split()) >= {"create", "list", "update", "disable", "enable"}
