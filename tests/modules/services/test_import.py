"""Moving running subscriptions in from another system: the CSV import over the API, and what
the billing run does with them afterwards (amounts computed by hand; prepaid, billing day 1,
no tax, unless a test says otherwise)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import run
from dotmac_isp.modules.billing.models import BilledPeriod, Invoice
from dotmac_isp.modules.billing.proration import add_months
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.ipam import service as ipam_service
from dotmac_isp.modules.services import importing
from dotmac_isp.modules.services import service as services
from dotmac_isp.modules.services.models import Subscription, SubscriptionStatusChange
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.shared.types import utcnow
from tests.conftest import RollbackDatabase
from tests.modules.billing.helpers import configure
from tests.modules.network.ipam.factories import make_pool
from tests.support.customers import make_customer, make_plan
from tests.support.factories import StaffUser

HEADER = "customer,plan,radius_username,radius_password,started_on,next_billing_on,status\n"


def post(client: TestClient, admin: StaffUser, text: str, *, dry_run: bool = False,
         multipart: bool = True) -> Any:
    params = {"dry_run": str(dry_run).lower()}
    if multipart:
        return client.post("/api/v1/subscriptions/import", params=params,
                           headers=admin.headers,
                           files={"file": ("subs.csv", text.encode(), "text/csv")})
    return client.post("/api/v1/subscriptions/import", params=params, content=text.encode(),
                       headers={**admin.headers, "Content-Type": "text/csv"})


def subs_of(session: Session, tenant: Tenant) -> list[Subscription]:
    session.expire_all()
    return list(session.scalars(select(Subscription).where(Subscription.tenant_id == tenant.id)
                                .order_by(Subscription.radius_username)))


def invoice_totals(session: Session, customer: Customer) -> list[Decimal]:
    session.expire_all()
    return [i.total for i in session.scalars(select(Invoice).where(
        Invoice.customer_id == customer.id).order_by(Invoice.created_at))]


def first_of_next_month(day: date) -> date:
    return add_months(day.replace(day=1), 1)


def three_customers(session: Session, tenant: Tenant) -> tuple[list[Customer], str]:
    """Three customers on plans of 30.00, 45.50 and 19.99, started a year ago, billed here
    from the first of next month; the CSV names them by number, email and number."""
    configure(session, tenant)
    today = utcnow().date()
    started, first = today - timedelta(days=365), first_of_next_month(today)
    prices = ["30.00", "45.50", "19.99"]
    plans = [make_plan(session, tenant, name=f"Home {p}", price=Decimal(p)) for p in prices]
    people = [make_customer(session, tenant, email=f"p{n}@home.example") for n in range(3)]
    keys = [people[0].number, "P1@home.example", people[2].number]
    text = HEADER + "".join(
        f"{keys[n]},{plans[n].name},user{n},secret{n}pw,{started},{first},active\n"
        for n in range(3))
    return people, text


def test_imported_services_bill_nothing_before_next_billing_on_then_one_period_each(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant, db: RollbackDatabase) -> None:
    people, text = three_customers(session, tenant)
    response = post(client, admin, text)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["failed"], body["duplicates"]) == (3, 0, 0)
    assert [line["status"] for line in body["lines"]] == ["ok"] * 3
    subs = subs_of(session, tenant)
    today = utcnow().date()
    first = first_of_next_month(today)
    assert [(s.status, s.billing_start_date) for s in subs] == [("active", first)] * 3
    assert subs[0].activated_at is not None
    assert subs[0].activated_at.date() == today - timedelta(days=365)
    creds = services.credentials(session, settings, tenant.id, subs[1].id)
    assert (creds.radius_username, creds.radius_password) == ("user1", "secret1pw")
    # activation produced no first invoice or setup fee, and the customers became active
    assert all(invoice_totals(session, c) == [] for c in people)
    assert {c.status for c in session.scalars(select(Customer).where(
        Customer.id.in_([c.id for c in people])))} == {"active"}

    today_run = run.run(db, tenant.id, today)  # type: ignore[arg-type]
    assert (today_run.periods_billed, today_run.invoices_created) == (0, 0)
    assert all(invoice_totals(session, c) == [] for c in people)

    due = run.run(db, tenant.id, first)  # type: ignore[arg-type]
    assert (due.periods_billed, due.invoices_issued) == (3, 3)
    assert [invoice_totals(session, c) for c in people] == [
        [Decimal("30.00")], [Decimal("45.50")], [Decimal("19.99")]]
    periods = session.scalars(select(BilledPeriod.period_start).where(
        BilledPeriod.subscription_id.in_([s.id for s in subs]))).all()
    assert periods == [first] * 3
    again = run.run(db, tenant.id, first)  # type: ignore[arg-type]
    assert again.periods_billed == 0


def test_next_billing_on_inside_a_period_bills_the_days_from_it(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant,
        db: RollbackDatabase) -> None:
    configure(session, tenant)
    plan = make_plan(session, tenant, name="Fibre 30", price=Decimal("30.00"))
    customer = make_customer(session, tenant)
    text = HEADER + f"{customer.number},{plan.name},ada,,2024-05-10,2025-06-15,active\n"
    assert post(client, admin, text).json()["created"] == 1
    assert run.run(db, tenant.id, date(2025, 6, 14)).periods_billed == 0  # type: ignore[arg-type]
    assert run.run(db, tenant.id, date(2025, 6, 15)).periods_billed == 1  # type: ignore[arg-type]
    # 15 June to 30 June: 16 of June's 30 days -> 30 x 16/30
    assert invoice_totals(session, customer) == [Decimal("16.00")]
    assert run.run(db, tenant.id, date(2025, 7, 1)).periods_billed == 1  # type: ignore[arg-type]
    assert invoice_totals(session, customer) == [Decimal("16.00"), Decimal("30.00")]


def test_postpaid_bills_the_first_period_after_it_ends(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant,
        db: RollbackDatabase) -> None:
    configure(session, tenant, mode="postpaid")
    plan = make_plan(session, tenant, name="Fibre 30", price=Decimal("30.00"))
    customer = make_customer(session, tenant)
    text = HEADER + f"{customer.number},{plan.name},ada,,2024-05-10,2025-06-01,active\n"
    assert post(client, admin, text, multipart=False).json()["created"] == 1
    assert run.run(db, tenant.id, date(2025, 6, 30)).periods_billed == 0  # type: ignore[arg-type]
    assert run.run(db, tenant.id, date(2025, 7, 1)).periods_billed == 1  # type: ignore[arg-type]
    assert invoice_totals(session, customer) == [Decimal("30.00")]


def test_dry_run_reports_every_line_and_stores_nothing(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    _people, text = three_customers(session, tenant)
    body = post(client, admin, text + "C999999,Nope,user9,,2020-01-01,2020-02-01,active\n",
                dry_run=True).json()
    assert body["dry_run"] is True and body["created"] == 0
    assert [(x["line"], x["status"]) for x in body["lines"]] == [
        (2, "ok"), (3, "ok"), (4, "ok"), (5, "error")]
    assert subs_of(session, tenant) == []


def test_bad_lines_get_clear_messages_and_good_lines_go_in(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    configure(session, tenant)
    plan = make_plan(session, tenant, name="Fibre 30", price=Decimal("30.00"))
    euro = make_plan(session, tenant, name="Euro", price=Decimal("30.00"), currency="EUR")
    c = make_customer(session, tenant)
    future = utcnow().date() + timedelta(days=3)
    n = c.number
    text = HEADER + "\n".join([
        f"{n},{plan.name},good1,,2024-01-01,2024-02-01,active",
        f"{n},{plan.name},x,,2024-01-01,2024-02-01,active",
        f"{n},{plan.name},bad2,,01/02/2024,2024-02-01,active",
        f"{n},{plan.name},bad3,,2024-03-01,2024-02-01,active",
        f"{n},{plan.name},bad4,,{future},{future},active",
        f"{n},Gold,bad5,,2024-01-01,2024-02-01,active",
        f"nobody@home.example,{plan.name},bad6,,2024-01-01,2024-02-01,active",
        f"{n},{plan.name},bad7,,2024-01-01,2024-02-01,terminated",
        f"{n},{plan.name},good1,,2024-01-01,2024-02-01,active",
        f"{n},{euro.name},bad9,,2024-01-01,2024-02-01,active",
        f"{n},{plan.name},bad10,short,2024-01-01,2024-02-01,active,extra",
    ]) + "\n"
    body = post(client, admin, text).json()
    assert (body["created"], body["failed"]) == (1, 10)
    said = {x["line"]: " ".join(x["messages"]) for x in body["lines"]}
    assert said[2] == ""
    assert "radius_username: 3 to 64" in said[3]
    assert "started_on: '01/02/2024' is not a date (YYYY-MM-DD)" in said[4]
    assert "next_billing_on: must not be before started_on" in said[5]
    assert "is in the future" in said[6]
    assert "plan: no plan named 'Gold'" in said[7]
    assert "no customer with email nobody@home.example" in said[8]
    assert "status: 'terminated' is not one of: active, suspended" in said[9]
    assert "good1 is also on line 2" in said[10]
    assert "priced in EUR" in said[11]
    assert "more values than columns" in said[12]
    assert [s.radius_username for s in subs_of(session, tenant)] == ["good1"]


def test_a_file_that_cannot_be_read_is_refused_whole(client: TestClient,
                                                      admin: StaffUser) -> None:
    wrong = post(client, admin, "customer,plan,colour\nx,y,z\n")
    assert wrong.status_code == 422 and "unknown column(s): colour" in wrong.json()["detail"]
    missing = post(client, admin, "customer,plan\nx,y\n")
    assert missing.status_code == 422 and "missing column(s)" in missing.json()["detail"]
    binary = post(client, admin, "\xff\xfe".encode("latin-1").decode("latin-1") + "x")
    assert binary.status_code == 422
    huge = client.post("/api/v1/subscriptions/import", headers=admin.headers,
                       files={"file": ("big.csv", b"x" * (21 * 1024 * 1024), "text/csv")})
    assert huge.status_code == 422 and "larger than" in huge.json()["detail"]


def test_importing_twice_changes_nothing_and_reports_duplicates(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    _people, text = three_customers(session, tenant)
    assert post(client, admin, text).json()["created"] == 3
    changes = session.scalar(select(func.count()).select_from(SubscriptionStatusChange))
    again = post(client, admin, text).json()
    assert (again["created"], again["duplicates"], again["failed"]) == (0, 3, 0)
    assert {x["status"] for x in again["lines"]} == {"duplicate"}
    assert len(subs_of(session, tenant)) == 3
    assert session.scalar(select(func.count()).select_from(SubscriptionStatusChange)) == changes


def test_another_tenants_customers_and_plans_are_not_found(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant,
        other_tenant: Tenant) -> None:
    make_customer(session, other_tenant)  # numbers are per tenant: theirs is C000002
    theirs = make_customer(session, other_tenant, email="theirs@b.example")
    their_plan = make_plan(session, other_tenant, name="B Only")
    mine = make_plan(session, tenant, name="A Plan")
    text = HEADER + (f"{theirs.number},{mine.name},stolen1,,2024-01-01,2024-02-01,active\n"
                     f"theirs@b.example,{mine.name},stolen2,,2024-01-01,2024-02-01,active\n")
    mine_c = make_customer(session, tenant)
    text += f"{mine_c.number},{their_plan.name},stolen3,,2024-01-01,2024-02-01,active\n"
    body = post(client, admin, text).json()
    assert body["failed"] == 3 and body["created"] == 0
    said = [" ".join(x["messages"]) for x in body["lines"]]
    assert f"no customer with number {theirs.number}" in said[0]
    assert "no customer with email theirs@b.example" in said[1]
    assert "no plan named 'B Only'" in said[2]
    assert subs_of(session, other_tenant) == []


def test_a_suspended_line_stays_suspended_and_keeps_its_history(
        session: Session, settings: Settings, tenant: Tenant) -> None:
    configure(session, tenant)
    make_plan(session, tenant, name="Fibre 30")
    c = make_customer(session, tenant)
    report = importing.import_subscriptions(
        session, settings, tenant.id,
        HEADER + f"{c.number},fibre 30,owes,,2024-01-01,2024-02-01,suspended\n")
    assert report.created == 1
    [sub] = subs_of(session, tenant)
    assert sub.status == "suspended" and sub.suspended_at is not None
    moves = [(h.from_status, h.to_status) for h in services.history(
        session, tenant.id, sub.id, PageParams(limit=10)).items]
    assert moves == [(None, "active"), ("active", "suspended")]


@contextmanager
def counting(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = session.get_bind().engine

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_statements_do_not_grow_with_the_number_of_lines(
        session: Session, settings: Settings, tenant: Tenant) -> None:
    configure(session, tenant)
    plan = make_plan(session, tenant, name="Fibre 30")
    customers = [make_customer(session, tenant) for _ in range(110)]
    counts = []
    for batch, (lo, hi) in enumerate([(0, 10), (10, 110)]):
        text = HEADER + "".join(f"{c.number},{plan.name},b{batch}-{i},,2024-01-01,2024-02-01,"
                                "active\n" for i, c in enumerate(customers[lo:hi]))
        with counting(session) as statements:
            report = importing.import_subscriptions(session, settings, tenant.id, text)
        assert report.created == hi - lo
        counts.append(len(statements))
    # tenant, customers, plans, usernames; then the inserts of subscriptions, their history,
    # audit entries and RADIUS change log, and the customers' lead -> active update
    assert counts[0] == counts[1], counts
    assert counts[1] <= 15, counts


def test_addresses_come_from_the_plans_pool_and_a_static_one_is_kept(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    configure(session, tenant)
    pool = make_pool(session, tenant, "100.64.0.0/24")
    plan = make_plan(session, tenant, name="Fibre 30", ipv4_pool_id=pool.id)
    bare = make_plan(session, tenant, name="No Pool")
    c = make_customer(session, tenant)
    n = c.number
    body = post(client, admin, HEADER.replace(",status", ",static_ip,status") + (
        f"{n},{plan.name},fixed,,2024-01-01,2024-02-01,100.64.0.77,active\n"
        f"{n},{plan.name},dynamic,,2024-01-01,2024-02-01,,active\n"
        f"{n},{bare.name},nopool,,2024-01-01,2024-02-01,100.64.0.9,active\n"
        f"{n},{plan.name},badip,,2024-01-01,2024-02-01,100.64.0.300,active\n")).json()
    said = {x["key"]: " ".join(x["messages"]) for x in body["lines"]}
    assert body["created"] == 2, body
    assert "has no IPv4 pool" in said["nopool"] and "is not an IP address" in said["badip"]
    by_name = {s.radius_username: s for s in subs_of(session, tenant)}
    fixed = ipam_service.subscription_addresses(session, tenant.id, by_name["fixed"].id)
    dynamic = ipam_service.subscription_addresses(session, tenant.id, by_name["dynamic"].id)
    assert fixed.ipv4_address == "100.64.0.77"
    assert dynamic.ipv4_address is not None and dynamic.ipv4_address != "100.64.0.77"
    # an address already held fails the whole file, naming the line, and stores nothing
    clash = post(client, admin, HEADER.replace(",status", ",static_ip,status") + (
        f"{n},{plan.name},second,,2024-01-01,2024-02-01,,active\n"
        f"{n},{plan.name},taken,,2024-01-01,2024-02-01,100.64.0.77,active\n"))
    assert clash.status_code == 422 and "line 3 (taken)" in clash.json()["detail"]
    assert "second" not in {s.radius_username for s in subs_of(session, tenant)}
