"""Which work order a movement may name: another tenant's reads as none, a cancelled or not
yet arrived one is refused with the reason, an installation goes to the work order's own
subscription; each refusal changes nothing. A technician without inventory rights handles
their own job's equipment through the API, not another's."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.field import service as field_service
from dotmac_isp.modules.field.access import whole_tenant
from dotmac_isp.modules.field.enums import WorkOrderStatus
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.inventory import movements, schemas
from dotmac_isp.modules.inventory.models import Item, Movement
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.shared.errors import AppError
from tests.modules.field.factories import make_technician, make_work_order
from tests.modules.inventory.factories import make_item_model, make_location, receive_units
from tests.modules.inventory.test_work_order_story import on_site
from tests.support.customers import make_customer, make_subscription
from tests.support.factories import StaffUser

W = "/api/v1/work-orders"


def refusal(call: Any) -> tuple[int, str]:
    with pytest.raises(AppError) as caught:
        call()
    return caught.value.status_code, caught.value.detail


def test_another_tenants_cancelled_or_unarrived_work_order_is_refused(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant, other_tenant: Tenant) -> None:
    customer = make_customer(session, tenant)
    sub = make_subscription(session, settings, tenant, customer=customer,
                            status=SubscriptionStatus.ACTIVE, radius_username="ada.obi")
    other_sub = make_subscription(session, settings, tenant, customer=customer,
                                  status=SubscriptionStatus.ACTIVE, radius_username="ada.two")
    van = make_location(session, tenant, "Van 1")
    [unit] = receive_units(session, tenant, van, make_item_model(session, tenant), 1)
    theirs = make_work_order(session, other_tenant, kind="installation")
    cancelled = make_work_order(session, tenant, customer=customer, kind="installation",
                                subscription_id=sub.id)
    field_service.change_status(session, whole_tenant(tenant.id), cancelled.id,
                                WorkOrderStatus.CANCELLED)
    waiting = make_work_order(session, tenant, customer=customer, kind="installation",
                              subscription_id=sub.id)
    survey = make_work_order(session, tenant, customer=customer, kind="site_survey")
    tech = make_technician(session, settings, tenant)
    arrived = make_work_order(session, tenant, customer=customer, kind="installation",
                              subscription_id=sub.id)
    on_site(client, admin, tech, arrived.id, day=1)
    session.expire_all()

    def install(work_order_id: Any, subscription_id: Any = sub.id) -> Any:
        return lambda: movements.install(session, tenant.id, schemas.InstallIn(
            item_ids=[unit.id], from_location_id=van.id, subscription_id=subscription_id,
            work_order_id=work_order_id))

    assert refusal(install(theirs.id)) == (422, "work_order_id: no such work order")
    assert refusal(install(cancelled.id)) == (
        422, f"work order {cancelled.number} is cancelled: equipment is installed while the "
             "work order is on site; its record is closed")
    assert refusal(install(waiting.id)) == (
        422, f"work order {waiting.number} is new: equipment is installed while the work "
             "order is on site; mark it on site (arrived) first")
    assert refusal(install(survey.id)) == (
        422, f"work_order_id: work order {survey.number} is a site survey: it installs no "
             "equipment")
    assert refusal(install(arrived.id, other_sub.id)) == (
        422, f"subscription_id: work order {arrived.number} is for subscription ada.obi, "
             "not this one")
    issue = schemas.IssueIn(item_ids=[unit.id], from_location_id=van.id,
                            work_order_id=cancelled.id)
    assert refusal(lambda: movements.issue(session, tenant.id, issue)) == (
        422, f"work order {cancelled.number} is cancelled: stock is issued only to an open "
             "work order")
    session.expire_all()
    item = session.get_one(Item, unit.id)
    assert (item.state, item.location_id) == ("in_stock", van.id)
    assert session.scalar(select(func.count()).select_from(Movement).where(
        Movement.item_id == unit.id)) == 1  # its receipt only

    # the same through the inventory API: another tenant's id is the same 422
    response = client.post("/api/v1/inventory/movements/install", headers=admin.headers,
                           json={"item_ids": [str(unit.id)], "from_location_id": str(van.id),
                                 "subscription_id": str(sub.id),
                                 "work_order_id": str(theirs.id)})
    assert (response.status_code, response.json()["detail"]) == (
        422, "work_order_id: no such work order")
    done = movements.install(session, tenant.id, schemas.InstallIn(
        item_ids=[unit.id], from_location_id=van.id, subscription_id=sub.id,
        work_order_id=arrived.id))
    assert done[0].work_order_id == arrived.id


def test_a_technician_handles_their_own_jobs_equipment_through_the_api(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    customer = make_customer(session, tenant)
    sub = make_subscription(session, settings, tenant, customer=customer,
                            status=SubscriptionStatus.ACTIVE)
    tech, other = make_technician(session, settings, tenant), make_technician(
        session, settings, tenant, "Bola Other")
    van = make_location(session, tenant, "Van T", kind="van", owner_user_id=tech.user.id)
    units = receive_units(session, tenant, van, make_item_model(session, tenant), 2)
    mine = make_work_order(session, tenant, customer=customer, kind="repair",
                           subscription_id=sub.id)
    on_site(client, admin, tech, mine.id, day=1)
    base = f"{W}/{mine.id}/equipment"
    seen = client.get(base, headers=tech.headers).json()
    assert [i["serial"] for i in seen["installable"]] == ["SN-0001", "SN-0002"]
    assert (seen["can_install"], seen["can_take_back"]) == (True, False)
    assert client.get(base, headers=other.headers).status_code == 404  # not their job
    assert client.post(f"{base}/install", headers=other.headers,
                       json={"code": "SN-0001"}).status_code == 404
    made = client.post(f"{base}/install", headers=tech.headers, json={"code": "SN-0001"})
    assert made.status_code == 201, made.text
    assert made.json()["work_order_id"] == str(mine.id)
    back = client.post(f"{base}/take-back", headers=tech.headers, json={
        "item_id": str(units[0].id), "to_location_id": str(van.id), "faulty": True})
    assert back.status_code == 201, back.text
    seen = client.get(base, headers=tech.headers).json()
    assert [(m["kind"], m["serial"], m["faulty"], m["place"]) for m in seen["moves"]] == [
        ("install", "SN-0001", False, sub.radius_username), ("return", "SN-0001", True,
                                                             "Van T")]
    assert seen["installed"] == []
