"""The service on a Redis Cluster: every tenant's scripts run on the node of its slot, and the limits hold
as on one Redis server (the counters' contract runs on a cluster too, in test_counters.py)."""

from __future__ import annotations

import gc

import pytest
import redis
from litestar.testing import TestClient

from outbound_profiles.accounts import service as accounts
from outbound_profiles.app import create_app
from outbound_profiles.config import Settings
from outbound_profiles.db.database import Database
from tests.authorizations.conftest import Switch
from tests.conftest import Api, TenantFactory
from tests.counters.conftest import UNCLOSED_SOCKETS
from tests.counters.harness import PrivateCluster

pytestmark = [pytest.mark.redis, UNCLOSED_SOCKETS]


def test_tenants_on_every_node_of_a_cluster_get_exactly_their_ports(
    settings: Settings, database: Database, make_tenant: TenantFactory, redis_cluster: PrivateCluster
) -> None:
    on_cluster = Settings(database_url=settings.database_url, redis_url=redis_cluster.url, redis_cluster=True)
    token = database.run_sync(accounts.create_switch_token, write=True).token
    with TestClient(create_app(on_cluster, database)) as client:
        switch = Switch(client, {"Authorization": f"Bearer {token}"})
        lines = []
        for _ in range(6):  # tenants whose keys fall in slots of different nodes
            api = Api(client, make_tenant())
            connection = api.connection()
            lines.append((connection["id"], api.profile(connection_ids=[connection["id"]], ports=2)))
        for connection_id, _ in lines:
            first, second = (switch.authorize(connection_id) for _ in range(2))
            assert [first["decision"], second["decision"]] == ["allow", "allow"]
            assert switch.authorize(connection_id)["reason"] == "profile_ports_exhausted"
            assert switch.end(first["call_id"], 5).status_code == 200
            assert switch.authorize(connection_id)["decision"] == "allow"
    holding = 0  # nodes that hold a tenant's state
    for port in redis_cluster.ports:
        node = redis.Redis(port=port)
        keys = list(node.scan_iter(match="op:*"))
        holding += any(key.endswith(b":meta") for key in keys)
        for key in keys:
            node.delete(key)
        node.close()
    gc.collect()
    assert holding > 1, "every tenant's keys fell on one node: the test shows nothing of the cluster"
