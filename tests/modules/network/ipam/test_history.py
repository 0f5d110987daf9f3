"""Which holder had address X at time T: for abuse reports and lawful requests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.ipam import allocation, history, schemas
from dotmac_isp.modules.network.ipam.enums import HolderType, PoolKind
from dotmac_isp.shared.pagination import PageParams
from tests.modules.network.ipam.factories import make_pool, make_vrf, take
from tests.support.factories import StaffUser

T1 = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _holders(session: Session, tenant: Tenant, address: str,
             at: datetime | None) -> list[uuid.UUID | None]:
    page = history.list_history(session, tenant.id, PageParams(), address=address, at=at)
    return [entry.holder_id for entry in page.items]


def test_who_held_an_address_at_a_given_time(session: Session, tenant: Tenant) -> None:
    pool = make_pool(session, tenant, "100.64.0.0/24")
    alice, bob = uuid.uuid4(), uuid.uuid4()
    first = take(session, pool, "100.64.0.7", holder_id=alice, now=T1)
    allocation.release(session, tenant.id, first.id, now=T1 + 5 * HOUR)
    take(session, pool, "100.64.0.7", holder_id=bob, now=T1 + 8 * HOUR)

    assert _holders(session, tenant, "100.64.0.7", T1 - HOUR) == []
    assert _holders(session, tenant, "100.64.0.7", T1) == [alice]
    assert _holders(session, tenant, "100.64.0.7", T1 + 4 * HOUR) == [alice]
    assert _holders(session, tenant, "100.64.0.7", T1 + 5 * HOUR) == []  # released then
    assert _holders(session, tenant, "100.64.0.7", T1 + 9 * HOUR) == [bob]
    assert _holders(session, tenant, "100.64.0.7", None) == [bob, alice]  # newest first
    assert _holders(session, tenant, "100.64.0.8", None) == []


def test_an_address_inside_a_delegated_prefix_finds_its_subscription(
        session: Session, tenant: Tenant) -> None:
    pool = make_pool(session, tenant, "2001:db8:1000::/48", kind=PoolKind.DELEGATION,
                     delegated_length=56)
    carol = uuid.uuid4()
    delegated = take(session, pool, holder_id=carol, now=T1)
    assert delegated.cidr == "2001:db8:1000::/56"
    inside = "2001:db8:1000:42:5054:ff:fe12:3456"
    assert _holders(session, tenant, inside, T1 + HOUR) == [carol]
    assert _holders(session, tenant, "2001:db8:1000:100::1", T1 + HOUR) == []
    found = history.list_allocations(session, tenant.id, PageParams(), address=inside).items
    assert [a.id for a in found] == [delegated.id]


def test_a_new_holder_starts_a_new_period(session: Session, tenant: Tenant) -> None:
    pool = make_pool(session, tenant, "192.0.2.0/24")
    router, dave = uuid.uuid4(), uuid.uuid4()
    got = allocation.allocate(session, tenant.id, pool.id, holder_type=HolderType.DEVICE_INTERFACE,
                              holder_id=router, now=T1)
    allocation.reassign(session, got, status=schemas.AllocationStatus.ALLOCATED,
                        holder_type=HolderType.SUBSCRIPTION, holder_id=dave,
                        description="moved to a customer", now=T1 + 2 * HOUR)
    assert _holders(session, tenant, got.address, T1 + HOUR) == [router]
    assert _holders(session, tenant, got.address, T1 + 3 * HOUR) == [dave]


def test_history_is_per_vrf_when_asked(session: Session, tenant: Tenant) -> None:
    red, blue = make_vrf(session, tenant, "red"), make_vrf(session, tenant, "blue")
    erin, frank = uuid.uuid4(), uuid.uuid4()
    take(session, make_pool(session, tenant, "10.0.0.0/24", vrf=red, name="r"), "10.0.0.5",
         holder_id=erin, now=T1)
    take(session, make_pool(session, tenant, "10.0.0.0/24", vrf=blue, name="b"), "10.0.0.5",
         holder_id=frank, now=T1)
    page = history.list_history(session, tenant.id, PageParams(), address="10.0.0.5",
                                vrf_id=blue.id)
    assert [e.holder_id for e in page.items] == [frank]
    assert len(_holders(session, tenant, "10.0.0.5", T1)) == 2


def test_history_api(client: TestClient, session: Session, tenant: Tenant,
                     admin: StaffUser) -> None:
    pool = make_pool(session, tenant, "100.64.0.0/24")
    grace = uuid.uuid4()
    got = take(session, pool, "100.64.0.9", holder_id=grace, now=T1)
    allocation.release(session, tenant.id, got.id, now=T1 + 3 * HOUR)
    session.flush()

    def ask(**params: str) -> list[str]:
        response = client.get("/api/v1/ipam/history", params=params, headers=admin.headers)
        assert response.status_code == 200, response.text
        return [item["holder_id"] for item in response.json()["items"]]

    assert ask(address="100.64.0.9", at="2026-01-10T09:00:00Z") == [str(grace)]
    assert ask(address="100.64.0.9", at="2026-01-10T09:00:00") == [str(grace)]  # UTC assumed
    assert ask(address="100.64.0.9", at="2026-01-10T10:30:00+01:00") == [str(grace)]
    assert ask(address="100.64.0.9", at="2026-01-10T11:00:00Z") == []
    assert ask(holder_id=str(grace)) == [str(grace)]

    bad = client.get("/api/v1/ipam/history", params={"address": "100.64.0.999"},
                     headers=admin.headers)
    assert bad.status_code == 422
    assert bad.json() == {"error": "invalid_prefix",
                          "detail": "'100.64.0.999' is not a valid IPv4 or IPv6 address"}
    neither = client.get("/api/v1/ipam/history", headers=admin.headers)
    assert neither.status_code == 422 and "give an address" in neither.json()["detail"]
