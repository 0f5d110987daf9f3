"""The customer page's "at a glance" figures, gathered through each domain's service.

Each section is read only when the staff user may see it (billing:read, network:read,
support:read), so a page never shows more than the API would give the same user."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import service as billing_service
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.network.ipam import service as ipam_service
from dotmac_isp.modules.network.radius import service as radius_service
from dotmac_isp.modules.services.models import Subscription
from dotmac_isp.modules.support import service as support_service
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.units import format_bytes

P = Permission
GLANCE_LIMIT = 50  # subscriptions given online state and usage; more are listed plainly
RECENT = 5


@dataclass
class SubscriptionGlance:
    sub: Subscription
    ipv4: str | None = None
    ipv6_prefix: str | None = None
    online_sessions: int | None = None  # None: not looked up (no permission, or past limit)
    month_usage: str | None = None
    cap: str | None = None
    cap_percent: float | None = None
    capped: bool = False


@dataclass
class CustomerGlance:
    balance: Decimal | None = None
    currency: str = ""
    open_invoices: list[Any] = field(default_factory=list)
    open_total: Decimal = Decimal("0")
    payments: Sequence[Any] = ()
    tickets: Sequence[Any] = ()
    subscriptions: list[SubscriptionGlance] = field(default_factory=list)


def customer_glance(session: Session, tenant_id: uuid.UUID, principal: Any,
                    customer: Customer, subscriptions: Sequence[Subscription]) -> CustomerGlance:
    """Balance, open invoices, last payments, tickets, and each subscription's address,
    online state and usage against its cap."""
    glance = CustomerGlance(currency=customer.currency)
    if principal.has(P.BILLING_READ):
        statement = billing_service.statement(session, tenant_id, customer.id)
        glance.balance, glance.currency = statement.balance, statement.currency
        glance.open_invoices = billing_service.open_invoices_of(session, tenant_id, customer.id)
        glance.open_total = sum((i.balance_due for i in glance.open_invoices), Decimal("0"))
        glance.payments = billing_service.list_payments(
            session, tenant_id, PageParams(limit=RECENT), customer_id=customer.id).items
    if principal.has(P.SUPPORT_READ):
        glance.tickets = support_service.list_tickets(
            session, tenant_id, PageParams(limit=10), customer_id=customer.id).items
    network = principal.has(P.NETWORK_READ)
    addresses = ipam_service.current_addresses_of_subscriptions(
        session, [s.id for s in subscriptions[:GLANCE_LIMIT]]) if network else {}
    for index, sub in enumerate(subscriptions):
        item = SubscriptionGlance(sub)
        glance.subscriptions.append(item)
        if not network or index >= GLANCE_LIMIT:
            continue
        item.ipv4, item.ipv6_prefix = addresses.get((tenant_id, sub.id), (None, None))
        item.online_sessions = len(radius_service.list_sessions(
            session, tenant_id, PageParams(limit=20), online=True,
            subscription_id=sub.id).items)
        usage = radius_service.usage_for(session, tenant_id, sub.id, 1)
        item.month_usage, item.capped = format_bytes(usage.month_octets), usage.capped
        if usage.data_cap_mb:
            cap_octets = usage.data_cap_mb * 1_000_000
            item.cap = format_bytes(cap_octets)
            item.cap_percent = round(usage.month_octets / cap_octets * 100, 1)
    return glance
