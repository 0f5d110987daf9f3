"""The console's global search: one box finds customers (by name, number, email, phone,
RADIUS username, IP or MAC address), invoices and tickets by number, devices by name or
IP, and equipment (a subscription's CPE) by serial or MAC, grouped, each group only for staff
who may read it."""

from __future__ import annotations

import ipaddress
import re
import uuid
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import lookup as invoice_lookup
from dotmac_isp.modules.customers import search as customer_search
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity.deps import CurrentAdmin, DbSession
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.inventory import service as inventory_service
from dotmac_isp.modules.network.devices import service as devices_service
from dotmac_isp.modules.network.radius import service as radius_service
from dotmac_isp.modules.services import service as services
from dotmac_isp.modules.support import lookup as ticket_lookup
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)
P = Permission
PER_GROUP = 10
MAX_QUERY = 200
_MAC = re.compile(r"^[0-9a-f]{2}([:\-.]?[0-9a-f]{2}){2,5}$", re.IGNORECASE)


@dataclass
class Hit:
    label: str
    detail: str
    url: str


@dataclass
class Group:
    name: str
    hits: list[Hit] = field(default_factory=list)


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _session_customers(session: Session, tenant_id: uuid.UUID, text: str) -> list[uuid.UUID]:
    """Customers whose subscriber was seen (in RADIUS accounting) at this IP or MAC address:
    dynamic addresses and MACs live there, not in IPAM."""
    ip = _address(text)
    mac = text if _MAC.match(text) else None
    if not ip and not mac:
        return []
    rows = radius_service.list_sessions(session, tenant_id, PageParams(limit=50), ip=ip,
                                        mac=mac).items
    subs = list({r.subscription_id for r in rows if r.subscription_id})
    return services.customers_of_subscriptions(session, tenant_id, subs)


def _customers(session: Session, tenant_id: uuid.UUID, text: str) -> Group:
    group = Group("Customers")
    found = list(customer_search.find_customers(session, tenant_id, PageParams(limit=PER_GROUP),
                                                query=text).items)
    seen = {c.id for c in found}
    extra = [i for i in _session_customers(session, tenant_id, text) if i not in seen]
    found += customers_service.customers_by_id(session, tenant_id, extra).values()
    for c in found[:PER_GROUP]:
        group.hits.append(Hit(f"{c.number} {c.display_name}",
                              " · ".join(x for x in (c.email, c.phone, c.status) if x),
                              f"/admin/customers/{c.id}"))
    return group


def _invoices(session: Session, tenant_id: uuid.UUID, text: str) -> Group:
    group = Group("Invoices")
    for inv in invoice_lookup.invoices_by_number(session, tenant_id, text, limit=PER_GROUP):
        group.hits.append(Hit(inv.number or "draft", f"{inv.status} · {inv.total} "
                              f"{inv.currency}", f"/admin/invoices/{inv.id}"))
    return group


def _devices(session: Session, tenant_id: uuid.UUID, text: str) -> Group:
    group = Group("Devices")
    page = devices_service.list_devices(session, tenant_id, PageParams(limit=PER_GROUP),
                                        query=text)
    for d in page.items:
        group.hits.append(Hit(d.name, " · ".join(x for x in (d.management_ip, d.device_type,
                                                              d.status) if x),
                              f"/admin/devices/{d.id}"))
    return group


def _tickets(session: Session, tenant_id: uuid.UUID, text: str) -> Group:
    group = Group("Tickets")
    for t in ticket_lookup.tickets_by_number(session, tenant_id, text, limit=PER_GROUP):
        group.hits.append(Hit(t.number, f"{t.status} · {t.subject}",
                              f"/admin/support/tickets/{t.id}"))
    return group


def _equipment(session: Session, tenant_id: uuid.UUID, text: str) -> Group:
    """Equipment by serial or MAC (any written form); installed equipment leads to the
    subscription it is installed at."""
    group = Group("Equipment")
    for item, model in inventory_service.find_equipment(session, tenant_id, text, PER_GROUP):
        detail = " · ".join(x for x in (item.serial, item.mac, item.state.replace("_", " "))
                            if x)
        if item.subscription_id is not None:
            sub = services.get_subscription(session, tenant_id, item.subscription_id)
            group.hits.append(Hit(f"{sub.radius_username} ({model.name})", detail,
                                  f"/admin/subscriptions/{sub.id}"))
        else:
            group.hits.append(Hit(model.name, detail, f"/admin/inventory/items/{item.id}"))
    return group


def search_everything(session: Session, user: User, principal: object, text: str,
                      ) -> list[Group]:
    """The groups this staff user may read, each searched for the text."""
    checks = [(P.CUSTOMERS_READ, _customers), (P.BILLING_READ, _invoices),
              (P.NETWORK_READ, _devices), (P.SUPPORT_READ, _tickets),
              (P.INVENTORY_READ, _equipment)]
    return [find(session, user.tenant_id, text) for permission, find in checks
            if principal.has(permission)]  # type: ignore[attr-defined]


@router.get("/search", response_class=HTMLResponse)
def global_search(request: Request, session: DbSession, user: CurrentAdmin,
                  q: str = "") -> HTMLResponse:
    """Any signed-in staff user may search; each group needs its own read permission."""
    text = " ".join(q.split())[:MAX_QUERY]
    groups = search_everything(session, user, request.state.principal, text) if text else []
    return render(request, "search.html", {
        "current_user": user, "q": text, "groups": groups,
        "total": sum(len(g.hits) for g in groups)})
