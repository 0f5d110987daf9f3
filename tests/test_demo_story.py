"""The demo ISP has a past: subscribers taken on over months (some gone again), and invoices
the monthly billing run issued on past dates, each adding up to its lines plus VAT."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp import demo
from dotmac_isp.modules.billing import service as billing
from dotmac_isp.modules.billing.models import BillingRun, Invoice, InvoiceLine
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.identity.permissions import ALL_PERMISSIONS
from dotmac_isp.modules.reports.dashboard import build_dashboard
from dotmac_isp.modules.services.models import Subscription


def test_demo_charts_cover_months_and_invoices_add_up(demo_session: Session) -> None:
    session = demo_session
    tenant = session.scalars(select(Tenant).where(Tenant.slug == demo.DEMO_TENANT_SLUG)).one()
    today = billing.tenant_today(session, tenant.id)
    dash = build_dashboard(session, tenant, ALL_PERMISSIONS)

    live = [n for _, n in dash.subscribers_by_month if n > 0]
    assert len(live) >= 4, dash.subscribers_by_month
    assert live[0] < live[-1]  # the base grew over the months
    assert len([a for _, a in dash.revenue_by_month if a > 0]) >= 4, dash.revenue_by_month
    churned = session.scalars(select(Subscription.terminated_at).where(
        Subscription.tenant_id == tenant.id, Subscription.terminated_at.is_not(None))).all()
    assert len({(t.year, t.month) for t in churned if t}) >= 2  # churn happened over time too

    # the billing run issued them, on the first of past months
    runs = session.scalars(select(BillingRun.run_date).where(
        BillingRun.tenant_id == tenant.id, BillingRun.status == "completed")).all()
    past = sorted(d for d in runs if d < today.replace(day=1))
    assert len(past) >= 3 and all(d.day == 1 for d in past)
    invoices = session.scalars(select(Invoice).where(Invoice.tenant_id == tenant.id,
                                                     Invoice.number.is_not(None))).all()
    from_runs = [i for i in invoices if i.billing_run_id is not None]
    assert {i.issue_date for i in from_runs} >= set(past)
    assert len({(i.issue_date.year, i.issue_date.month) for i in invoices
                if i.issue_date is not None}) >= 4

    lines: dict[object, list[InvoiceLine]] = defaultdict(list)
    for line in session.scalars(select(InvoiceLine).where(InvoiceLine.tenant_id == tenant.id)):
        lines[line.invoice_id].append(line)
    for invoice in invoices:
        own = lines[invoice.id]
        assert own, invoice.number
        net = sum((line.net_amount for line in own), Decimal("0"))
        tax = sum((line.tax_amount for line in own), Decimal("0"))
        assert invoice.subtotal == net and invoice.tax_total == tax, invoice.number
        assert invoice.total == invoice.subtotal + invoice.tax_total, invoice.number
        # VAT at 7.5% on each line, rounded per line
        assert all(abs(line.tax_amount - line.net_amount * Decimal("0.075")) <= Decimal("0.01")
                   for line in own), invoice.number
    assert sum((i.tax_total for i in invoices), Decimal("0")) > 0
