"""Running the `outbound-profiles` command in its own process, as an operator would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# The console script the package installs (SPEC §9), next to this interpreter.
SCRIPT = str(Path(sys.executable).with_name("outbound-profiles"))


def environment(database_url: str) -> dict[str, str]:
    return {**os.environ, "OUTBOUND_PROFILES_DATABASE_URL": database_url, "OUTBOUND_PROFILES_LOG_LEVEL": "warning"}


def run(database_url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command's outcome, whatever it is (the caller checks the exit code)."""
    return subprocess.run(
        [SCRIPT, *args],
        env=environment(database_url),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def run_json(database_url: str, *args: str, cwd: Path) -> dict[str, str]:
    result = run(database_url, *args, "--json", cwd=cwd)
    assert result.returncode == 0, result.stderr
    credentials: dict[str, str] = json.loads(result.stdout)
    return credentials


def assert_failed_clearly(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """A non-zero exit, a one-line reason on stderr naming `fragments`, and no secret on stdout."""
    assert result.returncode != 0, result.stdout
    assert result.stdout == ""
    assert "Traceback" not in result.stderr, result.stderr
    message = result.stderr.strip()
    assert message.startswith("outbound-profiles: "), message
    assert len(message.splitlines()) == 1, message
    for fragment in fragments:
        assert fragment in message, message
