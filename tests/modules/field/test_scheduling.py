"""A technician's appointments never overlap: refused one after the other, and of two
requests at the same moment exactly one wins (on committed data, a connection per thread)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.field import scheduling, schemas
from dotmac_isp.modules.field.access import whole_tenant
from dotmac_isp.modules.field.models import WorkOrder
from dotmac_isp.modules.identity.models import AuditLog, Tenant, User
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.errors import Conflict
from tests.modules.field.factories import make_technician, make_work_order, slot
from tests.support.customers import make_customer
from tests.support.factories import StaffUser, make_tenant, make_user
from tests.support.parallel import at_once

W = "/api/v1/work-orders"


def _schedule(client: TestClient, staff: StaffUser, order_id: object, tech: StaffUser,
              start: object, end: object):  # type: ignore[no-untyped-def]
    return client.post(f"{W}/{order_id}/schedule", headers=staff.headers, json={
        "technician_id": str(tech.user.id), "window_start": start.isoformat(),  # type: ignore[attr-defined]
        "window_end": end.isoformat()})  # type: ignore[attr-defined]


def test_an_overlapping_appointment_is_refused_with_the_clash_named(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    tech = make_technician(session, settings, tenant, "Tunde Field")
    other = make_technician(session, settings, tenant, "Bisi Field")
    first, second, third = (make_work_order(session, tenant) for _ in range(3))
    start, end = slot(2, 9, 2)
    assert _schedule(client, admin, first.id, tech, start, end).status_code == 200
    clash = _schedule(client, admin, second.id, tech, start + timedelta(hours=1),
                      end + timedelta(hours=1))
    assert clash.status_code == 409
    detail = clash.json()["detail"]
    assert detail.startswith(f"Tunde Field is already booked for {first.number} on ")
    assert detail.endswith("from 09:00 to 11:00; pick another time or technician")
    # back to back is fine, and so is another technician at the same time
    assert _schedule(client, admin, second.id, tech, end, end + timedelta(hours=1)) \
        .status_code == 200
    assert _schedule(client, admin, third.id, other, start, end).status_code == 200
    # moving the first within its own old window is not a clash with itself
    assert _schedule(client, admin, first.id, tech, start - timedelta(minutes=30),
                     end - timedelta(minutes=30)).status_code == 200
    # a cancelled appointment frees its slot
    client.post(f"{W}/{second.id}/status", headers=admin.headers, json={"status": "cancelled"})
    assert _schedule(client, admin, third.id, tech, end, end + timedelta(hours=1)) \
        .status_code == 200


def test_schedule_input_is_checked(client: TestClient, admin: StaffUser, session: Session,
                                   settings: Settings, tenant: Tenant,
                                   other_tenant: Tenant) -> None:
    order = make_work_order(session, tenant)
    start, end = slot(1, 9)
    backwards = _schedule(client, admin, order.id, make_technician(session, settings, tenant),
                          end, start)
    assert backwards.status_code == 422
    assert "window_end must be after window_start" in backwards.json()["detail"]
    foreign = make_technician(session, settings, other_tenant)
    assert "technician_id: no such staff user" in _schedule(
        client, admin, order.id, foreign, start, end).json()["detail"]
    billing = make_user(session, settings, tenant, "billing")
    refused = _schedule(client, admin, order.id, billing, start, end)
    assert refused.status_code == 422 and "lacks field:write" in refused.json()["detail"]
    tech = make_technician(session, settings, tenant)
    assert _schedule(client, tech, order.id, tech, start, end).status_code == 403


@pytest.fixture
def committed(engine: Engine, settings: Settings) -> Iterator[tuple[Database, uuid.UUID,
                                                                    uuid.UUID, list[uuid.UUID]]]:
    database = Database(engine)
    with database.unit_of_work() as session:
        tenant = make_tenant(session, f"field-race-{uuid.uuid4().hex[:8]}")
        tech = make_technician(session, settings, tenant)
        customer = make_customer(session, tenant, email=None)
        orders = [make_work_order(session, tenant, customer=customer).id for _ in range(2)]
        ids = tenant.id, tech.user.id
    yield database, *ids, orders
    with database.unit_of_work() as session:
        for model in (AuditLog, WorkOrder):
            session.execute(delete(model).where(model.tenant_id == ids[0]))
        session.execute(delete(Customer).where(Customer.tenant_id == ids[0]))
        session.execute(delete(User).where(User.tenant_id == ids[0]))
        session.execute(delete(Tenant).where(Tenant.id == ids[0]))


def test_two_requests_for_one_technicians_slot_at_once_exactly_one_wins(
        committed: tuple[Database, uuid.UUID, uuid.UUID, list[uuid.UUID]]) -> None:
    database, tenant_id, tech_id, orders = committed
    start, end = slot(3, 14, 2)

    def book(n: int) -> str:
        try:
            with database.unit_of_work() as session:
                scheduling.schedule(session, whole_tenant(tenant_id), orders[n],
                                    schemas.ScheduleIn(technician_id=tech_id,
                                                       window_start=start + timedelta(minutes=n),
                                                       window_end=end))
            return "booked"
        except Conflict as exc:
            return f"refused: {exc.detail}"

    outcomes = at_once(2, book)
    assert sorted(o.split(":")[0] for o in outcomes) == ["booked", "refused"], outcomes
    with database.unit_of_work(write=False) as session:
        booked = session.query(WorkOrder).filter(WorkOrder.tenant_id == tenant_id,
                                                 WorkOrder.status == "scheduled").all()
    assert len(booked) == 1 and booked[0].technician_id == tech_id
