"""What the field pages share: the caller's scope, the tenant's clock, names of the people
and customers on a page, and local date-times read from forms."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Request
from sqlalchemy.orm import Session

from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.field.access import Scope, scope_of
from dotmac_isp.modules.field.models import WorkOrder
from dotmac_isp.modules.field.scheduling import can_work_orders
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.support.presenters import page_helpers, tenant_zone
from dotmac_isp.shared.pagination import PageParams

KIND_LABELS = {"installation": "Installation", "repair": "Repair", "relocation": "Relocation",
               "removal": "Removal", "site_survey": "Site survey",
               "maintenance": "Maintenance"}


def scope(request: Request) -> Scope:
    return scope_of(request.state.principal)


def helpers(session: Session, user: User) -> dict[str, Any]:
    tenant = identity_service.get_tenant(session, user.tenant_id)
    zone = tenant_zone(tenant.timezone)
    return {"current_user": user, "tenant": tenant, **page_helpers(tenant.timezone),
            "hhmm": lambda v: v.astimezone(zone).strftime("%H:%M") if v else "-",
            "kind_label": lambda k: KIND_LABELS.get(k, k), "kind_labels": KIND_LABELS}


def zone_of(session: Session, tenant_id: uuid.UUID) -> ZoneInfo:
    return tenant_zone(identity_service.get_tenant(session, tenant_id).timezone)


def today(session: Session, tenant_id: uuid.UUID, now: datetime) -> date:
    return now.astimezone(zone_of(session, tenant_id)).date()


def local_moment(day: date, clock: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, zone)


def parse_day(value: str) -> date | None:
    try:
        parsed = date.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if date(1, 1, 3) <= parsed <= date(9999, 12, 29) else None


def parse_clock(value: str) -> time | None:
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        return None


def technicians(session: Session, tenant_id: uuid.UUID) -> list[User]:
    """Active staff whose role can work orders, by name."""
    users = identity_service.list_users(session, tenant_id, PageParams(limit=200),
                                        active=True).items
    return sorted((u for u in users if can_work_orders(u)),
                  key=lambda u: (u.full_name or u.email).lower())


def people(session: Session, tenant_id: uuid.UUID, orders: list[WorkOrder]) -> dict[str, Any]:
    """The customers (one query) and the technicians (one lookup each; a page names a few)
    of these work orders."""
    customers = customers_service.customers_by_id(session, tenant_id,
                                                  list({o.customer_id for o in orders}))
    staff = {i: identity_service.get_user(session, tenant_id, i)
             for i in {o.technician_id for o in orders if o.technician_id}}
    return {"customers": customers, "staff": staff}


def map_link(order: WorkOrder) -> str:
    """An OpenStreetMap link to the coordinates, else a search for the address."""
    if order.latitude is not None and order.longitude is not None:
        lat, lon = f"{order.latitude:.6f}", f"{order.longitude:.6f}"
        return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"
    if order.address:
        return f"https://www.openstreetmap.org/search?query={quote(order.address)}"
    return ""


def geo_uri(order: WorkOrder) -> str:
    if order.latitude is None or order.longitude is None:
        return ""
    return f"geo:{order.latitude:.6f},{order.longitude:.6f}"

