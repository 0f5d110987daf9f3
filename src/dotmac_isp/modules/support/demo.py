"""Demo tickets: a queue with something in every state (skipped if the tenant has tickets)."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.audit import AuditActor, set_actor
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.support import conversation, escalation, schemas, service, teams
from dotmac_isp.modules.support.enums import TicketStatus
from dotmac_isp.modules.support.models import Ticket
from dotmac_isp.modules.support.sla_schemas import TeamIn
from dotmac_isp.shared.enums import ActorType, Priority
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.shared.types import utcnow

S = TicketStatus
STORIES = [
    ("No internet since the storm", "outage", "The router shows a red LOS light."),
    ("Very slow in the evenings", "slow", "Speed tests show 3 Mbit/s after 7pm."),
    ("Charged twice this month", "billing", "Two debits of the same amount on my card."),
    ("Move my service to a new address", "installation", "We move on the 1st."),
    ("Wi-Fi drops every few minutes", "general", "Laptops lose the connection often."),
    ("Static IP request", "general", "Our CCTV needs a fixed address."),
]
# (status, priority, hours ago the ticket was opened)
PLAN = [(S.NEW, Priority.CRITICAL, 6), (S.NEW, Priority.HIGH, 1), (S.OPEN, Priority.URGENT, 30),
        (S.OPEN, Priority.NORMAL, 3), (S.PENDING_CUSTOMER, Priority.MEDIUM, 50),
        (S.PENDING_THIRD_PARTY, Priority.HIGH, 20), (S.RESOLVED, Priority.NORMAL, 72),
        (S.CLOSED, Priority.LOW, 240), (S.NEW, Priority.NORMAL, 0), (S.OPEN, Priority.HIGH, 5),
        (S.NEW, Priority.LOW, 2), (S.OPEN, Priority.MEDIUM, 12)]


def seed_tickets(session: Session, tenant: Tenant, created: list[str]) -> None:
    if session.scalar(select(func.count()).select_from(Ticket)
                      .where(Ticket.tenant_id == tenant.id)):
        return
    rng = random.Random(7)
    agents = identity_service.list_users(session, tenant.id, PageParams(limit=10)).items
    agent = next((u for u in agents if u.role.name == "support"), agents[0])
    set_actor(session, AuditActor(ActorType.USER, agent.id, agent.email))
    first_line = teams.create_team(session, tenant.id, TeamIn(name="First line"))
    teams.create_team(session, tenant.id, TeamIn(name="NOC"))
    customers = customers_service.list_customers(session, tenant.id, PageParams(limit=40)).items
    now = utcnow()
    for i, (status, priority, hours) in enumerate(PLAN):
        subject, category, story = STORIES[i % len(STORIES)]
        opened = now - timedelta(hours=hours, minutes=rng.randint(0, 50))
        ticket = service.create_ticket(session, tenant.id, schemas.TicketCreate(
            customer_id=customers[i * 3 % len(customers)].id, subject=subject,
            description=story, category=category, priority=priority,
            source=rng.choice(["portal", "phone", "email"]),
            assignee_id=agent.id if i % 3 else None, team_id=first_line.id), now=opened)
        if status == S.NEW:
            continue
        answer = "We are looking into it and will update you shortly."
        conversation.add_reply(session, tenant.id, ticket.id, schemas.ReplyIn(
            body=answer, status=None if status == S.CLOSED else status),
            now=opened + timedelta(minutes=40))
        if status == S.CLOSED:
            service.change_status(session, tenant.id, ticket.id, S.CLOSED,
                                  now=opened + timedelta(hours=5))
    escalation.check_sla(session, now, None)
    created.append(f"{len(PLAN)} support tickets")
