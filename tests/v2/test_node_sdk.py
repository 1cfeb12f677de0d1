"""The official Telnyx Node SDK (npm `telnyx`, pinned in tests/v2/node, installed by `make`) drives
every v2 operation against a running service: `node/sdk_check.mjs` says what it checks."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.live import LiveServer

HERE = Path(__file__).parent / "node"


def test_the_node_sdk_works_for_every_operation(server: LiveServer) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("the Node SDK check needs Node.js (`node`) on the PATH")
    if not (HERE / "node_modules" / "telnyx").is_dir():
        pytest.fail("the Node SDK is not installed: run `make .venv/.installed-stamp` (npm ci in tests/v2/node)")
    token = server.new_user("node@example.com")["token"]

    ran = subprocess.run(
        [node, str(HERE / "sdk_check.mjs")],
        cwd=HERE,
        env={**os.environ, "TELNYX_BASE_URL": f"{server.base_url}/v2", "TELNYX_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert ran.stdout.strip() == "node sdk: ok"
