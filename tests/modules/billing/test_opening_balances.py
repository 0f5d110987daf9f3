"""Opening balances imported over the API: the customer's balance equals them, the first
billing run uses an opening credit, and a repeated import changes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import opening, run
from dotmac_isp.modules.billing.models import Invoice, OpeningBalance, Payment
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.shared.types import utcnow
from tests.conftest import RollbackDatabase
from tests.modules.billing.helpers import configure
from tests.modules.services.test_import import counting
from tests.support.customers import make_customer, make_plan
from tests.support.factories import StaffUser, make_user

HEADER = "customer,amount,as_of,reference\n"


def post(client: TestClient, admin: StaffUser, text: str, **params: str) -> Any:
    return client.post("/api/v1/opening-balances/import", params=params,
                       headers=admin.headers,
                       files={"file": ("balances.csv", text.encode(), "text/csv")})


def balance(client: TestClient, admin: StaffUser, customer_id: Any) -> Decimal:
    response = client.get(f"/api/v1/customers/{customer_id}/statement", headers=admin.headers)
    assert response.status_code == 200, response.text
    return Decimal(response.json()["balance"])


def test_debts_and_credits_show_on_the_customers_balance(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    configure(session, tenant)
    owes = make_customer(session, tenant, email="owes@home.example")
    ahead = make_customer(session, tenant)
    text = HEADER + ("owes@home.example,120.50,2025-05-31,OLD-1001\n"
                     f"{ahead.number},-15.00,2025-05-31,OLD-1002\n")
    response = post(client, admin, text)
    body = response.json()
    assert response.status_code == 200 and (body["created"], body["failed"]) == (2, 0), body
    assert balance(client, admin, owes.id) == Decimal("120.50")
    assert balance(client, admin, ahead.id) == Decimal("-15.00")
    [invoice] = session.scalars(select(Invoice).where(Invoice.customer_id == owes.id))
    assert invoice.number and invoice.issue_date == date(2025, 5, 31)
    assert invoice.total == Decimal("120.50") and invoice.lines[0].kind == "opening_balance"
    [credit] = session.scalars(select(Payment).where(Payment.customer_id == ahead.id))
    assert credit.unallocated == Decimal("15.00") and credit.method == "opening_balance"
    receipt = client.get(f"/api/v1/payments/{credit.id}/receipt", headers=admin.headers)
    assert receipt.status_code == 200


def test_an_opening_credit_pays_the_first_invoice_of_the_run(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant,
        db: RollbackDatabase) -> None:
    configure(session, tenant)
    plan = make_plan(session, tenant, name="Fibre 30", price=Decimal("30.00"))
    customer = make_customer(session, tenant)
    subs = ("customer,plan,radius_username,started_on,next_billing_on\n"
            f"{customer.number},{plan.name},ada,2024-05-10,2025-06-01\n")
    imported = client.post("/api/v1/subscriptions/import", headers=admin.headers,
                           files={"file": ("s.csv", subs.encode(), "text/csv")})
    assert imported.json()["created"] == 1
    assert post(client, admin, HEADER + f"{customer.number},-10.00,2025-05-31,CR-1\n"
                ).json()["created"] == 1
    assert run.run(db, tenant.id, date(2025, 6, 1)).periods_billed == 1  # type: ignore[arg-type]
    session.expire_all()
    [invoice] = session.scalars(select(Invoice).where(Invoice.customer_id == customer.id))
    # 30.00 billed, 10.00 of it paid by the carried-over credit
    assert (invoice.total, invoice.amount_paid, invoice.status) == (
        Decimal("30.00"), Decimal("10.00"), "partially_paid")
    assert balance(client, admin, customer.id) == Decimal("20.00")


def test_importing_twice_changes_nothing_and_reports_duplicates(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    configure(session, tenant)
    c = make_customer(session, tenant)
    text = HEADER + f"{c.number},99.99,2025-05-31,OLD-1\n"
    assert post(client, admin, text).json()["created"] == 1
    again = post(client, admin, text).json()
    assert (again["created"], again["duplicates"]) == (0, 1)
    assert balance(client, admin, c.id) == Decimal("99.99")
    other = post(client, admin, HEADER + f"{c.number},5.00,2025-05-31,OLD-2\n").json()
    assert other["failed"] == 1
    assert "already has opening balance OLD-1" in other["lines"][0]["messages"][0]
    reused = post(client, admin, HEADER + f"{c.number},1.00,2025-05-31,OLD-1\n").json()
    assert "was imported for another customer or amount" in reused["lines"][0]["messages"][0]
    assert session.scalar(select(func.count()).select_from(OpeningBalance)) == 1


def test_dry_run_and_bad_lines(client: TestClient, admin: StaffUser, session: Session,
                               tenant: Tenant, other_tenant: Tenant) -> None:
    configure(session, tenant)
    c = make_customer(session, tenant)
    make_customer(session, other_tenant)
    theirs = make_customer(session, other_tenant)
    future = utcnow().date() + timedelta(days=5)
    text = HEADER + "\n".join([
        f"{c.number},10.00,2025-05-31,OK-1",
        f"{c.number},ten,2025-05-31,BAD-1",
        f"{c.number},1.005,2025-05-31,BAD-2",
        f"{c.number},0,2025-05-31,BAD-3",
        f"{c.number},10.00,{future},BAD-4",
        f"{theirs.number},10.00,2025-05-31,BAD-5",
        f"{c.number},12.00,2025-05-31,BAD-6",
        f"{c.number},10.00,31/05/2025,",
    ]) + "\n"
    body = post(client, admin, text, dry_run="true").json()
    said = {x["line"]: " ".join(x["messages"]) for x in body["lines"]}
    assert [x["status"] for x in body["lines"]] == ["ok"] + ["error"] * 7
    assert "'ten' is not a number" in said[3]
    assert "more than two decimal places" in said[4]
    assert "zero needs no opening balance" in said[5]
    assert "is in the future" in said[6]
    assert f"no customer with number {theirs.number}" in said[7]
    assert "is also on line 2" in said[8]
    assert "reference: required" in said[9] and "as_of: '31/05/2025' is not a date" in said[9]
    assert body["created"] == 0
    assert session.scalar(select(func.count()).select_from(OpeningBalance)) == 0
    assert balance(client, admin, c.id) == Decimal("0")


def test_only_billing_writers_may_import(client: TestClient, session: Session,
                                         settings: Any, tenant: Tenant) -> None:
    viewer = make_user(session, settings, tenant, "read_only")
    response = post(client, viewer, HEADER)
    assert response.status_code == 403
    subs = client.post("/api/v1/subscriptions/import", headers=viewer.headers,
                       files={"file": ("s.csv", b"customer\n", "text/csv")})
    assert subs.status_code == 403


def test_statements_do_not_grow_with_the_number_of_lines(session: Session,
                                                         tenant: Tenant) -> None:
    configure(session, tenant)
    customers = [make_customer(session, tenant) for _ in range(113)]
    counts = []
    # the first import also creates the month's number counters: measure the ones after
    for lo, hi in [(110, 113), (0, 10), (10, 110)]:
        # half debts, half credits, all dated in one month
        text = HEADER + "".join(
            f"{c.number},{'-' if (lo + i) % 2 else ''}{i + 1}.00,2025-05-31,R-{lo + i}\n"
            for i, c in enumerate(customers[lo:hi]))
        with counting(session) as statements:
            report = opening.import_opening_balances(session, tenant.id, text)
        assert report.created == hi - lo
        counts.append(len(statements))
    # tenant, customers, earlier balances, settings and three numbering counters, the
    # documents with their lines, audit and the opening-balance rows, open invoices
    assert counts[1] == counts[2], counts
    assert counts[2] <= 25, counts
