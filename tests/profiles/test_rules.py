"""The rules of SPEC §5, checked on the merged profile; each broken rule names the field."""

from __future__ import annotations

import pytest

from tests.conftest import TenantFactory
from tests.profiles.helpers import Endpoints, ok, only_problem, problems


def endpoints_of(
    endpoints: Endpoints, make_tenant: TenantFactory, *, concurrent_call_limit: int | None = None, max_cps: int = 1000
) -> Endpoints:
    """The profile resource as seen by a new tenant with these account settings."""
    return endpoints.as_tenant(make_tenant(concurrent_call_limit=concurrent_call_limit, max_cps=max_cps))


# Rule 1: service plan 3 is retired.


def test_service_plan_3_is_retired_with_a_message_pointing_to_global(endpoints: Endpoints) -> None:
    detail = only_problem(endpoints.create({"connection_ids": [], "service_plan": 3}), "/service_plan")

    assert "retired" in detail
    assert "Global, 4" in detail


def test_service_plan_3_on_update_changes_nothing(endpoints: Endpoints) -> None:
    profile = endpoints.profile(name="keep")

    found = problems(endpoints.update(profile["id"], {"service_plan": 3, "name": "lost", "ports": "x"}))

    assert found.keys() == {"/service_plan", "/ports"}
    assert "retired" in found["/service_plan"]
    assert endpoints.read(profile["id"]) == profile


# Rule 2: International only with short duration.


def test_international_plan_needs_short_duration_traffic(endpoints: Endpoints) -> None:
    only_problem(endpoints.create({"connection_ids": [], "service_plan": 2}), "/service_plan")
    assert endpoints.profile(service_plan=2, traffic_type=2)["service_plan"] == 2


def test_turning_an_international_profile_conversational_names_traffic_type(endpoints: Endpoints) -> None:
    profile = endpoints.profile(service_plan=2, traffic_type=2)

    detail = only_problem(endpoints.update(profile["id"], {"traffic_type": 1}), "/traffic_type")

    assert "short duration" in detail
    assert endpoints.updated(profile["id"], {"traffic_type": 1, "service_plan": 4})["traffic_type"] == 1


# Rule 3: the US plan covers US, CA, PR, VI, GU, AS, MP.


def test_us_plan_accepts_its_territories(endpoints: Endpoints) -> None:
    territories = ["US", "CA", "PR", "VI", "GU", "AS", "MP"]

    profile = endpoints.profile(
        service_plan=1, whitelisted_destinations=territories, whitelisted_destination_format="alpha2"
    )

    assert profile["whitelisted_destinations"] == territories


def test_us_plan_refuses_each_destination_outside_it(endpoints: Endpoints) -> None:
    body = {"connection_ids": [], "service_plan": 1, "whitelisted_destinations": ["US", "MX", "PR", "GB"]}

    found = problems(endpoints.create(body))

    assert found.keys() == {"/whitelisted_destinations/1", "/whitelisted_destinations/3"}


def test_switching_to_the_us_plan_with_foreign_destinations_names_service_plan(endpoints: Endpoints) -> None:
    profile = endpoints.profile(whitelisted_destinations=["US", "FR"])

    detail = only_problem(endpoints.update(profile["id"], {"service_plan": 1}), "/service_plan")

    assert "FR" in detail
    assert endpoints.read(profile["id"]) == profile


def test_whitelisting_abroad_on_a_us_plan_names_the_destination(endpoints: Endpoints) -> None:
    profile = endpoints.profile(service_plan=1)

    only_problem(
        endpoints.update(profile["id"], {"whitelisted_destinations": ["CA", "DE"]}), "/whitelisted_destinations/1"
    )


# Rule 4: ports within the account's concurrent call limit.


def test_ports_up_to_the_account_limit(endpoints: Endpoints, make_tenant: TenantFactory) -> None:
    limited = endpoints_of(endpoints, make_tenant, concurrent_call_limit=10)
    profile = limited.profile(ports=10)

    detail = only_problem(limited.update(profile["id"], {"ports": 11}), "/ports")

    assert "10" in detail
    assert limited.read(profile["id"])["ports"] == 10
    assert limited.updated(profile["id"], {"ports": None})["ports"] is None


