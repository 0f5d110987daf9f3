"""Demo work orders: checklists, installations waiting on the technician today and tomorrow,
a repair from a ticket, a finished survey and one not yet scheduled (skipped if the tenant
has work orders)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.field import checklists, scheduling, schemas, service
from dotmac_isp.modules.field.access import whole_tenant
from dotmac_isp.modules.field.enums import WorkOrderStatus
from dotmac_isp.modules.field.models import WorkOrder
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.audit import AuditActor, set_actor
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.services import service as services_service
from dotmac_isp.modules.support import service as support_service
from dotmac_isp.shared.enums import ActorType
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.shared.types import utcnow

S = WorkOrderStatus
CHECKLISTS = {
    "installation": [("Mount the ONT and power supply", True),
                     ("Light level better than -25 dBm", True),
                     ("Router online, speed test at the plan's speed", True),
                     ("Show the customer the Wi-Fi name and password", False)],
    "repair": [("Find and fix the fault", True), ("Speed test after the fix", True)],
    "removal": [("Collect the ONT and router", True), ("Take the drop cable down", False)],
}


def seed_work_orders(session: Session, tenant: Tenant, created: list[str]) -> None:
    if session.scalar(select(func.count()).select_from(WorkOrder)
                      .where(WorkOrder.tenant_id == tenant.id)):
        return
    staff = identity_service.list_users(session, tenant.id, PageParams(limit=50)).items
    technician = next((u for u in staff if u.role.name == "technician"), None)
    desk = next((u for u in staff if u.role.name == "support"), None)
    if technician is None or desk is None:
        return
    set_actor(session, AuditActor(ActorType.USER, desk.id, desk.email))
    for kind, items in CHECKLISTS.items():
        checklists.set_template(session, tenant.id, schemas.ChecklistTemplateIn.model_validate(
            {"kind": kind, "items": [{"label": label, "required": required}
                                     for label, required in items]}))
    pending = services_service.list_subscriptions(session, tenant.id, PageParams(limit=3),
                                                  status="pending").items
    customers = customers_service.list_customers(session, tenant.id, PageParams(limit=10)).items
    tickets = support_service.list_tickets(session, tenant.id, PageParams(limit=1)).items
    zone = ZoneInfo(tenant.timezone)
    today = utcnow().astimezone(zone).date()

    def at(days: int, hour: int, hours: int = 2) -> tuple[datetime, datetime]:
        start = datetime.combine(today + timedelta(days=days), time(hour), zone)
        return start, start + timedelta(hours=hours)

    def book(order: WorkOrder, window: tuple[datetime, datetime]) -> None:
        scheduling.schedule(session, whole_tenant(tenant.id), order.id, schemas.ScheduleIn(
            technician_id=technician.id, window_start=window[0], window_end=window[1]))

    made = 0
    for n, sub in enumerate(pending[:2]):
        order = service.create_work_order(session, tenant.id, schemas.WorkOrderCreate(
            kind="installation", customer_id=sub.customer_id, subscription_id=sub.id,
            description="Fibre drop to the house; ONT in the hall, router in the living room.",
            duration_minutes=120))
        book(order, at(n, 9))
        made += 1
    if tickets:
        ticket = tickets[0]
        repair = service.create_work_order(session, tenant.id, schemas.WorkOrderCreate(
            kind="repair", customer_id=ticket.customer_id, ticket_id=ticket.id,
            description=f"From ticket {ticket.number}: {ticket.subject}"))
        book(repair, at(0, 13))
        made += 1
    if customers:
        survey = service.create_work_order(session, tenant.id, schemas.WorkOrderCreate(
            kind="site_survey", customer_id=customers[0].id,
            description="Line of sight to the tower for a wireless link."))
        book(survey, at(-1, 10))
        for target in (S.EN_ROUTE, S.ON_SITE, S.DONE):
            service.change_status(session, whole_tenant(tenant.id), survey.id, target,
                                  note="clear line of sight" if target == S.DONE else "")
        service.create_work_order(session, tenant.id, schemas.WorkOrderCreate(
            kind="relocation", customer_id=customers[-1].id,
            description="Moving house on the 1st; the service moves with them."))
        made += 2
    created.append(f"{made} work orders")
