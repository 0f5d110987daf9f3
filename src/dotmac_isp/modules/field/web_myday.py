"""The technician's day on a phone: today's jobs in order, and one job's page with the
address, a map link, the customer's phone, the checklist, status buttons, photos, the
signature and completion."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.field import checklists, files, reminders, sections, service
from dotmac_isp.modules.field.access import whole_tenant
from dotmac_isp.modules.field.enums import AttachmentKind
from dotmac_isp.modules.field.web_common import (
    geo_uri,
    helpers,
    map_link,
    parse_day,
    scope,
    today,
    zone_of,
)
from dotmac_isp.modules.identity.deps import DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.shared.types import utcnow
from dotmac_isp.web.forms import FormErrors
from dotmac_isp.web.templating import render

router = APIRouter()
P = Permission


def phone_of(customer: Any) -> str:
    if customer.phone:
        return str(customer.phone)
    phones = [c.phone for c in customer.contacts if c.phone]
    return phones[0] if phones else ""


@router.get("/my-day", response_class=HTMLResponse)
def my_day(request: Request, session: DbSession, day: str = "",
           user: User = page_permission(P.FIELD_READ)) -> HTMLResponse:
    """The signed-in person's jobs of the day (today in the tenant's zone), in order."""
    chosen = parse_day(day) if day else None
    chosen = chosen or today(session, user.tenant_id, utcnow())
    start, end = reminders.day_bounds(chosen, str(zone_of(session, user.tenant_id)))
    jobs = service.list_work_orders(session, whole_tenant(user.tenant_id),
                                    PageParams(limit=200), technician_id=user.id,
                                    starts_from=start, starts_before=end).items
    jobs = sorted(jobs, key=lambda o: (o.window_start, o.number))
    customers = customers_service.customers_by_id(session, user.tenant_id,
                                                  list({o.customer_id for o in jobs}))
    return render(request, "field/my_day.html", {
        **helpers(session, user), "jobs": jobs, "customers": customers, "day": chosen,
        "prev_day": chosen - timedelta(days=1), "next_day": chosen + timedelta(days=1),
        "phone_of": phone_of, "map_link": map_link, "geo_uri": geo_uri})


def job_page(request: Request, session: Session, user: User, order_id: uuid.UUID, *,
             errors: FormErrors | None = None, form: dict[str, Any] | None = None,
             status_code: int = 422) -> HTMLResponse:
    order = service.get_work_order(session, scope(request), order_id)
    customer = customers_service.get_customer(session, user.tenant_id, order.customer_id)
    attached = files.list_attachments(session, scope(request), order.id,
                                      PageParams(limit=200)).items
    return render(request, "field/job.html", {
        **helpers(session, user), "order": order, "customer": customer,
        "phone": phone_of(customer), "map": map_link(order), "geo": geo_uri(order),
        "checklist": checklists.items_of(session, scope(request), order.id),
        "photos": [a for a in attached if a.kind == AttachmentKind.PHOTO],
        "signature": next((a for a in reversed(attached)
                           if a.kind == AttachmentKind.SIGNATURE), None),
        "next_statuses": service.next_statuses(order), "errors": errors or [],
        "sections": sections.for_page(session, request.state.principal, order, "job"),
        "form": {k: v for k, v in (form or {}).items() if isinstance(v, str)}},
        status_code=status_code if errors else 200)


@router.get("/my-day/{order_id}", response_class=HTMLResponse)
def job(request: Request, order_id: uuid.UUID, session: DbSession,
        user: User = page_permission(P.FIELD_READ)) -> HTMLResponse:
    return job_page(request, session, user, order_id)
