"""SLA targets on real tickets, with fixed clocks and hand-computed due times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.support import conversation, escalation, presenters, schemas, service
from dotmac_isp.modules.support.enums import TicketStatus
from dotmac_isp.shared.pagination import PageParams
from tests.modules.support.factories import make_calendar, make_policy, open_ticket
from tests.support.customers import make_customer
from tests.support.factories import make_tenant

S = TicketStatus


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def office(session: Session, tenant: Tenant):  # type: ignore[no-untyped-def]
    """Monday to Friday 09:00-17:00 UTC, with the default targets."""
    return make_policy(session, tenant, make_calendar(session, tenant, name="Office"))


def test_friday_half_past_four_with_four_business_hours_is_due_monday_half_past_noon(
        session: Session, tenant: Tenant, office) -> None:  # type: ignore[no-untyped-def]
    # 20 Nov 2026 is a Friday. HIGH: first response 4h, resolution 24h.
    ticket = open_ticket(session, tenant, utc(2026, 11, 20, 16, 30), priority="high")
    assert ticket.sla_policy_id == office.id
    assert ticket.first_response_due_at == utc(2026, 11, 23, 12, 30)
    # 24h of business time is three 8h days: 30 min Friday, Mon, Tue, and 7h30 on Wednesday.
    assert ticket.resolution_due_at == utc(2026, 11, 25, 16, 30)
    # at risk after 80% of 4h = 3h12m: 30 min Friday + 2h42m Monday
    assert ticket.first_response_at_risk_at == utc(2026, 11, 23, 11, 42)


def test_a_holiday_is_skipped(session: Session, tenant: Tenant) -> None:
    calendar = make_calendar(session, tenant, holidays=["2026-11-23"])
    make_policy(session, tenant, calendar)
    ticket = open_ticket(session, tenant, utc(2026, 11, 20, 16, 30), priority="high")
    assert ticket.first_response_due_at == utc(2026, 11, 24, 12, 30)


def test_the_clock_pauses_while_the_ticket_waits_on_the_customer(
        session: Session, tenant: Tenant, office) -> None:  # type: ignore[no-untyped-def]
    ticket = open_ticket(session, tenant, utc(2026, 11, 23, 9), priority="high")
    assert ticket.first_response_due_at == utc(2026, 11, 23, 13)
    # Monday 11:00, after 2 business hours, staff ask the customer for the router's serial.
    service.change_status(session, tenant.id, ticket.id, S.PENDING_CUSTOMER,
                          now=utc(2026, 11, 23, 11))
    assert ticket.first_response_state == "paused" and ticket.first_response_due_at is None
    assert ticket.first_response_used_seconds == 2 * 3600
    paused = service.ticket_out(session, ticket, now=utc(2026, 11, 24, 16))
    assert paused.first_response.remaining_seconds == 2 * 3600  # does not shrink while paused
    # The customer answers on Tuesday 14:00: the clock resumes with 2h left -> Tuesday 16:00.
    conversation.add_customer_reply(session, tenant.id, ticket.id, "Serial is ZTE123",
                                    via="portal", now=utc(2026, 11, 24, 14))
    assert ticket.status == S.OPEN
    assert ticket.first_response_state == "running"
    assert ticket.first_response_due_at == utc(2026, 11, 24, 16)
    # resolution (24h) had 2h used: 22h more are 3h Tuesday, 8h Wednesday, 8h Thursday and
    # 3h Friday -> Friday 12:00
    assert ticket.resolution_due_at == utc(2026, 11, 27, 12)


def test_waiting_on_a_third_party_pauses_too_and_staff_resume_it(
        session: Session, tenant: Tenant, office) -> None:  # type: ignore[no-untyped-def]
    ticket = open_ticket(session, tenant, utc(2026, 11, 23, 9), priority="urgent")  # 1h / 8h
    conversation.add_reply(session, tenant.id, ticket.id, schemas.ReplyIn(
        body="We asked the fibre wholesaler.", status=S.PENDING_THIRD_PARTY),
        now=utc(2026, 11, 23, 9, 30))
    assert ticket.first_response_state == "met"
    assert ticket.resolution_state == "paused"
    assert ticket.resolution_used_seconds == 30 * 60
    service.change_status(session, tenant.id, ticket.id, S.OPEN, now=utc(2026, 11, 25, 9))
    assert ticket.resolution_due_at == utc(2026, 11, 25, 16, 30)  # 7h30 left


def test_new_york_office_hours_across_the_november_clock_change(
        session: Session, tenant: Tenant) -> None:
    make_policy(session, tenant, make_calendar(session, tenant, timezone="America/New_York"))
    # Friday 30 Oct 2026 16:00 EDT = 20:00 UTC; URGENT: 1h first response, 8h resolution.
    ticket = open_ticket(session, tenant, utc(2026, 10, 30, 20), priority="urgent")
    # The first hour ends at Friday's close, 17:00 EDT = 21:00 UTC.
    assert ticket.first_response_due_at == utc(2026, 10, 30, 21)
    # 1h Friday, then 7h from Monday 09:00 EST (14:00 UTC after the change) -> 16:00 EST,
    # which is 21:00 UTC too, though the local offset moved by an hour.
    assert ticket.resolution_due_at == utc(2026, 11, 2, 21)
    # HIGH (4h): 1h Friday, 3h Monday -> 12:00 EST = 17:00 UTC (not 16:00 as in October).
    high = open_ticket(session, tenant, utc(2026, 10, 30, 20), priority="high")
    assert high.first_response_due_at == utc(2026, 11, 2, 17)


def test_london_office_hours_across_the_march_clock_change(session: Session,
                                                          tenant: Tenant) -> None:
    make_policy(session, tenant, make_calendar(session, tenant, timezone="Europe/London"))
    # Friday 27 March 2026 16:30 GMT; clocks go forward on Sunday 29 March.
    ticket = open_ticket(session, tenant, utc(2026, 3, 27, 16, 30), priority="high")
    # 30 min Friday, 3h30 from Monday 09:00 BST -> 12:30 BST = 11:30 UTC.
    assert ticket.first_response_due_at == utc(2026, 3, 30, 11, 30)


def test_resolving_in_time_meets_the_target_and_late_stays_breached(
        session: Session, tenant: Tenant, office) -> None:  # type: ignore[no-untyped-def]
    quick = open_ticket(session, tenant, utc(2026, 11, 23, 9), priority="critical")  # 15m / 4h
    service.change_status(session, tenant.id, quick.id, S.RESOLVED, now=utc(2026, 11, 23, 9, 10))
    # resolving without a reply answers the customer too: both targets met
    assert (quick.first_response_state, quick.resolution_state) == ("met", "met")
    late = open_ticket(session, tenant, utc(2026, 11, 23, 9), priority="critical")
    service.change_status(session, tenant.id, late.id, S.RESOLVED, now=utc(2026, 11, 23, 14))
    assert (late.first_response_state, late.resolution_state) == ("breached", "breached")
    kinds = [e.kind for e in conversation.timeline_items(
        session, tenant.id, late.id, PageParams(limit=100)).items]
    assert "sla_breached" in kinds


def test_reopening_resumes_the_resolution_clock_with_the_time_already_used(
        session: Session, tenant: Tenant, office) -> None:  # type: ignore[no-untyped-def]
    ticket = open_ticket(session, tenant, utc(2026, 11, 23, 9), priority="urgent")  # 8h
    service.change_status(session, tenant.id, ticket.id, S.RESOLVED, now=utc(2026, 11, 23, 12))
    assert ticket.resolution_state == "met" and ticket.resolution_used_seconds == 3 * 3600
    conversation.add_customer_reply(session, tenant.id, ticket.id, "It broke again",
                                    via="email", now=utc(2026, 11, 24, 9))
    assert ticket.status == S.REOPENED
    assert ticket.resolution_state == "running"
    assert ticket.resolution_due_at == utc(2026, 11, 24, 14)  # 5h left


def test_a_new_priority_brings_its_targets(session: Session, tenant: Tenant,
                                           office) -> None:  # type: ignore[no-untyped-def]
    ticket = open_ticket(session, tenant, utc(2026, 11, 23, 9), priority="normal")  # 24h
    assert ticket.first_response_due_at == utc(2026, 11, 25, 17)
    service.update_ticket(session, tenant.id, ticket.id,
                          schemas.TicketUpdate(priority="critical"),  # type: ignore[arg-type]
                          now=utc(2026, 11, 23, 9, 5))
    assert ticket.first_response_target_seconds == 15 * 60
    assert ticket.first_response_due_at == utc(2026, 11, 23, 9, 15)


def test_the_first_matching_policy_applies(session: Session, tenant: Tenant,
                                           office) -> None:  # type: ignore[no-untyped-def]
    around_the_clock = make_calendar(session, tenant, name="24x7", start="00:00", end="24:00",
                                     days=("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    business = make_policy(session, tenant, around_the_clock, name="Business", position=1,
                           customer_kinds=["business"],
                           targets={"high": {"first_response_minutes": 30,
                                             "resolution_minutes": 120}})
    outages = make_policy(session, tenant, around_the_clock, name="Outages", position=2,
                          categories=["outage"])
    company = make_customer(session, tenant, kind="business", company_name="Acme Ltd")
    ticket = open_ticket(session, tenant, utc(2026, 11, 21, 10), customer=company,
                         priority="high")  # a Saturday: the 24x7 calendar counts it
    assert ticket.sla_policy_id == business.id
    assert ticket.first_response_due_at == utc(2026, 11, 21, 10, 30)
    assert ticket.resolution_due_at == utc(2026, 11, 21, 12)
    outage = open_ticket(session, tenant, utc(2026, 11, 21, 10), category="outage")
    assert outage.sla_policy_id == outages.id
    plain = open_ticket(session, tenant, utc(2026, 11, 21, 10))
    assert plain.sla_policy_id == office.id
    # normal: 24 business hours from Monday 09:00 are three 8-hour days
    assert plain.first_response_due_at == utc(2026, 11, 25, 17)


def test_a_tenant_without_policies_gets_the_defaults_in_its_time_zone(session: Session) -> None:
    lagos = make_tenant(session, "lagos-isp", timezone="Africa/Lagos")
    ticket = open_ticket(session, lagos, utc(2026, 11, 20, 15, 30), priority="critical")
    # 09:00-17:00 in Lagos is 08:00-16:00 UTC: 15 minutes from Friday 15:30 UTC is 15:45.
    assert ticket.first_response_due_at == utc(2026, 11, 20, 15, 45)
    assert ticket.first_response_target_seconds == 15 * 60
    assert ticket.resolution_target_seconds == 4 * 3600
    # 4h: 30 min on Friday, 3h30 from Monday 09:00 Lagos (08:00 UTC) -> 11:30 UTC
    assert ticket.resolution_due_at == utc(2026, 11, 23, 11, 30)


def test_what_the_pages_show_for_an_overdue_target(session: Session, tenant: Tenant,
                                                   office) -> None:  # type: ignore[no-untyped-def]
    ticket = open_ticket(session, tenant, utc(2026, 11, 23, 9), priority="critical")
    shown = service.ticket_out(session, ticket, now=utc(2026, 11, 23, 9, 12))
    assert shown.first_response.remaining_seconds == 3 * 60
    assert shown.first_response.percent_used == 80
    assert presenters.duration(shown.first_response.remaining_seconds) == "3m"
    escalation.check_sla(session, utc(2026, 11, 23, 10), None)
    late = service.ticket_out(session, ticket, now=utc(2026, 11, 23, 10))
    assert late.first_response.state == "breached"
    assert late.first_response.remaining_seconds == -45 * 60
    assert presenters.duration(late.first_response.remaining_seconds) == "overdue 45m"
    assert presenters.duration(45 * 3600) == "45h 00m"
    when = presenters.clock_formatter("Africa/Lagos")
    assert when(utc(2026, 11, 23, 9)) == "2026-11-23 10:00 WAT" and when(None) == "-"
