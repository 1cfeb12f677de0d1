"""The table every contract check runs on: each resource, how to make one, and for every field it
accepts at least one bogus value with the JSON pointer the 400 must name (as wazo-confd's shared
scenarios do for its resources).

A value may be `Made(...)`: built at test time from the tenants' factories (another tenant's
connection, a connection another profile holds).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tests.conftest import Api
from tests.contract.helpers import BAD_REQUEST


@dataclass(frozen=True)
class Setup:
    """What a value may be made from: the tenant under test and another one."""

    api: Api
    other_api: Api


@dataclass(frozen=True)
class Made:
    make: Callable[[Setup], Any]
    label: str

    def __repr__(self) -> str:
        return self.label


@dataclass(frozen=True)
class Bogus:
    """`field: value` (sent with `along`) must be refused with `code` at `pointer` (default `/field`)."""

    field: str
    value: Any
    pointer: str | None = None
    code: str = BAD_REQUEST
    along: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def where(self) -> str:
        return self.pointer or "/" + self.field

    def body(self, setup: Setup) -> dict[str, Any]:
        value = self.value.make(setup) if isinstance(self.value, Made) else self.value
        return {**self.along, self.field: value}

    def __str__(self) -> str:
        shown = repr(self.value)
        shown = shown if len(shown) <= 24 else shown[:20] + "..."
        return f"{self.field}={shown}" + (f"+{','.join(self.along)}" if self.along else "")


@dataclass(frozen=True)
class Action:
    """An operation on one resource besides retrieve/update/delete (e.g. attach connections)."""

    method: str
    suffix: str
    body: Mapping[str, Any]


@dataclass(frozen=True)
class Resource:
    name: str
    path: str
    create_schema: str  # the OpenAPI component describing the create body
    minimal: Mapping[str, Any]  # the least a create body needs
    required: tuple[str, ...]
    make: Callable[[Api], dict[str, Any]]
    bogus: tuple[Bogus, ...]
    service: str  # the module whose functions a test may break to provoke a 500
    unknown_id: str  # well formed, but no such resource
    update_methods: tuple[str, ...] = ()
    change: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # a valid update body
    actions: tuple[Action, ...] = ()

    def item(self, resource_id: str, suffix: str = "") -> str:
        return f"{self.path}/{resource_id}{suffix}"

    def __str__(self) -> str:
        return self.name


TOO_LONG = "x" * 256
UNKNOWN_NUMERIC_ID = "1293384261075731499"


def _other_tenants_connection(setup: Setup) -> list[str]:
    return [setup.other_api.connection()["id"]]


def _connection_of_another_profile(setup: Setup) -> list[str]:
    connection = setup.api.connection(connection_name="held")
    setup.api.profile(name="holder", connection_ids=[connection["id"]])
    return [connection["id"]]


def _other_tenants_billing_group(setup: Setup) -> str:
    group_id: str = setup.other_api.billing_group()["id"]
    return group_id


PROFILES = Resource(
    name="profiles",
    path="/termination/endpoints",
    create_schema="ProfileCreate",
    minimal={"connection_ids": []},
    required=("connection_ids",),
    make=lambda api: api.profile(name="contract"),
    update_methods=("PUT", "PATCH"),
    change={"name": "changed"},
    actions=(
        Action("PUT", "/actions/attach_connections", {"connection_ids": []}),
        Action("PUT", "/actions/detach_connections", {"connection_ids": []}),
    ),
    service="outbound_profiles.profiles.service",
    unknown_id=UNKNOWN_NUMERIC_ID,
    bogus=(
        Bogus("connection_ids", "1"),
        Bogus("connection_ids", None),
        Bogus("connection_ids", [1], "/connection_ids/0"),
        Bogus("connection_ids", ["not-an-id"], "/connection_ids/0"),
        Bogus("connection_ids", [UNKNOWN_NUMERIC_ID], "/connection_ids/0"),
        Bogus("connection_ids", Made(_other_tenants_connection, "<other tenant's>"), "/connection_ids/0"),
        Bogus("connection_ids", Made(_connection_of_another_profile, "<held by another>"), "/connection_ids/0"),
        Bogus("name", TOO_LONG),
        Bogus("name", 5),
        Bogus("traffic_type", 3),
        Bogus("traffic_type", "1"),
        Bogus("traffic_type", None),
        Bogus("service_plan", 3),
        Bogus("service_plan", "4"),
        Bogus("service_plan", 2),  # International needs short duration traffic
        Bogus("service_plan", None),
        Bogus("active", 1),
        Bogus("active", "true"),
        Bogus("active", None),
        Bogus("translation_rule", TOO_LONG),
        Bogus("translation_rule", ["x"]),
        Bogus("cps_limit_increase", -1),
        Bogus("cps_limit_increase", 1.5),
        Bogus("cps_limit_increase", 901),  # default 100 + 901 > the account's maximum, 1000
        Bogus("cps_limit_increase", None),
        Bogus("ports", -1),
        Bogus("ports", "5"),
        Bogus("ports", True),
        Bogus("ports", 2**31),
        Bogus("tag_list", "tag"),
        Bogus("tag_list", [""], "/tag_list/0"),
        Bogus("tag_list", ["ok", TOO_LONG], "/tag_list/1"),
        Bogus("tag_list", [f"tag{i}" for i in range(101)]),
        Bogus("tag_list", None),
        Bogus("usage_payment_method", "cash"),
        Bogus("usage_payment_method", None),
        Bogus("whitelisted_destination_format", "alpha4"),
        Bogus("whitelisted_destination_format", None),
        Bogus("whitelisted_destinations", "US"),
        Bogus("whitelisted_destinations", ["US", "ZZ"], "/whitelisted_destinations/1"),
        Bogus("whitelisted_destinations", [840], "/whitelisted_destinations/0"),
        Bogus(
            "whitelisted_destinations",
            ["USA"],
            "/whitelisted_destinations/0",
            along={"whitelisted_destination_format": "alpha2"},
        ),
        Bogus("whitelisted_destinations", ["US", "FR"], "/whitelisted_destinations/1", along={"service_plan": 1}),
        Bogus("whitelisted_destinations", None),
        Bogus("max_destination_rate", -0.01),
        Bogus("max_destination_rate", "0.1"),
        Bogus("call_recording_type", "some"),
        Bogus("call_recording_type", "by_call_phone_number"),  # needs at least one number
        Bogus("call_recording_type", None),
        Bogus("call_recording_phone_numbers", "+13125550100"),
        Bogus("call_recording_phone_numbers", ["+13125550100", "12345"], "/call_recording_phone_numbers/1"),
        Bogus("call_recording_phone_numbers", ["+1"], "/call_recording_phone_numbers/0"),
        Bogus("call_recording_format", "ogg"),
        Bogus("call_recording_channels", "triple"),
        Bogus("daily_spend_limit", "1.234"),
        Bogus("daily_spend_limit", 10),
        Bogus("daily_spend_limit", "-1"),
        Bogus("daily_spend_limit_enabled", "yes"),
        Bogus("daily_spend_limit_enabled", True),  # needs a daily_spend_limit
        Bogus("billing_group_id", "no-such-group"),
        Bogus("billing_group_id", 5),
        Bogus("billing_group_id", "a\x00b"),
        Bogus("billing_group_id", Made(_other_tenants_billing_group, "<other tenant's>")),
    ),
)

CONNECTIONS = Resource(
    name="connections",
    path="/security/connections",
    create_schema="ConnectionCreate",
    minimal={"connection_name": "trunk"},
    required=("connection_name",),
    make=lambda api: api.connection(connection_name="contract"),
    service="outbound_profiles.connections.service",
    unknown_id=UNKNOWN_NUMERIC_ID,
    bogus=(
        Bogus("connection_name", ""),
        Bogus("connection_name", TOO_LONG),
        Bogus("connection_name", 5),
        Bogus("connection_name", None),
        Bogus("connection_name", "trunk\x00one"),
        Bogus("active", 1),
        Bogus("active", "false"),
        Bogus("active", None),
    ),
)

BILLING_GROUPS = Resource(
    name="billing_groups",
    path="/billing_groups",
    create_schema="BillingGroupWrite",
    minimal={"name": "group"},
    required=(),
    make=lambda api: api.billing_group(name="contract"),
    update_methods=("PATCH", "PUT"),
    change={"name": "changed"},
    service="outbound_profiles.billing_groups.service",
    unknown_id="0b6a4c4e-34f4-4d3c-9a0e-6f1b8f7e1d2a",
    bogus=(
        Bogus("name", TOO_LONG),
        Bogus("name", 5),
        Bogus("name", ["group"]),
        Bogus("name", "group\x00one"),
    ),
)

RESOURCES = (PROFILES, CONNECTIONS, BILLING_GROUPS)
UPDATABLE = tuple(r for r in RESOURCES if r.update_methods)
