"""The support.check_sla job: at risk, breached, escalation by rule, exactly once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.jobs import registry
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.notifications.models import Delivery
from dotmac_isp.modules.support import conversation, escalation, rules, schemas, service, teams
from dotmac_isp.modules.support.enums import TicketStatus
from dotmac_isp.modules.support.models import TicketEvent
from dotmac_isp.modules.support.sla_models import Escalation
from dotmac_isp.modules.support.sla_schemas import RuleIn, TeamIn
from dotmac_isp.modules.support.tasks import check_sla
from tests.conftest import RollbackDatabase
from tests.modules.support.factories import make_calendar, make_policy, open_ticket
from tests.support.factories import StaffUser, make_tenant, make_user


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


MONDAY_9 = utc(2026, 11, 23, 9)


@pytest.fixture
def office(session: Session, tenant: Tenant):  # type: ignore[no-untyped-def]
    return make_policy(session, tenant, make_calendar(session, tenant, name="Office"))


def run(db: RollbackDatabase, settings: Settings, now: datetime) -> str:
    return registry.run("support.check_sla", JobContext(db, settings, now))  # type: ignore[arg-type]


def count(session: Session, model: type, **where: object) -> int:
    stmt = select(func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return int(session.scalar(stmt) or 0)


def test_the_job_is_registered() -> None:
    assert registry.get("support.check_sla").function is check_sla


def test_at_risk_then_breached_each_escalated_once_even_when_run_twice(
        db: RollbackDatabase, session: Session, settings: Settings, tenant: Tenant,
        admin: StaffUser, office) -> None:  # type: ignore[no-untyped-def]
    agent = make_user(session, settings, tenant, "support", email="agent@tenant-a.example")
    ticket = open_ticket(session, tenant, MONDAY_9, priority="high",  # first response 4h
                         assignee_id=agent.user.id)
    session.commit()

    assert "0 newly at risk" in run(db, settings, utc(2026, 11, 23, 12))  # 75% used
    # 80% of 4h is 3h12m: at 12:12 the first response is at risk
    first = run(db, settings, utc(2026, 11, 23, 12, 15))
    assert "1 newly at risk" in first and "1 escalations" in first
    again = run(db, settings, utc(2026, 11, 23, 12, 20))
    assert "0 newly at risk" in again and "0 escalations" in again
    session.expire_all()
    assert ticket.first_response_state == "at_risk"

    breached = run(db, settings, utc(2026, 11, 23, 13, 1))
    assert "1 newly breached" in breached and "1 escalations" in breached
    for _ in range(2):
        assert "0 escalations" in run(db, settings, utc(2026, 11, 23, 14))
    session.expire_all()
    assert ticket.first_response_state == "breached"
    assert count(session, Escalation, ticket_id=ticket.id) == 2
    assert count(session, TicketEvent, ticket_id=ticket.id, kind="escalated") == 2
    assert count(session, TicketEvent, ticket_id=ticket.id, kind="sla_breached") == 1
    mails = session.scalars(select(Delivery).where(
        Delivery.related_id == ticket.id, Delivery.event_key == "support.ticket_escalated"))
    assert [m.to_address for m in mails] == ["agent@tenant-a.example"] * 2


def test_a_rule_raises_the_priority_reassigns_and_tells_the_noc(
        db: RollbackDatabase, session: Session, settings: Settings, tenant: Tenant,
        admin: StaffUser, office) -> None:  # type: ignore[no-untyped-def]
    lead = make_user(session, settings, tenant, "support", email="lead@tenant-a.example")
    noc = teams.create_team(session, tenant.id, TeamIn(name="NOC", email="noc@tenant-a.example"))
    rules.create_rule(session, tenant.id, RuleIn(
        name="breach to the lead", trigger="breached", target="resolution",  # type: ignore[arg-type]
        raise_priority=True, reassign_user_id=lead.user.id, reassign_team_id=noc.id,
        notify_emails=["duty-manager@tenant-a.example"]))
    ticket = open_ticket(session, tenant, MONDAY_9, priority="critical")  # 15m / 4h
    service.change_status(session, tenant.id, ticket.id, TicketStatus.OPEN,
                          now=utc(2026, 11, 23, 9, 5))
    session.commit()
    summary = run(db, settings, utc(2026, 11, 23, 13, 30))  # both targets over
    assert "2 newly breached" in summary
    session.expire_all()
    assert ticket.priority == "critical"  # already at the top: stays
    assert ticket.assignee_id == lead.user.id and ticket.team_id == noc.id
    resolution = session.scalars(select(Escalation).where(
        Escalation.ticket_id == ticket.id, Escalation.target == "resolution")).one()
    assert resolution.rule_names == ["breach to the lead"]
    assert "reassigned to lead@tenant-a.example" in resolution.actions
    recipients = set(session.scalars(select(Delivery.to_address).where(
        Delivery.related_id == ticket.id, Delivery.event_key == "support.ticket_escalated")))
    assert {"duty-manager@tenant-a.example", "lead@tenant-a.example"} <= recipients
    # the first-response breach matched no rule: nobody was assigned then, so nobody told
    first = session.scalars(select(Escalation).where(
        Escalation.ticket_id == ticket.id, Escalation.target == "first_response")).one()
    assert first.rule_names == [] and "nobody to notify" in first.actions[-1]


def test_raising_the_priority_one_step(db: RollbackDatabase, session: Session,
                                       settings: Settings, tenant: Tenant,
                                       office) -> None:  # type: ignore[no-untyped-def]
    rules.create_rule(session, tenant.id, RuleIn(name="bump", trigger="at_risk",  # type: ignore[arg-type]
                                                 raise_priority=True))
    ticket = open_ticket(session, tenant, MONDAY_9, priority="high")
    session.commit()
    run(db, settings, utc(2026, 11, 23, 12, 30))
    run(db, settings, utc(2026, 11, 23, 12, 40))
    session.expire_all()
    assert ticket.priority == "urgent"  # once, not twice
    # the customer's targets are not shortened by an escalation
    assert ticket.first_response_target_seconds == 4 * 3600


def test_answered_paused_and_resolved_tickets_are_left_alone(
        db: RollbackDatabase, session: Session, settings: Settings, tenant: Tenant,
        admin: StaffUser, office) -> None:  # type: ignore[no-untyped-def]
    answered = open_ticket(session, tenant, MONDAY_9, priority="high")
    conversation.add_reply(session, tenant.id, answered.id, schemas.ReplyIn(body="On it"),
                           now=utc(2026, 11, 23, 9, 30))
    waiting = open_ticket(session, tenant, MONDAY_9, priority="high")
    service.change_status(session, tenant.id, waiting.id, TicketStatus.PENDING_CUSTOMER,
                          now=utc(2026, 11, 23, 9, 30))
    session.commit()
    run(db, settings, utc(2026, 11, 24, 9))
    session.expire_all()
    assert answered.first_response_state == "met"
    assert answered.resolution_state == "running"  # 24h: still inside
    assert waiting.first_response_state == "paused"
    assert count(session, Escalation) == 0


def test_one_run_covers_every_tenant(db: RollbackDatabase, session: Session,
                                     settings: Settings, tenant: Tenant) -> None:
    other = make_tenant(session, "tenant-c")
    mine = open_ticket(session, tenant, MONDAY_9, priority="critical")
    theirs = open_ticket(session, other, MONDAY_9, priority="critical")
    session.commit()
    assert run(db, settings, utc(2026, 11, 30, 9)) == \
        "2 tickets checked, 0 newly at risk, 4 newly breached, 4 escalations"
    assert count(session, Escalation, ticket_id=mine.id) == 2
    assert count(session, Escalation, ticket_id=theirs.id) == 2
    assert session.scalars(select(Escalation.tenant_id).where(
        Escalation.ticket_id == theirs.id)).first() == other.id


def test_a_backlog_larger_than_a_chunk_is_worked_through_in_one_run(
        db: RollbackDatabase, session: Session, settings: Settings, tenant: Tenant,
        admin: StaffUser, office, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(escalation, "BATCH", 3)  # a transaction per 3 tickets
    tickets = [open_ticket(session, tenant, MONDAY_9, priority="high") for _ in range(8)]
    session.commit()
    # 13:01: every first response (4 h) is overdue
    first = run(db, settings, utc(2026, 11, 23, 13, 1))
    assert "8 tickets checked" in first and "8 newly breached" in first
    assert "8 escalations" in first
    again = run(db, settings, utc(2026, 11, 23, 13, 2))
    assert again.startswith("0 tickets checked") and "0 escalations" in again
    session.expire_all()
    assert {t.first_response_state for t in tickets} == {"breached"}
    assert count(session, Escalation) == 8
