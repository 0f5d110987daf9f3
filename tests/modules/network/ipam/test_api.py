"""The IPAM JSON API end to end, and bad input: a clear 4xx and nothing stored."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.ipam.models import (
    Allocation,
    AssignmentHistory,
    Pool,
    Prefix,
    Vrf,
)
from tests.modules.network.devices.factories import make_device, make_interface
from tests.support.customers import make_subscription
from tests.support.factories import StaffUser

API = "/api/v1/ipam"


class Api:
    def __init__(self, client: TestClient, staff: StaffUser):
        self.client, self.headers = client, staff.headers

    def __call__(self, method: str, path: str, expect: int, **kwargs: Any) -> Any:
        response = self.client.request(method, f"{API}{path}", headers=self.headers, **kwargs)
        assert response.status_code == expect, response.text
        return response.json() if response.content else None


@pytest.fixture
def api(client: TestClient, admin: StaffUser) -> Api:
    return Api(client, admin)


def _rows(session: Session) -> dict[str, int]:
    return {model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Vrf, Prefix, Pool, Allocation, AssignmentHistory)}


@pytest.fixture
def holders(session: Session, settings: Settings, tenant: Tenant) -> tuple[str, str]:
    """A subscription and a device interface of the tenant, to hold addresses."""
    router = make_device(session, settings, tenant, "bng-1")
    return (str(make_subscription(session, settings, tenant).id),
            str(make_interface(session, router).id))


def test_build_a_network_allocate_and_tear_it_down(api: Api, holders: tuple[str, str]) -> None:
    vrf = api("POST", "/vrfs", 201, json={"name": "cgnat", "rd": "65000:100"})
    block = api("POST", "/prefixes", 201, json={"network": "100.64.0.0/10",
                                                "role": "subscriber_pool", "vrf_id": vrf["id"]})
    subnet = api("POST", "/prefixes", 201, json={"network": "100.64.0.0/24",
                                                 "role": "subscriber_pool",
                                                 "vrf_id": vrf["id"]})
    assert (subnet["parent_id"], subnet["depth"], subnet["family"]) == (block["id"], 1, 4)
    pool = api("POST", "/pools", 201, json={"name": "cgnat-1", "prefix_id": subnet["id"],
                                            "gateway": "100.64.0.1",
                                            "alert_threshold_percent": 80})
    assert (pool["network"], pool["vrf_id"], pool["gateway"], pool["allocated_count"]) == (
        "100.64.0.0/24", vrf["id"], "100.64.0.1", 1)

    holder, interface = holders
    first = api("POST", f"/pools/{pool['id']}/allocations", 201,
                json={"holder_type": "subscription", "holder_id": holder})
    assert (first["address"], first["cidr"], first["status"]) == ("100.64.0.2",
                                                                   "100.64.0.2/32", "allocated")
    static = api("POST", f"/pools/{pool['id']}/allocations", 201,
                 json={"address": "100.64.0.50", "status": "reserved", "description": "NOC"})
    assert api("GET", f"/allocations/{static['id']}", 200)["description"] == "NOC"
    changed = api("PATCH", f"/allocations/{static['id']}", 200,
                  json={"holder_type": "device_interface", "holder_id": interface})
    assert (changed["holder_type"], changed["status"]) == ("device_interface", "reserved")

    usage = api("GET", f"/pools/{pool['id']}/utilization", 200)
    assert (usage["used"], usage["total"], usage["allocated"], usage["reserved"]) == (
        3, 254, 1, 2)
    tree = api("GET", "/tree", 200)
    assert [(n["network"], n["depth"], n["pool_name"]) for n in tree["items"]] == [
        ("100.64.0.0/10", 0, None), ("100.64.0.0/24", 1, "cgnat-1")]
    assert tree["items"][1]["utilization"]["used"] == 3
    assert api("GET", f"/prefixes/{block['id']}/utilization", 200)["used"] == 256
    assert [c["id"] for c in api("GET", f"/prefixes/{block['id']}/children", 200)["items"]] == [
        subnet["id"]]
    mine = api("GET", "/subscription-addresses", 200, params={"subscription_id": holder})
    assert (mine["ipv4_address"], mine["ipv6_delegated_prefix"]) == ("100.64.0.2", None)
    found = api("GET", "/allocations", 200, params={"address": "100.64.0.2"})
    assert [a["id"] for a in found["items"]] == [first["id"]]

    api("DELETE", f"/allocations/{first['id']}", 204)
    api("DELETE", f"/allocations/{static['id']}", 204)
    assert api("GET", "/history", 200, params={"holder_id": holder})["total"] == 1
    assert api("GET", "/history", 200, params={"holder_id": interface})["total"] == 1
    api("PATCH", f"/pools/{pool['id']}", 200, json={"name": "cgnat-one"})
    api("DELETE", f"/pools/{pool['id']}", 204)
    api("DELETE", f"/prefixes/{subnet['id']}", 204)
    api("DELETE", f"/prefixes/{block['id']}", 204)
    api("DELETE", f"/vrfs/{vrf['id']}", 204)
    assert api("GET", "/prefixes", 200)["total"] == 0


def test_ipv6_pools_and_delegation_through_the_api(api: Api,
                                                  holders: tuple[str, str]) -> None:
    block = api("POST", "/prefixes", 201, json={"network": "2001:db8:1000::/48",
                                                "role": "subscriber_pool"})
    pd = api("POST", "/pools", 201, json={"name": "pd", "prefix_id": block["id"],
                                          "kind": "delegation", "delegated_length": 60})
    got = api("POST", f"/pools/{pd['id']}/allocations", 201,
              json={"holder_type": "subscription", "holder_id": holders[0]})
    assert (got["cidr"], got["family"]) == ("2001:db8:1000::/60", 6)
    assert api("GET", f"/pools/{pd['id']}/utilization", 200)["unit"] == "prefix"
    assert [p["kind"] for p in api("GET", "/pools", 200, params={"family": 6})["items"]] == [
        "delegation"]


def test_list_endpoints_paginate(api: Api) -> None:
    for i in range(5):
        api("POST", "/prefixes", 201, json={"network": f"10.{i}.0.0/16", "role": "management"})
    page = api("GET", "/prefixes", 200, params={"limit": 2, "offset": 2})
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 2)
    assert [p["network"] for p in page["items"]] == ["10.2.0.0/16", "10.3.0.0/16"]
    assert api("GET", "/prefixes", 200, params={"family": 6})["total"] == 0
    assert api("GET", "/tree", 200, params={"limit": 1})["total"] == 5


@pytest.mark.parametrize(("network", "status", "code", "detail"), [
    ("10.0.0.300/24", 422, "invalid_prefix", "'10.0.0.300/24' is not a valid IPv4 or IPv6 prefix"),
    ("10.0.0.1/24", 422, "invalid_prefix", "10.0.0.1/24 has host bits set; the prefix is "
                                           "10.0.0.0/24"),
    ("2001:db8::1/64", 422, "invalid_prefix", "2001:db8::1/64 has host bits set; the prefix "
                                              "is 2001:db8::/64"),
    ("not-a-prefix", 422, "invalid_prefix", "'not-a-prefix' has no prefix length; write it as "
                                            "address/length, e.g. 10.0.0.0/24"),
])
def test_malformed_prefixes_are_refused_and_nothing_is_stored(
        api: Api, session: Session, network: str, status: int, code: str, detail: str) -> None:
    before = _rows(session)
    body = api("POST", "/prefixes", status, json={"network": network, "role": "loopback"})
    assert body == {"error": code, "detail": detail}
    assert _rows(session) == before


def test_conflicts_and_exhaustion_are_refused_and_nothing_is_stored(
        api: Api, session: Session) -> None:
    prefix = api("POST", "/prefixes", 201, json={"network": "192.0.2.0/30",
                                                 "role": "point_to_point"})
    pool = api("POST", "/pools", 201, json={"name": "p2p", "prefix_id": prefix["id"]})
    allocate = f"/pools/{pool['id']}/allocations"
    api("POST", allocate, 201, json={})
    api("POST", allocate, 201, json={})
    before = _rows(session)

    cases = [
        ("POST", "/prefixes", {"network": "192.0.2.0/30", "role": "loopback"}, 409,
         "duplicate_prefix", "192.0.2.0/30 already exists in the global table"),
        ("POST", "/prefixes", {"network": "192.0.2.2/31", "role": "loopback"}, 409,
         "prefix_overlap", "192.0.2.2/31 overlaps pool 'p2p' (192.0.2.0/30); a pool's prefix "
                           "cannot be subdivided"),
        ("POST", allocate, {}, 409, "pool_exhausted",
         "pool 'p2p' (192.0.2.0/30) has no free address left"),
        ("POST", allocate, {"address": "192.0.2.1"}, 409, "address_conflict",
         "192.0.2.1/32 is already allocated"),
        ("POST", allocate, {"address": "192.0.2.9"}, 422, "address_outside_pool",
         "192.0.2.9 is outside pool 'p2p' (192.0.2.0/30)"),
        ("POST", allocate, {"address": "192.0.2.3"}, 422, "address_not_assignable",
         "192.0.2.3 is the broadcast address of 192.0.2.0/30 and is not handed out (mark the "
         "pool fully usable to allow it)"),
        ("POST", allocate, {"address": "banana"}, 422, "invalid_prefix",
         "'banana' is not a valid IPv4 or IPv6 address"),
        ("POST", allocate, {"holder_type": "subscription"}, 422, "validation_failed",
         "holder_id is required when holder_type is subscription"),
        ("POST", "/pools", {"name": "p2p", "prefix_id": prefix["id"]}, 409, "conflict",
         "a pool named 'p2p' already exists"),
        ("DELETE", f"/pools/{pool['id']}", None, 409, "prefix_in_use",
         "pool 'p2p' still has 2 allocation(s); release them first"),
    ]
    for method, path, body, status, code, detail in cases:
        got = api(method, path, status, **({"json": body} if body is not None else {}))
        assert (got["error"], got["detail"]) == (code, detail), (path, body)
    assert _rows(session) == before


def test_a_pool_with_a_bad_gateway_is_not_created(api: Api, session: Session) -> None:
    prefix = api("POST", "/prefixes", 201, json={"network": "198.51.100.0/24",
                                                 "role": "subscriber_pool"})
    before = _rows(session)
    for gateway, code in (("198.51.101.1", "address_outside_pool"),
                          ("198.51.100.0", "address_not_assignable"),
                          ("nonsense", "invalid_prefix")):
        got = api("POST", "/pools", 422, json={"name": "bad", "prefix_id": prefix["id"],
                                               "gateway": gateway})
        assert got["error"] == code
    got = api("POST", "/pools", 422, json={"name": "bad", "prefix_id": prefix["id"],
                                           "kind": "delegation", "delegated_length": 28})
    assert got["detail"] == "prefix delegation pools must be IPv6"
    assert _rows(session) == before


def test_request_validation_is_a_clear_422(api: Api) -> None:
    got = api("POST", "/prefixes", 422, json={"network": "10.0.0.0/8", "role": "spaceship"})
    assert got["error"] == "validation_failed" and "role" in got["detail"]
    got = api("POST", "/vrfs", 422, json={"name": "bad\x00name"})
    assert "control characters" in got["detail"]
    assert api("GET", f"/pools/{uuid.uuid4()}", 404)["detail"] == "pool not found"
