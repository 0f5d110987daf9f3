"""Moving subscribers in from another system: a CSV of subscriptions that are already in
service, with their real start dates and the first day this system bills.

Every line is checked first and reported (ok, duplicate, or error with messages); bad lines
store nothing and good ones go in together in the caller's transaction, as the customer
import does. An imported subscription is active (or suspended) as of its start date without
going through activation, so no first invoice, setup fee or welcome is produced: billing
starts at next_billing_on. A line whose RADIUS username an earlier import stored for the same
customer is a duplicate, so the same file imported twice creates nothing the second time.

Reads and writes are batched: a constant number of statements per import (per thousand
lines), plus IPAM's own statements for each line that takes an address from a pool.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.services import catalogue, events, lifecycle
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.modules.services.models import Plan, Subscription, SubscriptionStatusChange
from dotmac_isp.modules.services.repository import SubscriptionRepository
from dotmac_isp.modules.services.service import generate_password
from dotmac_isp.shared import crypto
from dotmac_isp.shared.csv_import import (
    ImportReport,
    LineReport,
    LineStatus,
    build_report,
    complete_records,
    messages,
    parse_date,
)
from dotmac_isp.shared.errors import AppError, ValidationFailed
from dotmac_isp.shared.events import publish
from dotmac_isp.shared.types import utcnow

COLUMNS = ["customer", "plan", "radius_username", "radius_password", "started_on",
           "next_billing_on", "static_ip", "status"]
REQUIRED = ["customer", "plan", "radius_username", "started_on", "next_billing_on"]
IMPORTABLE = {"active": SubscriptionStatus.ACTIVE, "suspended": SubscriptionStatus.SUSPENDED}
_USERNAME = re.compile(r"^[a-z0-9._@\-]{3,64}$")
_PASSWORD = re.compile(r"^[\x21-\x7e]{6,64}$")
REASON = "imported"


@dataclass
class _Line:
    line: int
    customer_key: str
    plan_name: str
    username: str
    password: str
    started_on: date
    next_billing_on: date
    static_ip: str
    status: SubscriptionStatus
    customer: Customer | None = None
    plan: Plan | None = None


def _parse(line: int, row: dict[str, str], today: date) -> _Line:
    errors: list[str] = []
    get = row.get
    username = (get("radius_username") or "").lower()
    if not _USERNAME.match(username):
        errors.append("radius_username: 3 to 64 letters, digits or . _ @ -")
    password = get("radius_password") or ""
    if password and not _PASSWORD.match(password):
        errors.append("radius_password: 6 to 64 printable characters without spaces")
    for column in ("customer", "plan"):
        if not get(column):
            errors.append(f"{column}: required")
    dates: dict[str, date] = {}
    for column in ("started_on", "next_billing_on"):
        try:
            dates[column] = parse_date(get(column) or "", column)
        except ValueError as exc:
            errors.append(str(exc))
    started, first_billed = dates.get("started_on"), dates.get("next_billing_on")
    if started is not None and started > today:
        errors.append(f"started_on: {started} is in the future; only running services are "
                      "imported")
    if started is not None and first_billed is not None and first_billed < started:
        errors.append("next_billing_on: must not be before started_on")
    status = IMPORTABLE.get((get("status") or "active").lower())
    if status is None:
        errors.append(f"status: {get('status')!r} is not one of: active, suspended")
    static_ip = get("static_ip") or ""
    if static_ip:
        try:
            if ipaddress.ip_address(static_ip).version != 4:
                errors.append("static_ip: must be an IPv4 address")
        except ValueError:
            errors.append(f"static_ip: {static_ip!r} is not an IP address")
    if errors:
        raise ValueError("\n".join(errors))
    assert started is not None and first_billed is not None and status is not None
    return _Line(line, get("customer") or "", get("plan") or "", username, password, started,
                 first_billed, static_ip, status)


def _existing(session: Session, tenant_id: uuid.UUID,
              usernames: list[str]) -> dict[str, uuid.UUID]:
    """RADIUS username -> customer id, for usernames already in use in the tenant."""
    repo = SubscriptionRepository(session, tenant_id)
    out: dict[str, uuid.UUID] = {}
    wanted = sorted(set(usernames))
    for start in range(0, len(wanted), 1000):
        out.update({row[0]: row[1] for row in session.execute(repo.select(
            Subscription.radius_username, Subscription.customer_id).where(
            Subscription.radius_username.in_(wanted[start:start + 1000])))})
    return out


def _check(x: _Line, customer: Customer | str, plans: dict[str, Plan],
           existing: dict[str, uuid.UUID]) -> LineReport | None:
    """A report for a line that goes no further (error or duplicate), else None."""
    errors = []
    if isinstance(customer, str):
        errors.append(customer)
    plan = plans.get(x.plan_name) or plans.get(x.plan_name.lower())
    if plan is None:
        errors.append(f"plan: no plan named {x.plan_name!r}")
    if errors:
        return LineReport(line=x.line, status=LineStatus.ERROR, key=x.username,
                          messages=errors)
    assert isinstance(customer, Customer) and plan is not None
    owner = existing.get(x.username)
    if owner is not None:
        if owner == customer.id:
            return LineReport(line=x.line, status=LineStatus.DUPLICATE, key=x.username,
                              messages=[f"{x.username} is already imported"])
        errors.append(f"radius_username: {x.username} is in use by another customer")
    if customer.status == "closed":
        errors.append(f"customer: {customer.number} is closed")
    if plan.is_archived:
        errors.append(f"plan: {plan.name!r} is archived")
    if plan.currency != customer.currency:
        errors.append(f"plan: {plan.name!r} is priced in {plan.currency} but customer "
                      f"{customer.number} is billed in {customer.currency}")
    if x.static_ip and plan.ipv4_pool_id is None:
        errors.append(f"static_ip: plan {plan.name!r} has no IPv4 pool to hold the address")
    if errors:
        return LineReport(line=x.line, status=LineStatus.ERROR, key=x.username,
                          messages=errors)
    x.customer, x.plan = customer, plan
    return None


def import_subscriptions(session: Session, settings: Settings, tenant_id: uuid.UUID,
                         text: str, *, dry_run: bool = False) -> ImportReport:
    """Import running subscriptions from CSV text (first line: column names)."""
    tenant = identity_service.get_tenant(session, tenant_id)
    zone = ZoneInfo(tenant.timezone)
    today = utcnow().astimezone(zone).date()
    reports: list[LineReport] = []
    parsed: list[_Line] = []
    seen: dict[str, int] = {}
    for line, row in complete_records(text, COLUMNS, REQUIRED, reports):
        try:
            item = _parse(line, row, today)
        except ValueError as exc:
            reports.append(LineReport(line=line, status=LineStatus.ERROR,
                                      key=(row.get("radius_username") or "").lower(),
                                      messages=messages(exc)[0].split("\n")))
            continue
        if item.username in seen:
            reports.append(LineReport(line=line, status=LineStatus.ERROR, key=item.username,
                                      messages=[f"radius_username: {item.username} is also "
                                                f"on line {seen[item.username]}"]))
            continue
        seen[item.username] = line
        parsed.append(item)
    customers = customers_service.find_by_number_or_email(
        session, tenant_id, [x.customer_key for x in parsed])
    plans: dict[str, Plan] = {}
    for plan in catalogue.plans_by_id(session, tenant_id).values():
        plans[plan.name] = plan
        plans.setdefault(plan.name.lower(), plan)
    existing = _existing(session, tenant_id, [x.username for x in parsed])
    good: list[_Line] = []
    for x in parsed:
        verdict = _check(x, customers[x.customer_key], plans, existing)
        if verdict is None:
            good.append(x)
            reports.append(LineReport(line=x.line, status=LineStatus.OK, key=x.username))
        else:
            reports.append(verdict)
    if good and not dry_run:
        _store(session, settings, tenant_id, zone, good)
    return build_report(reports, dry_run=dry_run)


def _store(session: Session, settings: Settings, tenant_id: uuid.UUID, zone: ZoneInfo,
           lines: list[_Line]) -> None:
    secret = settings.secret_key.get_secret_value()
    actor = lifecycle.actor_of(session)
    now = utcnow()
    subs: list[Subscription] = []
    changes: list[SubscriptionStatusChange] = []
    placed: list[tuple[_Line, Subscription]] = []
    for x in lines:
        assert x.customer is not None and x.plan is not None
        started = datetime.combine(x.started_on, time(0), zone)
        suspended = x.status == SubscriptionStatus.SUSPENDED
        sub = Subscription(
            id=uuid.uuid4(), tenant_id=tenant_id, customer_id=x.customer.id, plan_id=x.plan.id,
            plan=x.plan, status=x.status.value, radius_username=x.username,
            radius_password_encrypted=crypto.encrypt(secret, x.password or generate_password()),
            notes="", status_changed_at=now if suspended else started, activated_at=started,
            suspended_at=now if suspended else None,
            suspend_reason="suspended when imported" if suspended else "",
            billing_start_date=x.next_billing_on)
        subs.append(sub)
        placed.append((x, sub))
        history: list[tuple[SubscriptionStatus | None, SubscriptionStatus, datetime, str]] = [
            (None, SubscriptionStatus.ACTIVE, started, REASON)]
        if suspended:
            history.append((SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED, now,
                            "suspended when imported"))
        changes.extend(SubscriptionStatusChange(
            tenant_id=tenant_id, subscription_id=sub.id,
            from_status=old.value if old else None, to_status=new.value, reason=reason,
            actor_type=actor.actor_type.value, actor_id=actor.actor_id, actor_label=actor.label,
            effective_at=when) for old, new, when, reason in history)
    session.add_all(subs)
    customers_service.activate_leads(list({x.customer.id: x.customer for x in lines
                                           if x.customer is not None}.values()),
                                     "service imported")
    session.flush()  # the history rows refer to the subscriptions: these go in first
    session.add_all(changes)
    session.flush()
    for x, sub in placed:
        _addresses(session, tenant_id, x, sub, now)


def _addresses(session: Session, tenant_id: uuid.UUID, x: _Line, sub: Subscription,
               now: datetime) -> None:
    """What activation would have given: the static address, or one from the plan's pools.
    One that cannot be had fails the whole import, naming the line."""
    plan = sub.plan
    try:
        publish(session, events.SubscriptionImported(
            tenant_id=tenant_id, occurred_at=now, subscription_id=sub.id,
            customer_id=sub.customer_id, plan_id=plan.id, ipv4_pool_id=plan.ipv4_pool_id,
            ipv6_pd_pool_id=plan.ipv6_pd_pool_id, static_ipv4=x.static_ip or None))
    except AppError as exc:
        raise ValidationFailed(f"line {x.line} ({x.username}): {exc.detail}; nothing was "
                               "imported") from exc
