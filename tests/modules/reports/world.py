"""A known world for the dashboard and report tests: rows written directly, at fixed times."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing.models import Invoice, Payment
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.radius.models import RadAcct
from dotmac_isp.modules.services.enums import SubscriptionStatus as S
from dotmac_isp.modules.support.models import Ticket
from tests.modules.network.devices.factories import make_device
from tests.modules.network.ipam.factories import make_pool, take
from tests.support.customers import make_customer, make_plan, make_subscription

# 10:30 in Lagos (UTC+1) on 15 March 2026.
NOW = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)
TODAY = date(2026, 3, 15)


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@dataclass
class World:
    tenant: Tenant
    customer_id: uuid.UUID


def build(session: Session, settings: Settings, tenant: Tenant, *, salt: str = "a") -> World:
    """Plans, subscriptions in each state, payments, invoices, sessions, devices, a pool,
    tickets: each with times chosen around month ends and the tenant's midnight."""
    customer = make_customer(session, tenant, email=f"dash-{salt}@example.com")
    monthly = make_plan(session, tenant, price=Decimal("30.00"))
    annual = make_plan(session, tenant, price=Decimal("1200.00"), billing_cycle="annual")
    subs = [
        (S.ACTIVE, monthly, at(date(2025, 12, 3)), None),
        (S.ACTIVE, annual, at(date(2026, 1, 20)), None),
        (S.ACTIVE, monthly, at(date(2026, 3, 2)), None),  # new this month
        # 23:30 UTC on 28 Feb is 00:30 on 1 March in Lagos: new this month, not last month
        (S.ACTIVE, monthly, datetime(2026, 2, 28, 23, 30, tzinfo=UTC), None),
        (S.SUSPENDED, monthly, at(date(2026, 2, 10)), None),
        (S.TERMINATED, monthly, at(date(2025, 11, 5)), at(date(2026, 3, 10))),  # churned now
        (S.TERMINATED, annual, at(date(2025, 10, 5)), at(date(2026, 2, 10))),
        (S.PENDING, monthly, None, None),
    ]
    for status, plan, activated, terminated in subs:
        sub = make_subscription(session, settings, tenant, customer=customer, plan=plan,
                                status=status)
        sub.activated_at, sub.terminated_at = activated, terminated
    # Activation issues first invoices dated by the real clock: void them, so only this
    # world's own invoices count anywhere.
    session.execute(update(Invoice).where(Invoice.tenant_id == tenant.id).values(status="void"))
    cid = customer.id
    for n, (day, amount) in enumerate([(TODAY, "50.00"), (TODAY, "25.50"),
                                       (date(2026, 3, 1), "100.00"), (date(2026, 2, 27), "80.00"),
                                       (date(2025, 4, 10), "60.00"), (date(2025, 3, 31), "9.00")]):
        session.add(Payment(tenant_id=tenant.id, customer_id=cid, number=f"PAY-{salt}-{n}",
                            method="cash", amount=Decimal(amount), currency=tenant.currency,
                            received_on=day))
    invoices = [("overdue", date(2026, 3, 1), "100.00", "40.00"),
                ("issued", date(2026, 3, 14), "30.00", "0"),
                ("issued", TODAY, "45.00", "0"),  # due today: not overdue yet
                ("partially_paid", date(2025, 12, 1), "200.00", "50.00"),
                ("paid", date(2026, 1, 1), "70.00", "70.00"),
                ("void", date(2026, 1, 1), "20.00", "0")]
    for n, (status, due, total, paid) in enumerate(invoices):
        session.add(Invoice(tenant_id=tenant.id, customer_id=cid, number=f"INV-{salt}-{n}",
                            status=status, currency=tenant.currency, issue_date=due - timedelta(14),
                            due_date=due, subtotal=Decimal(total), total=Decimal(total),
                            amount_paid=Decimal(paid)))
    sessions = [(NOW - timedelta(hours=30), None), (NOW - timedelta(hours=2), None),
                (NOW - timedelta(minutes=10), None),
                (NOW - timedelta(hours=5), NOW - timedelta(hours=3)),
                (NOW - timedelta(hours=40), NOW - timedelta(hours=26))]
    for n, (start, stop) in enumerate(sessions):
        session.add(RadAcct(tenant_id=tenant.id, acctsessionid=f"s{n}",
                            acctuniqueid=f"{salt}{n}{uuid.uuid4().hex[:12]}", username="u",
                            nasipaddress="127.0.0.1", acctstarttime=start, acctstoptime=stop))
    for n, reach in enumerate(["down", "down", "up", "unknown"]):
        make_device(session, settings, tenant, name=f"dev-{salt}-{n}").reachability = reach
    full = make_pool(session, tenant, "10.77.0.0/29" if salt == "a" else "10.78.0.0/29",
                     name=f"small-{salt}")
    for _ in range(6):
        take(session, full)
    make_pool(session, tenant, "10.79.0.0/24" if salt == "a" else "10.80.0.0/24",
              name=f"roomy-{salt}")
    for n, (status, first, resolution) in enumerate([
            ("open", "breached", "running"), ("new", "at_risk", "at_risk"),
            ("pending_customer", "met", "paused"), ("open", "met", "running"),
            ("resolved", "met", "breached")]):
        session.add(Ticket(tenant_id=tenant.id, number=f"T-{salt}-{n}", customer_id=cid,
                           subject="x", priority="normal", status=status,
                           reply_token=uuid.uuid4().hex, first_response_state=first,
                           resolution_state=resolution))
    session.flush()
    return World(tenant, cid)
