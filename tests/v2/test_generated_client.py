"""A client generated from `/openapi.json` by a code generator (openapi-python-client, a dev
dependency; it works offline) reads the service's real answers as typed models: every response of
every operation has its schema, so nothing comes back untyped."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from litestar.testing import TestClient

from outbound_profiles.app import create_app
from outbound_profiles.config import Settings
from tests.live import LiveServer

PACKAGE = "outbound_profiles_client"


def _document(tmp_path: Path) -> dict[str, Any]:
    with TestClient(create_app(Settings(database_url=f"sqlite:///{tmp_path / 'document.db'}"))) as client:
        document: dict[str, Any] = client.get("/openapi.json").json()
    return document


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _document(tmp_path_factory.mktemp("document"))


@pytest.fixture(scope="module")
def generated(document: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client package openapi-python-client writes for the document, imported."""
    where = tmp_path_factory.mktemp("generated")
    (where / "openapi.json").write_text(json.dumps(document))
    (where / "config.yaml").write_text("post_hooks: []\n")  # no formatter run: nothing beyond the generator
    generator = Path(sys.executable).with_name("openapi-python-client")
    subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(where / "openapi.json"),
            "--output-path",
            str(where / PACKAGE),
            "--config",
            str(where / "config.yaml"),
            "--meta",
            "none",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_every_response_of_every_operation_has_a_schema(document: dict[str, Any]) -> None:
    answers = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            for status, response in operation["responses"].items():
                if status == "304":  # Not Modified has no body (RFC 9110)
                    assert "content" not in response, (method, path)
                    continue
                content = response["content"]
                # A rate deck is downloaded as CSV; call records are JSON or CSV; every other answer is JSON.
                media = ["application/json"]
                if method == "get" and status == "200":
                    if path.endswith("/rate_deck"):
                        media = ["text/csv"]
                    elif path == "/termination/cdrs":
                        media = ["application/json", "text/csv"]
                assert list(content) == media, (method, path, status)
                for each in media:
                    assert content[each]["schema"], (method, path, status)
                answers += 1
    assert answers > 100


def test_the_generated_client_parses_real_answers(generated: ModuleType, server: LiveServer) -> None:
    token = server.new_user("generated@example.com")["token"]
    with _module("client").AuthenticatedClient(
        base_url=server.base_url, token=token, raise_on_unexpected_status=True
    ) as client:
        _parses_real_answers(client)


def _parses_real_answers(client: Any) -> None:
    models = _module("models")
    profiles = "api.outbound_voice_profiles_v_2"
    groups = "api.billing_groups_v_2"

    group = _module(f"{groups}.create_billing_group_v2").sync(
        client=client, body=models.BillingGroupWriteV2.from_dict({"name": "generated"})
    )
    assert isinstance(group, models.BillingGroupData)
    made = _module(f"{profiles}.create_outbound_voice_profile").sync(
        client=client,
        body=models.OutboundVoiceProfileWrite.from_dict(
            {
                "name": "generated",
                "billing_group_id": group.data.id,
                "calling_window": {"start_time": "08:00:00.00Z", "end_time": "20:00:00.00Z", "calls_per_cld": 5},
            }
        ),
    )
    assert isinstance(made, models.OutboundVoiceProfileData)

    retrieved = _module(f"{profiles}.retrieve_outbound_voice_profile").sync(made.data.id, client=client)
    assert isinstance(retrieved, models.OutboundVoiceProfileData)  # was untyped: the 200 had no schema
    assert retrieved.data.calling_window.start_time == "08:00:00.00Z"
    assert retrieved.to_dict() == made.to_dict()
    listed = _module(f"{profiles}.list_outbound_voice_profiles").sync(client=client)
    assert isinstance(listed, models.OutboundVoiceProfileList)
    assert [p.id for p in listed.data] == [made.data.id]
    v1 = _module("api.outbound_profiles.retrieve_outbound_profile").sync(made.data.id, client=client)
    assert isinstance(v1, models.ProfileOut)  # the v1 retrieve had no schema either
    assert v1.name == "generated"

    in_use = _module(f"{groups}.delete_billing_group_v2").sync_detailed(group.data.id, client=client)
    assert in_use.status_code == 409
    assert isinstance(in_use.parsed, models.ErrorEnvelope)
    assert in_use.parsed.errors[0].code == "10021"
    missing = _module(f"{profiles}.retrieve_outbound_voice_profile").sync("1293384261075731499", client=client)
    assert isinstance(missing, models.ErrorEnvelope)
