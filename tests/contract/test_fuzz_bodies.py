"""Any body, on any write route, with or without credentials or an Idempotency-Key: a success or a
4xx in the envelope, never a 500.

Hypothesis sends arbitrary bytes, arbitrary JSON (numbers of any size, any text, deep nesting) and
objects made of the routes' own field names with arbitrary values.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from tests.conftest import Api

# Every route that reads a body: (method, path template); {profile} and {group} are filled at test time.
WRITE_ROUTES = [
    ("POST", "/termination/endpoints"),
    ("PUT", "/termination/endpoints/{profile}"),
    ("PATCH", "/termination/endpoints/{profile}"),
    ("PUT", "/termination/endpoints/{profile}/actions/attach_connections"),
    ("PUT", "/termination/endpoints/{profile}/actions/detach_connections"),
    ("POST", "/security/connections"),
    ("POST", "/billing_groups"),
    ("PUT", "/billing_groups/{group}"),
    ("PATCH", "/billing_groups/{group}"),
    ("POST", "/v2/outbound_voice_profiles"),
    ("PATCH", "/v2/outbound_voice_profiles/{profile}"),
    ("POST", "/v2/billing_groups"),
    ("PATCH", "/v2/billing_groups/{group}"),
]
FIELDS = [
    "connection_ids",
    "name",
    "traffic_type",
    "service_plan",
    "active",
    "ports",
    "tag_list",
    "whitelisted_destination_format",
    "whitelisted_destinations",
    "max_destination_rate",
    "call_recording_type",
    "call_recording_phone_numbers",
    "daily_spend_limit",
    "daily_spend_limit_enabled",
    "billing_group_id",
    "connection_name",
    "enabled",
    "tags",
    "concurrent_call_limit",
    "call_recording",
    "calling_window",
    "id",
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=20,
)
objects = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6)
bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    objects.map(lambda v: json.dumps(v).encode()),
    # Numbers of any size and precision, written as text.
    st.from_regex(r"-?[0-9]{1,40}(\.[0-9]{1,40})?([eE][+-]?[0-9]{1,4})?", fullmatch=True).map(
        lambda n: b'{"max_destination_rate": ' + n.encode() + b', "ports": ' + n.encode() + b"}"
    ),
    st.integers(min_value=1, max_value=20_000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.integers(min_value=1, max_value=20_000).map(lambda depth: b'{"name": ' + b"[" * depth + b"]" * depth + b"}"),
    objects.map(lambda v: json.dumps(v).encode()[:-1]),  # cut short
    objects.map(lambda v: json.dumps(v).encode() + b"\xff"),  # not UTF-8
)


@pytest.mark.parametrize(("method", "template"), WRITE_ROUTES, ids=[f"{m} {p}" for m, p in WRITE_ROUTES])
def test_no_body_makes_a_write_route_fail(client: TestClient[Any], api: Api, method: str, template: str) -> None:
    profile = api.profile()["id"]
    group = api.billing_group()["id"]
    path = template.format(profile=profile, group=group)

    @settings(
        max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None
    )
    @given(body=bodies, authenticated=st.booleans(), key=st.none() | st.text(min_size=1, max_size=20))
    def check(body: bytes, authenticated: bool, key: str | None) -> None:
        headers = {k.encode(): v.encode() for k, v in api.tenant.headers.items()} if authenticated else {}
        if key is not None:
            headers[b"Idempotency-Key"] = key.encode("utf-8")  # any bytes a client may send
        response = client.request(method, path, content=body, headers=headers)

        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            errors = response.json()["errors"]
            assert errors
            assert all({"code", "title", "detail"} <= set(error) for error in errors)
            assert len(response.content) < 64 * 1024

    check()
