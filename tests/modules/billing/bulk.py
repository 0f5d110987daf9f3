"""Many subscribers or overdue invoices at once, inserted in bulk (for statement counts)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing.models import BilledPeriod, Invoice, InvoiceLine
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.services.models import Plan, Subscription

JANUARY = date(2026, 1, 1)
ACTIVATED = datetime(2026, 1, 1, 9, tzinfo=UTC)


def customers(session: Session, tenant_id: uuid.UUID, count: int,
              prefix: str = "C") -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(count)]
    session.execute(insert(Customer), [{
        "id": cid, "tenant_id": tenant_id, "number": f"{prefix}{n:06d}", "status": "active",
        "first_name": "Bulk", "last_name": f"Payer {n}",
        "email": f"payer{n}@{prefix.lower()}.example"} for n, cid in enumerate(ids)])
    return ids


def subscribers(session: Session, tenant_id: uuid.UUID, plan: Plan, count: int, *,
                january_billed: bool = True) -> list[uuid.UUID]:
    """Customers with an email, each with one subscription active since Jan 1 2026."""
    owners = customers(session, tenant_id, count, prefix=f"S{uuid.uuid4().hex[:4]}")
    subs = [uuid.uuid4() for _ in owners]
    session.execute(insert(Subscription), [{
        "id": sid, "tenant_id": tenant_id, "customer_id": cid, "plan_id": plan.id,
        "status": "active", "radius_username": f"u-{sid.hex[:12]}",
        "radius_password_encrypted": "x", "status_changed_at": ACTIVATED,
        "activated_at": ACTIVATED} for sid, cid in zip(subs, owners, strict=True)])
    if january_billed:
        session.execute(insert(BilledPeriod), [{
            "id": uuid.uuid4(), "tenant_id": tenant_id, "subscription_id": sid,
            "period_start": JANUARY, "period_end": date(2026, 2, 1), "plan_id": plan.id,
            "full_price": plan.price} for sid in subs])
    return subs


def issued_invoices(session: Session, tenant_id: uuid.UUID, count: int, due: date,
                    amount: Decimal = Decimal("30.00")) -> list[uuid.UUID]:
    """One issued, unpaid invoice (one line) for each of `count` new customers."""
    owners = customers(session, tenant_id, count, prefix=f"D{uuid.uuid4().hex[:4]}")
    ids = [uuid.uuid4() for _ in owners]
    issued = due - timedelta(days=14)
    session.execute(insert(Invoice), [{
        "id": iid, "tenant_id": tenant_id, "customer_id": cid, "number": f"B-{iid.hex[:10]}",
        "status": "issued", "currency": "USD", "issue_date": issued, "due_date": due,
        "subtotal": amount, "total": amount, "issued_at": ACTIVATED}
        for iid, cid in zip(ids, owners, strict=True)])
    session.execute(insert(InvoiceLine), [{
        "id": uuid.uuid4(), "tenant_id": tenant_id, "invoice_id": iid, "kind": "subscription",
        "description": "Fibre", "unit_price": amount, "net_amount": amount,
        "gross_amount": amount} for iid in ids])
    return ids
