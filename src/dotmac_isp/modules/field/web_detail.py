"""The work order's page, rendered fresh or after a refused form with its errors."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.field import checklists, files, sections, service
from dotmac_isp.modules.field.models import WorkOrder
from dotmac_isp.modules.field.web_common import helpers, people, scope, technicians, zone_of
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.services import service as services
from dotmac_isp.modules.support import teams
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.shared.types import utcnow
from dotmac_isp.web.forms import FormErrors
from dotmac_isp.web.templating import render


def schedule_defaults(session: Session, user: User, order: WorkOrder) -> dict[str, str]:
    """The schedule form's values: the current window, else tomorrow from 09:00."""
    zone = zone_of(session, user.tenant_id)
    if order.window_start is not None and order.window_end is not None:
        start, end = order.window_start.astimezone(zone), order.window_end.astimezone(zone)
    else:
        tomorrow = utcnow().astimezone(zone).date() + timedelta(days=1)
        start = datetime.combine(tomorrow, time(9), zone)
        end = start + timedelta(minutes=max(order.duration_minutes, 60))
    return {"day": start.date().isoformat(), "start": f"{start:%H:%M}", "end": f"{end:%H:%M}",
            "technician_id": str(order.technician_id or ""),
            "team_id": str(order.team_id or ""),
            "duration_minutes": str(order.duration_minutes)}


def detail_page(request: Request, session: Session, user: User, order_id: uuid.UUID, *,
                errors: FormErrors | None = None, form: dict[str, Any] | None = None,
                status_code: int = 422) -> HTMLResponse:
    """The work order's page; after a refused form, with its errors beside the fields."""
    order = service.get_work_order(session, scope(request), order_id)
    customer = customers_service.get_customer(session, user.tenant_id, order.customer_id)
    subs = services.subscription_labels(session, user.tenant_id, [order.subscription_id]) \
        if order.subscription_id else {}
    return render(request, "field/detail.html", {
        **helpers(session, user), **people(session, user.tenant_id, [order]), "order": order,
        "customer": customer, "sub_labels": subs,
        "checklist": checklists.items_of(session, scope(request), order.id),
        "notes": files.list_notes(session, scope(request), order.id,
                                  PageParams(limit=200)).items,
        "attachments": files.list_attachments(session, scope(request), order.id,
                                              PageParams(limit=200)).items,
        "history": service.list_history(session, scope(request), order.id,
                                        PageParams(limit=200)).items,
        "next_statuses": service.next_statuses(order),
        "sections": sections.for_page(session, request.state.principal, order, "detail"),
        "technicians": technicians(session, user.tenant_id),
        "teams": teams.list_teams(session, user.tenant_id, PageParams(limit=200)).items,
        "schedule": schedule_defaults(session, user, order),
        "errors": errors or [], "form": {k: v for k, v in (form or {}).items()
                                         if isinstance(v, str)}},
        status_code=status_code if errors else 200)


