"""Each report's CSV against values worked out by hand, and tenant isolation of the pages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing.models import Invoice, InvoiceLine
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.radius.models import RadAcct
from dotmac_isp.modules.reports.periods import Clock
from dotmac_isp.modules.reports.tables import run_report
from dotmac_isp.modules.services.models import Plan, Subscription
from tests.modules.reports.world import NOW, at, build
from tests.support.factories import make_tenant, make_user
from tests.web.test_admin_pages import sign_in

GST = {"name": "VAT", "rate": "7.5"}


def _world(session: Session, settings: Settings, slug: str = "rep-a",
           salt: str = "a") -> Tenant:
    tenant = make_tenant(session, slug, timezone="Africa/Lagos", currency="USD")
    world = build(session, settings, tenant, salt=salt)
    subs = {s.plan.billing_cycle: s for s in session.scalars(
        select(Subscription).where(Subscription.tenant_id == tenant.id))}
    billed = [(date(2026, 1, 5), "issued", [("monthly", "30.00"), ("annual", "1200.00")]),
              (date(2026, 1, 20), "paid", [("monthly", "10.00")]),
              (date(2026, 2, 3), "overdue", [("monthly", "30.00")]),
              (date(2026, 2, 4), "void", [("monthly", "999.00")]),
              (date(2026, 2, 5), "draft", [("monthly", "999.00")])]
    for n, (issued, status, lines) in enumerate(billed):
        net = sum((Decimal(a) for _, a in lines), Decimal(0))
        tax = (net * Decimal("0.075")).quantize(Decimal("0.01"))
        invoice = Invoice(tenant_id=tenant.id, customer_id=world.customer_id,
                          number=f"R-{salt}-{n}", status=status, currency="USD",
                          issue_date=issued, due_date=issued, subtotal=net, tax_total=tax,
                          total=net + tax, amount_paid=net + tax if status == "paid" else 0,
                          tax_summary=[{**GST, "amount": str(tax), "base": str(net)}])
        session.add(invoice)
        session.flush()
        for cycle, amount in lines:
            session.add(InvoiceLine(tenant_id=tenant.id, invoice_id=invoice.id,
                                    kind="subscription", description="x",
                                    subscription_id=subs[cycle].id, unit_price=Decimal(amount),
                                    net_amount=Decimal(amount), gross_amount=Decimal(amount)))
    for n, (user, start, down, up) in enumerate([("heavy", at(date(2026, 3, 2)), 9000, 1000),
                                                 ("heavy", at(date(2026, 3, 3)), 1000, 500),
                                                 ("light", at(date(2026, 3, 4)), 100, 50),
                                                 ("old", at(date(2026, 1, 1)), 10 ** 9, 0)]):
        session.add(RadAcct(tenant_id=tenant.id, acctsessionid=f"u{n}",
                            acctuniqueid=f"use{salt}{n}", username=user,
                            nasipaddress="127.0.0.1", acctstarttime=start,
                            acctoutputoctets=down, acctinputoctets=up))
    session.flush()
    return tenant


def _csv(session: Session, tenant: Tenant, slug: str, start: date, end: date) -> str:
    clock = Clock.of(NOW, tenant.timezone)
    return run_report(session, tenant, slug, start, end, clock).csv()


def test_report_csvs_hold_the_hand_computed_values(session: Session, settings: Settings) -> None:
    tenant = _world(session, settings)
    _world(session, settings, "rep-b", salt="b")  # a second tenant's identical rows
    names = {p.billing_cycle: p.name for p in session.scalars(
        select(Plan).where(Plan.tenant_id == tenant.id))}
    jan, mar = date(2026, 1, 1), date(2026, 3, 15)
    assert _csv(session, tenant, "revenue", jan, mar) == (
        "month,plan,net revenue (USD)\n"
        + "\n".join(sorted([f"2026-01,{names['monthly']},40.00",
                            f"2026-01,{names['annual']},1200.00"]))
        + f"\n2026-02,{names['monthly']},30.00\n")
    assert _csv(session, tenant, "aging", jan, mar) == (
        "age,invoices,amount due (USD)\n"
        "not yet due,1,45.00\n"
        "1-30 days,2,90.00\n"
        "31-60 days,1,32.25\n"  # the February invoice: 30.00 + 7.5% VAT, 40 days past due
        "61-90 days,1,1322.25\n"  # the January invoice: 1230.00 + 92.25 VAT, 69 days
        "90+ days,1,150.00\n")
    assert _csv(session, tenant, "tax", jan, mar) == (
        "month,tax,rate %,taxable base (USD),tax (USD)\n"
        "2026-01,VAT,7.5,1240.00,93.00\n"  # 92.25 on 1230.00 plus 0.75 on 10.00
        "2026-02,VAT,7.5,30.00,2.25\n")
    assert _csv(session, tenant, "churn", jan, mar) == (
        "month,live at start,activated,terminated,churn %\n"
        "2026-01,3,1,0,0.00\n"
        "2026-02,4,1,1,25.00\n"
        "2026-03,4,2,1,25.00\n")
    assert _csv(session, tenant, "usage", date(2026, 3, 1), mar) == (
        "username,sessions,download bytes,upload bytes,total bytes\n"
        "heavy,2,10000,1500,11500\n"
        "light,1,100,50,150\n"
        "u,5,0,0,0\n")  # the dashboard world's sessions, with no octets counted


def test_report_pages_csv_links_and_bad_dates(client: TestClient, session: Session,
                                              settings: Settings) -> None:
    tenant = _world(session, settings)
    other = _world(session, settings, "rep-b", salt="b")
    admin = make_user(session, settings, tenant, "admin", email="boss@rep-a.example")
    make_user(session, settings, other, "admin", email="boss@rep-b.example")
    assert sign_in(client, admin.user.email, admin.password).status_code == 303
    page = client.get("/admin/reports/usage?start=2026-01-01&end=2026-03-15")
    assert page.status_code == 200 and 'data-testid="csv-link"' in page.text
    csv = client.get("/admin/reports/usage.csv?start=2026-03-01&end=2026-03-15")
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[1] == "heavy,2,10000,1500,11500"  # not doubled by tenant B
    bad = client.get("/admin/reports/aging?start=2026-13-01&end=2026-01-01")
    assert bad.status_code == 422 and "Start date: use the form YYYY-MM-DD." in bad.text
    assert client.get("/admin/reports/nothing").status_code == 404
    assert client.get("/admin/reports", follow_redirects=False).headers["location"] == \
        "/admin/reports/revenue"


def test_reports_need_the_domain_permission(client: TestClient, session: Session,
                                            settings: Settings) -> None:
    tenant = make_tenant(session, "rep-c")
    engineer = make_user(session, settings, tenant, "network_engineer", email="n@rep-c.example")
    assert sign_in(client, engineer.user.email, engineer.password).status_code == 303
    assert client.get("/admin/reports/aging.csv").status_code == 403
    assert client.get("/admin/reports/usage.csv").status_code == 200
