"""Every sortable column of the console lists pages by key: following Next from the first
page, then Previous back from the last, shows each row exactly once, in the order of the
export (ties by id, NULLs last going up and first going down), and never another tenant's
rows. Sorts by plan and by priority walk their values; a plan renamed between two pages
starts the list again rather than failing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import Select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import listing as invoice_listing
from dotmac_isp.modules.customers import listing as customer_listing
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.services import listing as sub_listing
from dotmac_isp.modules.support import listing as ticket_listing
from dotmac_isp.modules.support import schemas as support_schemas
from dotmac_isp.modules.support import service as support_service
from dotmac_isp.shared import list_pages
from dotmac_isp.shared.enums import Priority
from dotmac_isp.shared.list_pages import Walk, keyset_page
from dotmac_isp.shared.listing import SortOrder, ordered
from tests.modules.billing.helpers import configure
from tests.support.customers import make_customer, make_plan, make_subscription
from tests.web.billing_support import invoice

LIMIT = 3


def _walk_both_ways(session: Session, stmt: Select[Any], sorts: dict[str, Any], tie: Any,
                    walk: Walk | None = None) -> None:
    for key in sorts:
        for param in (key, f"-{key}"):
            order = SortOrder.parse(param, sorts, key)
            expected = [r.id for r in session.scalars(ordered(stmt, sorts, order, tie))]
            pages, cursor, seen = 0, "", []
            while True:
                page = keyset_page(session, stmt, key=sorts[key], tie=tie, order=order,
                                   limit=LIMIT, cursor=cursor,
                                   walk=walk if key in ("plan", "priority") else None)
                seen += [r.id for r in page.items]
                pages += 1
                assert pages <= len(expected) + 1, param
                if not page.next_cursor:
                    break
                assert page.has_more
                cursor = page.next_cursor
            assert seen == expected, param
            back = list(page.items)
            while page.prev_cursor:
                page = keyset_page(session, stmt, key=sorts[key], tie=tie, order=order,
                                   limit=LIMIT, cursor=page.prev_cursor,
                                   walk=walk if key in ("plan", "priority") else None)
                back = [*page.items, *back]
            assert [r.id for r in back] == expected, f"{param} backwards"


def test_customers_page_by_every_column(session: Session, tenant: Tenant,
                                        other_tenant: Tenant) -> None:
    for last in ("Zeta", "alpha", "Alpha", "Mid", "alpha", "Beta", "Alpha"):
        make_customer(session, tenant, last_name=last, email="same@example.com")
    make_customer(session, tenant, kind="business", company_name="Acme Ltd", last_name="Z")
    make_customer(session, other_tenant, last_name="Alpha")
    stmt = customer_listing.customer_query(session, tenant.id, query=None, status=None,
                                           tag=None)
    _walk_both_ways(session, stmt, customer_listing.SORTS, customer_listing.TIE)


def test_subscriptions_page_by_plan_and_the_other_columns(
        session: Session, settings: Settings, tenant: Tenant, other_tenant: Tenant,
        monkeypatch: pytest.MonkeyPatch) -> None:
    plans = [make_plan(session, tenant, name=n) for n in ("Gold", "Bronze", "Silver", "Empty")]
    for n, plan in enumerate([plans[0], plans[1], plans[0], plans[2], plans[0], plans[1],
                              plans[2]]):
        make_subscription(session, settings, tenant, plan=plan,
                          radius_username=f"user{n}@isp")
    make_subscription(session, settings, other_tenant, radius_username="intruder@isp")
    stmt = sub_listing.subscription_query(session, tenant.id, username=None, status=None)
    walk = sub_listing.plan_walk(session, tenant.id)
    assert [label for _id, label in walk.steps] == ["Bronze", "Empty", "Gold", "Silver"]
    _walk_both_ways(session, stmt, sub_listing.SORTS, sub_listing.TIE, walk)
    # past a few plans the rest are read in one sorted query: the same rows in the same order
    monkeypatch.setattr(list_pages, "MAX_WALK", 1)
    _walk_both_ways(session, stmt, sub_listing.SORTS, sub_listing.TIE, walk)


def test_a_plan_renamed_between_pages_starts_the_list_again(
        session: Session, settings: Settings, tenant: Tenant) -> None:
    plan = make_plan(session, tenant, name="Gold")
    for n in range(4):
        make_subscription(session, settings, tenant, plan=plan, radius_username=f"u{n}@isp")
    stmt = sub_listing.subscription_query(session, tenant.id, username=None, status=None)
    order = SortOrder.parse("plan", sub_listing.SORTS, "plan")
    first = keyset_page(session, stmt, key=sub_listing.SORTS["plan"], tie=sub_listing.TIE,
                        order=order, limit=LIMIT, walk=sub_listing.plan_walk(session, tenant.id))
    assert first.next_cursor
    plan.name = "Platinum"
    session.flush()
    again = keyset_page(session, stmt, key=sub_listing.SORTS["plan"], tie=sub_listing.TIE,
                        order=order, limit=LIMIT, cursor=first.next_cursor,
                        walk=sub_listing.plan_walk(session, tenant.id))
    assert [s.id for s in again.items] == [s.id for s in first.items]


def test_invoices_page_with_empty_numbers_and_dates(session: Session, tenant: Tenant,
                                                    other_tenant: Tenant) -> None:
    configure(session, tenant)
    customer = make_customer(session, tenant)
    for amount in ("10.00", "25.00", "10.00", "99.99"):
        invoice(session, tenant, customer.id, amount)  # issued: number and dates
    for amount in ("5.00", "25.00", "7.50"):
        invoice(session, tenant, customer.id, amount, on=None)  # drafts: no number, no dates
    configure(session, other_tenant)
    invoice(session, other_tenant, make_customer(session, other_tenant).id, "10.00")
    stmt = invoice_listing.invoice_query(session, tenant.id, status=None, overdue=False,
                                         customer_id=None)
    _walk_both_ways(session, stmt, invoice_listing.SORTS, invoice_listing.TIE)


def test_tickets_page_by_priority_and_the_other_columns(session: Session, tenant: Tenant,
                                                        other_tenant: Tenant) -> None:
    customer = make_customer(session, tenant)
    for n, priority in enumerate([Priority.HIGH, Priority.LOW, Priority.HIGH, Priority.URGENT,
                                  Priority.NORMAL, Priority.LOW, Priority.HIGH]):
        support_service.create_ticket(session, tenant.id, support_schemas.TicketCreate(
            customer_id=customer.id, subject=f"Line down {n % 3}", description="no sync",
            priority=priority))
    support_service.create_ticket(session, other_tenant.id, support_schemas.TicketCreate(
        customer_id=make_customer(session, other_tenant).id, subject="Elsewhere",
        description="not ours", priority=Priority.HIGH))
    stmt = ticket_listing.ticket_query(session, tenant.id)
    _walk_both_ways(session, stmt, ticket_listing.SORTS, ticket_listing.TIE,
                    ticket_listing.PRIORITY_WALK)


def test_a_damaged_or_foreign_cursor_shows_the_first_page(session: Session,
                                                          tenant: Tenant) -> None:
    for last in ("A", "B", "C", "D"):
        make_customer(session, tenant, last_name=last)
    stmt = customer_listing.customer_query(session, tenant.id, query=None, status=None,
                                           tag=None)
    by_name = SortOrder.parse("name", customer_listing.SORTS, "number")
    first = keyset_page(session, stmt, key=customer_listing.SORTS["name"],
                        tie=customer_listing.TIE, order=by_name, limit=LIMIT)
    assert first.next_cursor and not first.prev_cursor
    by_email = SortOrder.parse("email", customer_listing.SORTS, "number")
    email_first = keyset_page(session, stmt, key=customer_listing.SORTS["email"],
                              tie=customer_listing.TIE, order=by_email, limit=LIMIT)
    for cursor in (first.next_cursor, "garbage", "eyJzIjoxfQ", uuid.uuid4().hex * 20):
        shown = keyset_page(session, stmt, key=customer_listing.SORTS["email"],
                            tie=customer_listing.TIE, order=by_email, limit=LIMIT,
                            cursor=cursor)
        assert [c.id for c in shown.items] == [c.id for c in email_first.items]