def test_ports_are_unbounded_without_an_account_limit(endpoints: Endpoints) -> None:
    assert endpoints.profile(ports=2_000_000)["ports"] == 2_000_000


def test_an_account_limit_of_zero_allows_only_zero_ports(endpoints: Endpoints, make_tenant: TenantFactory) -> None:
    limited = endpoints_of(endpoints, make_tenant, concurrent_call_limit=0)

    only_problem(limited.create({"connection_ids": [], "ports": 1}), "/ports")
    assert limited.profile(ports=0)["ports"] == 0


# Rule 5: cps_limit + cps_limit_increase within the account's maximum CPS.


def test_cps_increase_up_to_the_account_maximum(endpoints: Endpoints, make_tenant: TenantFactory) -> None:
    limited = endpoints_of(endpoints, make_tenant, max_cps=150)
    profile = limited.profile(cps_limit_increase=50)

    detail = only_problem(limited.update(profile["id"], {"cps_limit_increase": 51}), "/cps_limit_increase")

    assert "150" in detail
    assert limited.read(profile["id"])["cps_limit_increase"] == 50


def test_the_default_maximum_cps_is_1000(endpoints: Endpoints) -> None:
    assert endpoints.profile(cps_limit_increase=900)["cps_limit_increase"] == 900
    only_problem(endpoints.create({"connection_ids": [], "cps_limit_increase": 901}), "/cps_limit_increase")


# Rule 6: an enabled daily spend limit needs a limit.


def test_enabling_the_spend_limit_without_a_limit_is_refused(endpoints: Endpoints) -> None:
    only_problem(
        endpoints.create({"connection_ids": [], "daily_spend_limit_enabled": True}), "/daily_spend_limit_enabled"
    )
    profile = endpoints.profile(daily_spend_limit_enabled=True, daily_spend_limit="1.00")
    assert (profile["daily_spend_limit_enabled"], profile["daily_spend_limit"]) == (True, "1.00")


def test_clearing_the_limit_while_enabled_names_the_limit(endpoints: Endpoints) -> None:
    profile = endpoints.profile(daily_spend_limit_enabled=True, daily_spend_limit="1.00")

    only_problem(endpoints.update(profile["id"], {"daily_spend_limit": None}), "/daily_spend_limit")
    cleared = endpoints.updated(profile["id"], {"daily_spend_limit": None, "daily_spend_limit_enabled": False})
    assert cleared["daily_spend_limit"] is None


def test_a_limit_may_be_kept_while_disabled(endpoints: Endpoints) -> None:
    profile = endpoints.profile(daily_spend_limit="3")

    assert (profile["daily_spend_limit_enabled"], profile["daily_spend_limit"]) == (False, "3.00")


# Rule 7: recording by number needs numbers, each a possible E.164 number.


def test_recording_by_number_needs_a_number(endpoints: Endpoints) -> None:
    body = {"connection_ids": [], "call_recording_type": "by_call_phone_number"}

    only_problem(endpoints.create(body), "/call_recording_type")


def test_emptying_the_numbers_of_a_by_number_profile_names_the_numbers(endpoints: Endpoints) -> None:
    profile = endpoints.profile(
        call_recording_type="by_call_phone_number", call_recording_phone_numbers=["+13125550100"]
    )

    only_problem(endpoints.update(profile["id"], {"call_recording_phone_numbers": []}), "/call_recording_phone_numbers")
    assert (
        endpoints.updated(profile["id"], {"call_recording_type": "all", "call_recording_phone_numbers": []})[
            "call_recording_phone_numbers"
        ]
        == []
    )


def test_a_number_that_is_impossible_for_its_country_is_refused(endpoints: Endpoints) -> None:
    body = {
        "connection_ids": [],
        "call_recording_type": "by_call_phone_number",
        "call_recording_phone_numbers": ["+4420"],
    }

    detail = only_problem(endpoints.create(body), "/call_recording_phone_numbers/0")

    assert "possible" in detail


# Rule 8: connections exist, are the user's, and are not on another profile.


