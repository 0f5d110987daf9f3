"""The subscription page's live facts: addresses, sessions, usage graph, CPE, and a history
that joins status and plan changes. Read through each domain's service, each section only
when the staff user may see it (network:read for addresses, sessions and usage)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session

from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.inventory import service as inventory_service
from dotmac_isp.modules.network.devices import chart
from dotmac_isp.modules.network.ipam import service as ipam_service
from dotmac_isp.modules.network.radius import service as radius_service
from dotmac_isp.modules.services import catalogue, service
from dotmac_isp.modules.services.models import Subscription
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.units import format_bytes

USAGE_DAYS = 30


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    kind: str  # "status" or "plan"
    change: str
    reason: str
    actor: str


@dataclass
class SubscriptionGlance:
    customer: Any
    history: list[HistoryEntry]
    network: bool = False
    ipv4: str | None = None
    ipv6_address: str | None = None
    ipv6_prefix: str | None = None
    sessions: Sequence[Any] = ()
    last_mac: str | None = None
    last_seen_at: datetime | None = None
    usage_chart: Markup | None = None
    month_usage: str = ""
    cap: str | None = None
    cap_percent: float | None = None
    capped: bool = False
    nas_names: dict[uuid.UUID, str] = field(default_factory=dict)
    cpe: Sequence[Any] = ()  # equipment installed at the subscription


def history_of(session: Session, tenant_id: uuid.UUID, sub: Subscription) -> list[HistoryEntry]:
    """Status changes and plan changes in one timeline, newest first."""
    entries = [HistoryEntry(h.effective_at, "status",
                            f"{h.from_status or 'new'} → {h.to_status}", h.reason, h.actor_label)
               for h in service.history(session, tenant_id, sub.id, PageParams(limit=200)).items]
    changes = service.plan_changes(session, tenant_id, sub.id)
    names: dict[uuid.UUID, str] = {}
    for plan_id in {c.old_plan_id for c in changes} | {c.new_plan_id for c in changes}:
        names[plan_id] = catalogue.get_plan(session, tenant_id, plan_id).name
    entries += [HistoryEntry(c.effective_at, "plan",
                             f"plan {names[c.old_plan_id]} → {names[c.new_plan_id]}", c.reason,
                             c.actor_label) for c in changes]
    return sorted(entries, key=lambda e: e.at, reverse=True)


def _usage(glance: SubscriptionGlance, session: Session, tenant_id: uuid.UUID,
           sub: Subscription) -> None:
    usage = radius_service.usage_for(session, tenant_id, sub.id, USAGE_DAYS)
    start = datetime.combine(usage.start_date, time(), UTC)
    end = datetime.combine(usage.end_date, time(), UTC)
    down = [(datetime.combine(d.usage_date, time(), UTC), float(d.output_octets))
            for d in usage.days]
    up = [(datetime.combine(d.usage_date, time(), UTC), float(d.input_octets))
          for d in usage.days]
    glance.usage_chart = chart.line_chart(
        [chart.Series("download", "#067647", down, fill=True),
         chart.Series("upload", "#0b5cad", up)],
        title=f"Daily usage, last {USAGE_DAYS} days", start=start, end=end,
        formatter=format_bytes, chart_id="usage-chart")
    glance.month_usage, glance.capped = format_bytes(usage.month_octets), usage.capped
    if usage.data_cap_mb:
        cap_octets = usage.data_cap_mb * 1_000_000
        glance.cap = format_bytes(cap_octets)
        glance.cap_percent = round(usage.month_octets / cap_octets * 100, 1)


def subscription_glance(session: Session, tenant_id: uuid.UUID, principal: Any,
                        sub: Subscription) -> SubscriptionGlance:
    glance = SubscriptionGlance(
        customer=customers_service.get_customer(session, tenant_id, sub.customer_id),
        history=history_of(session, tenant_id, sub),
        cpe=inventory_service.cpe_of_subscription(session, tenant_id, sub.id))
    if not principal.has(Permission.NETWORK_READ):
        return glance
    glance.network = True
    addresses = ipam_service.subscription_addresses(session, tenant_id, sub.id)
    glance.ipv4, glance.ipv6_address = addresses.ipv4_address, addresses.ipv6_address
    glance.ipv6_prefix = addresses.ipv6_delegated_prefix
    glance.sessions = radius_service.list_sessions(
        session, tenant_id, PageParams(limit=20), online=True, subscription_id=sub.id).items
    last = radius_service.list_sessions(session, tenant_id, PageParams(limit=1),
                                        subscription_id=sub.id).items
    if last:
        glance.last_mac, glance.last_seen_at = last[0].callingstationid, last[0].acctstarttime
    _usage(glance, session, tenant_id, sub)
    return glance
