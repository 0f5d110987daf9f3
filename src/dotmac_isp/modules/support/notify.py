"""Emails about tickets, through the notifications module. Replies by email come back to the
ticket through the thread tag (the ticket's reply token)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.notifications import service as notifications
from dotmac_isp.modules.support.models import Ticket
from dotmac_isp.modules.support.repository import TeamRepository
from dotmac_isp.shared.errors import AppError

log = logging.getLogger(__name__)
RELATED = "ticket"


def context(session: Session, ticket: Ticket, settings: Settings | None, *,
            for_staff: bool) -> dict[str, Any]:
    tenant = identity_service.get_tenant(session, ticket.tenant_id)
    customer = customers_service.get_customer(session, ticket.tenant_id, ticket.customer_id)
    base = settings.public_url.rstrip("/") if settings else ""
    path = f"/admin/support/tickets/{ticket.id}" if for_staff else \
        f"/portal/{tenant.slug}/tickets/{ticket.id}"
    return {
        "tenant": {"name": tenant.name},
        "customer": {"name": customer.display_name, "number": customer.number,
                     "email": customer.email},
        "ticket": {"number": ticket.number, "subject": ticket.subject, "status": ticket.status,
                   "priority": ticket.priority, "category": ticket.category,
                   "url": f"{base}{path}" if base else ""},
    }


def customer_address(session: Session, ticket: Ticket) -> str | None:
    customer = customers_service.get_customer(session, ticket.tenant_id, ticket.customer_id)
    if customer.email:
        return customer.email
    primary = [c.email for c in customer.contacts if c.email]
    return primary[0] if primary else None


def wants_outage_notices(session: Session, ticket: Ticket) -> bool:
    """Whether the customer takes outage notices (their notify_outages choice)."""
    customer = customers_service.get_customer(session, ticket.tenant_id, ticket.customer_id)
    return bool(customer.notify_outages)


def staff_addresses(session: Session, ticket: Ticket) -> list[str]:
    """The assignee, else the team's address."""
    if ticket.assignee_id is not None:
        user = identity_service.get_user(session, ticket.tenant_id, ticket.assignee_id)
        if user.is_active:
            return [user.email]
    if ticket.team_id is not None:
        team = TeamRepository(session, ticket.tenant_id).find(ticket.team_id)
        if team is not None and team.email:
            return [team.email]
    return []


def _send(session: Session, ticket: Ticket, event_key: str, to: str, ctx: dict[str, Any],
          settings: Settings | None, *, thread: bool) -> None:
    try:
        notifications.send(session, ticket.tenant_id, event_key, to, ctx,
                           mail=settings.mail if settings else None,
                           thread=ticket.reply_token if thread else None,
                           related_type=RELATED, related_id=ticket.id)
    except AppError as exc:  # a bad stored address must not block the ticket change
        log.warning("ticket notification not queued", extra={
            "ticket": ticket.number, "event": event_key, "reason": exc.detail})


def _to_customer(session: Session, ticket: Ticket, event_key: str, body: str, author: str,
                 settings: Settings | None) -> None:
    to = customer_address(session, ticket)
    if to is None:
        return
    ctx = context(session, ticket, settings, for_staff=False)
    ctx["message"] = {"body": body, "author": author}
    _send(session, ticket, event_key, to, ctx, settings, thread=True)


def ticket_created(session: Session, ticket: Ticket, body: str,
                   settings: Settings | None) -> None:
    _to_customer(session, ticket, "support.ticket_created", body, "", settings)


def ticket_replied(session: Session, ticket: Ticket, body: str, author: str,
                   settings: Settings | None) -> None:
    _to_customer(session, ticket, "support.ticket_replied", body, author, settings)


def ticket_resolved(session: Session, ticket: Ticket, body: str,
                    settings: Settings | None) -> None:
    _to_customer(session, ticket, "support.ticket_resolved", body, "", settings)


def customer_replied(session: Session, ticket: Ticket, body: str, author: str,
                     settings: Settings | None) -> None:
    ctx = context(session, ticket, settings, for_staff=True)
    ctx["message"] = {"body": body, "author": author}
    for to in staff_addresses(session, ticket):
        _send(session, ticket, "support.ticket_customer_replied", to, ctx, settings,
              thread=False)


def escalated(session: Session, ticket: Ticket, recipients: list[str],
              escalation: dict[str, Any], settings: Settings | None) -> None:
    ctx = context(session, ticket, settings, for_staff=True)
    ctx["escalation"] = escalation
    for to in recipients:
        _send(session, ticket, "support.ticket_escalated", to, ctx, settings, thread=False)
