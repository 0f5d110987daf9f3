"""Business calendars, SLA policies and which policy a ticket gets."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.support import businesstime, sla
from dotmac_isp.modules.support.businesstime import Calendar
from dotmac_isp.modules.support.models import Ticket
from dotmac_isp.modules.support.repository import CalendarRepository, PolicyRepository
from dotmac_isp.modules.support.sla_models import BusinessCalendar, SlaPolicy
from dotmac_isp.modules.support.sla_schemas import CalendarIn, PolicyIn
from dotmac_isp.shared import references
from dotmac_isp.shared.enums import Priority
from dotmac_isp.shared.errors import Conflict
from dotmac_isp.shared.pagination import Page, PageParams

DAY_INDEX = {name: i for i, name in enumerate(businesstime.WEEKDAYS)}
DEFAULT_CALENDAR = "Office hours"
DEFAULT_POLICY = "Standard"


def to_calendar(row: BusinessCalendar) -> Calendar:
    """The pure calendar of a stored one."""
    hours = {DAY_INDEX[day]: tuple((businesstime.parse_clock(a), businesstime.parse_clock(b))
                                   for a, b in windows)
             for day, windows in (row.hours or {}).items() if day in DAY_INDEX and windows}
    holidays = frozenset(date.fromisoformat(h["date"]) for h in row.holidays or [])
    return Calendar(row.timezone, hours, holidays)


def _hours_json(data: CalendarIn) -> dict[str, list[list[str]]]:
    return {day.value: [[w.start, w.end] for w in sorted(windows, key=lambda w: w.start)]
            for day, windows in sorted(data.hours.items(), key=lambda kv: DAY_INDEX[kv[0].value])
            if windows}


def _holidays_json(data: CalendarIn) -> list[dict[str, str]]:
    unique = {h.date: h.name for h in data.holidays}
    return [{"date": d.isoformat(), "name": unique[d]} for d in sorted(unique)]


def list_calendars(session: Session, tenant_id: uuid.UUID,
                   params: PageParams) -> Page[BusinessCalendar]:
    repo = CalendarRepository(session, tenant_id)
    return repo.list(params, repo.select().order_by(BusinessCalendar.name))


def get_calendar(session: Session, tenant_id: uuid.UUID,
                 calendar_id: uuid.UUID) -> BusinessCalendar:
    return CalendarRepository(session, tenant_id).get(calendar_id)


def _unique_name(session: Session, model: type[BusinessCalendar] | type[SlaPolicy],
                 tenant_id: uuid.UUID, name: str, own_id: uuid.UUID | None) -> None:
    stmt = select(model.id).where(model.tenant_id == tenant_id, model.name == name)
    found = session.scalar(stmt)
    if found is not None and found != own_id:
        raise Conflict(f"the name {name!r} is taken")


def create_calendar(session: Session, tenant_id: uuid.UUID, data: CalendarIn) -> BusinessCalendar:
    _unique_name(session, BusinessCalendar, tenant_id, data.name, None)
    return CalendarRepository(session, tenant_id).add(BusinessCalendar(
        name=data.name, timezone=data.timezone, hours=_hours_json(data),
        holidays=_holidays_json(data)))


def update_calendar(session: Session, tenant_id: uuid.UUID, calendar_id: uuid.UUID,
                    data: CalendarIn) -> BusinessCalendar:
    """Replace the calendar. Tickets already running keep their due times until their clock
    next restarts (a pause, a resume, a priority change)."""
    row = get_calendar(session, tenant_id, calendar_id)
    _unique_name(session, BusinessCalendar, tenant_id, data.name, row.id)
    row.name, row.timezone = data.name, data.timezone
    row.hours, row.holidays = _hours_json(data), _holidays_json(data)
    session.flush()
    return row


def delete_calendar(session: Session, tenant_id: uuid.UUID, calendar_id: uuid.UUID) -> None:
    row = get_calendar(session, tenant_id, calendar_id)
    users = session.scalar(select(func.count()).select_from(SlaPolicy).where(
        SlaPolicy.tenant_id == tenant_id, SlaPolicy.calendar_id == row.id)) or 0
    if users:
        raise Conflict(f"{users} SLA polic{'y uses' if users == 1 else 'ies use'} this calendar")
    CalendarRepository(session, tenant_id).delete(row)


def list_policies(session: Session, tenant_id: uuid.UUID,
                  params: PageParams) -> Page[SlaPolicy]:
    repo = PolicyRepository(session, tenant_id)
    return repo.list(params, repo.ordered())


def get_policy(session: Session, tenant_id: uuid.UUID, policy_id: uuid.UUID) -> SlaPolicy:
    return PolicyRepository(session, tenant_id).get(policy_id)


def _apply_policy(session: Session, tenant_id: uuid.UUID, row: SlaPolicy,
                  data: PolicyIn) -> None:
    references.referenced(session, CalendarRepository(session, tenant_id).find,
                          data.calendar_id, "calendar_id", "calendar")
    _unique_name(session, SlaPolicy, tenant_id, data.name, row.id)
    row.name, row.position, row.is_active = data.name, data.position, data.is_active
    row.priorities = sorted(p.value for p in set(data.priorities))
    row.categories = data.categories
    row.customer_kinds = sorted(k.value for k in set(data.customer_kinds))
    row.calendar_id = data.calendar_id
    row.targets = {p.value: t.model_dump() for p, t in data.targets.items()}
    row.at_risk_percent = data.at_risk_percent


def create_policy(session: Session, tenant_id: uuid.UUID, data: PolicyIn) -> SlaPolicy:
    row = SlaPolicy(tenant_id=tenant_id)
    _apply_policy(session, tenant_id, row, data)
    return PolicyRepository(session, tenant_id).add(row)


def update_policy(session: Session, tenant_id: uuid.UUID, policy_id: uuid.UUID,
                  data: PolicyIn) -> SlaPolicy:
    """Change a policy; it applies to tickets opened from now on."""
    row = get_policy(session, tenant_id, policy_id)
    _apply_policy(session, tenant_id, row, data)
    session.flush()
    return row


def delete_policy(session: Session, tenant_id: uuid.UUID, policy_id: uuid.UUID) -> None:
    row = get_policy(session, tenant_id, policy_id)
    used = session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.tenant_id == tenant_id, Ticket.sla_policy_id == row.id)) or 0
    if used:
        raise Conflict(f"{used} ticket(s) were measured with this policy; deactivate it "
                       "instead (is_active: false)")
    PolicyRepository(session, tenant_id).delete(row)


def ensure_default_policy(session: Session, tenant_id: uuid.UUID) -> None:
    """A tenant without any policy gets 'Standard' (the default targets) on an 'Office hours'
    calendar (Monday to Friday 09:00-17:00 in the tenant's time zone)."""
    if session.scalar(PolicyRepository(session, tenant_id).select(SlaPolicy.id).limit(1)):
        return
    try:
        with session.begin_nested():
            _create_defaults(session, tenant_id)
    except IntegrityError:
        pass  # a concurrent first ticket of the tenant created them: use theirs


def _create_defaults(session: Session, tenant_id: uuid.UUID) -> None:
    tenant = identity_service.get_tenant(session, tenant_id)
    repo = CalendarRepository(session, tenant_id)
    calendar = session.scalars(repo.select().where(
        BusinessCalendar.name == DEFAULT_CALENDAR)).one_or_none()
    if calendar is None:
        try:
            businesstime.zone(tenant.timezone)
            timezone = tenant.timezone
        except businesstime.CalendarError:
            timezone = "UTC"
        calendar = repo.add(BusinessCalendar(
            name=DEFAULT_CALENDAR, timezone=timezone,
            hours={d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            holidays=[]))
    PolicyRepository(session, tenant_id).add(SlaPolicy(
        name=DEFAULT_POLICY, position=1000, calendar_id=calendar.id,
        targets=sla.default_targets_json(), at_risk_percent=80))


def select_policy(session: Session, tenant_id: uuid.UUID, priority: Priority, category: str,
                  customer_kind: str) -> SlaPolicy | None:
    """The first active policy, by position, whose conditions all match."""
    ensure_default_policy(session, tenant_id)
    for policy in session.scalars(PolicyRepository(session, tenant_id).ordered(active_only=True)):
        if policy.priorities and priority.value not in policy.priorities:
            continue
        if policy.categories and category not in policy.categories:
            continue
        if policy.customer_kinds and customer_kind not in policy.customer_kinds:
            continue
        return policy
    return None


def calendar_of_policy(session: Session, tenant_id: uuid.UUID,
                       policy_id: uuid.UUID | None) -> Calendar | None:
    if policy_id is None:
        return None
    policy = PolicyRepository(session, tenant_id).find(policy_id)
    if policy is None:
        return None
    return to_calendar(get_calendar(session, tenant_id, policy.calendar_id))