def test_an_unknown_connection_is_refused(endpoints: Endpoints) -> None:
    mine = endpoints.connection_id()
    body = {"connection_ids": [mine, "123456789", "not-a-number", "0"]}

    found = problems(endpoints.create(body))

    assert found.keys() == {"/connection_ids/1", "/connection_ids/2", "/connection_ids/3"}
    assert endpoints.list().json() == []


def test_another_tenants_connection_is_no_such_connection(endpoints: Endpoints, other_endpoints: Endpoints) -> None:
    theirs = other_endpoints.connection_id()
    profile = endpoints.profile()

    detail = only_problem(endpoints.update(profile["id"], {"connection_ids": [theirs]}), "/connection_ids/0")

    assert "No such connection" in detail
    assert endpoints.read(profile["id"]) == profile


def test_a_connection_on_another_profile_is_refused_naming_that_profile(endpoints: Endpoints) -> None:
    shared = endpoints.connection_id()
    holder = endpoints.profile(connection_ids=[shared])
    free = endpoints.connection_id()
    profile = endpoints.profile()

    detail = only_problem(endpoints.update(profile["id"], {"connection_ids": [free, shared]}), "/connection_ids/1")

    assert holder["id"] in detail
    assert endpoints.read(profile["id"]) == profile
    assert endpoints.read(holder["id"]) == holder


def test_a_connection_moves_after_being_released(endpoints: Endpoints) -> None:
    shared = endpoints.connection_id()
    holder = endpoints.profile(connection_ids=[shared])
    profile = endpoints.profile()

    endpoints.updated(holder["id"], {"connection_ids": []})

    assert endpoints.updated(profile["id"], {"connection_ids": [shared]})["connection_id"] == shared


def test_a_deleted_connection_leaves_its_profile(endpoints: Endpoints) -> None:
    connection = endpoints.connection_id()
    profile = endpoints.profile(connection_ids=[connection])

    response = endpoints.client.delete(f"/security/connections/{connection}", headers=endpoints.headers)

    assert response.status_code == 200, response.text
    assert endpoints.read(profile["id"])["connections"] == []


# Rule 9: the billing group exists and is the user's.


def test_the_billing_group_must_exist(endpoints: Endpoints) -> None:
    body = {"connection_ids": [], "billing_group_id": "6a09cdc3-8948-47f0-aa62-74ac943d6c58"}

    only_problem(endpoints.create(body), "/billing_group_id")


def test_another_tenants_billing_group_is_refused(endpoints: Endpoints, other_endpoints: Endpoints) -> None:
    theirs = other_endpoints.api.billing_group()["id"]
    profile = endpoints.profile()

    only_problem(endpoints.update(profile["id"], {"billing_group_id": theirs}), "/billing_group_id")
    assert endpoints.read(profile["id"]) == profile


def test_a_billing_group_of_the_user_is_accepted(endpoints: Endpoints) -> None:
    group = endpoints.api.billing_group()["id"]
    profile = endpoints.profile()

    assert endpoints.updated(profile["id"], {"billing_group_id": group})["billing_group_id"] == group


# All rules together.


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_every_broken_rule_is_reported_together(endpoints: Endpoints, make_tenant: TenantFactory, method: str) -> None:
    limited = endpoints_of(endpoints, make_tenant, concurrent_call_limit=1, max_cps=100)
    profile = limited.profile()
    body = {
        "service_plan": 2,
        "ports": 2,
        "cps_limit_increase": 1,
        "daily_spend_limit_enabled": True,
        "call_recording_type": "by_call_phone_number",
        "connection_ids": ["1"],
        "billing_group_id": "nope",
    }

    found = problems(limited.update(profile["id"], body, method=method))

    assert found.keys() == {
        "/service_plan",
        "/ports",
        "/cps_limit_increase",
        "/daily_spend_limit_enabled",
        "/call_recording_type",
        "/connection_ids/0",
        "/billing_group_id",
    }
    assert limited.read(profile["id"]) == profile
    assert ok(limited.update(profile["id"], {"service_plan": 2, "traffic_type": 2}))["service_plan"] == 2
