"""Voucher batches a reseller bought are taken off its commission statement: a hand-computed
March with commission lines and two purchases (the total turns negative: the reseller owes),
the job run twice changes nothing, and a batch sold after its month's statement was approved
goes to the next month's draft. Both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.hotspot import service as hotspot_service
from dotmac_isp.modules.hotspot import wholesale
from dotmac_isp.modules.hotspot.models import Voucher
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.resellers import statements
from dotmac_isp.modules.resellers.models import CommissionStatement, Reseller
from tests.modules.hotspot.support import make_batch, make_voucher_plan
from tests.modules.resellers.helpers import make_reseller
from tests.modules.resellers.test_commission_statement import (
    EXPECTED,
    _march,
    _run,
    _snapshot,
)
from tests.support.factories import StaffUser
from tests.web.test_admin_pages import sign_in

D = Decimal


def _sell(session: Session, tenant: Tenant, batch_id: Any, reseller: Reseller,
          when: datetime) -> None:
    wholesale.sell_to_reseller(session, tenant.id, batch_id, reseller.id,
                               sold_by="sales@tenant-a.example", now=when)
    session.flush()


def _purchases(session: Session, settings: Settings, tenant: Tenant) -> Reseller:
    """March of the commission test, plus voucher batches bought by the same reseller."""
    reseller = _march(session, settings, tenant)
    day = make_voucher_plan(session, tenant, name="Day pass", price=D("2.50"),
                            wholesale_price=D("1.20"))
    hour = make_voucher_plan(session, tenant, name="Hour", price=D("0.50"),
                             wholesale_price=D("0.35"))
    b1 = make_batch(session, tenant, day, 50, name="B0001")
    _sell(session, tenant, b1.id, reseller, datetime(2026, 3, 10, 9, tzinfo=UTC))
    b2 = make_batch(session, tenant, hour, 8, name="B0002")
    first = hotspot_service.batch_vouchers(session, tenant.id, b2.id)[0]
    hotspot_service.revoke_voucher(session, tenant.id, first.id, reason="misprinted")
    _sell(session, tenant, b2.id, reseller, datetime(2026, 3, 31, 22, 30, tzinfo=UTC))
    # April's purchase and another reseller's are not on her March statement
    b3 = make_batch(session, tenant, day, 10, name="B0003")
    _sell(session, tenant, b3.id, reseller, datetime(2026, 4, 1, 0, 5, tzinfo=UTC))
    other = make_reseller(session, tenant, "othernet")
    b4 = make_batch(session, tenant, day, 5, name="B0004")
    _sell(session, tenant, b4.id, other, datetime(2026, 3, 15, 12, tzinfo=UTC))
    return reseller


# March's commission lines are the commission test's, total 29.98. The purchases:
#   B0001: 50 Day passes x 1.20 wholesale = 60.00 -> -60.00 (10 March)
#   B0002: 8 Hour vouchers, one revoked before the sale: 7 x 0.35 = 2.45 -> -2.45
#          (31 March 22:30 UTC, still March in the tenant's zone, UTC)
#   B0003 (1 April) and B0004 (the other reseller's) are not on it.
#   Total: 29.98 - 60.00 - 2.45 = -32.47: the reseller owes the ISP 32.47.
EXPECTED_WITH_VOUCHERS = [*EXPECTED,
                          ("voucher_batch", D("0"), D("-60.00")),
                          ("voucher_batch", D("0"), D("-2.45"))]


def _statement(session: Session, reseller: Reseller, first: date) -> CommissionStatement:
    found = session.scalars(select(CommissionStatement).where(
        CommissionStatement.reseller_id == reseller.id,
        CommissionStatement.period_start == first)).one()
    return statements.get_statement(session, found.tenant_id, found.id)


def test_march_statement_takes_off_the_batches_bought_and_a_rerun_changes_nothing(
        db: Any, session: Session, settings: Settings, tenant: Tenant, client: TestClient,
        admin: StaffUser) -> None:
    reseller = _purchases(session, settings, tenant)
    # hers, and the other reseller's (B0004 alone)
    assert _run(db, settings, date(2026, 4, 2)) == "2 draft"
    march = _statement(session, reseller, date(2026, 3, 1))
    assert [(line.kind, line.base_amount, line.amount)
            for line in march.lines] == EXPECTED_WITH_VOUCHERS
    assert [line.description for line in march.lines[-2:]] == [
        "Voucher batch B0001: 50 x 1.20", "Voucher batch B0002: 7 x 0.35"]
    assert [line.occurred_on for line in march.lines[-2:]] == [date(2026, 3, 10),
                                                              date(2026, 3, 31)]
    assert march.total == D("-32.47")

    before = _snapshot(session)
    assert _run(db, settings, date(2026, 4, 20)) == "2 draft"
    assert _snapshot(session) == before

    sign_in(client, admin.user.email, admin.password)
    page = client.get(f"/admin/resellers/statements/{march.id}")
    assert "Voucher batch B0001: 50 x 1.20" in page.text
    assert "Wavenet Networks owes Tenant A Fibre 32.47 USD" in page.text
    csv = client.get(f"/admin/resellers/statements/{march.id}/csv").text
    assert "Voucher batch B0002: 7 x 0.35" in csv and csv.rstrip().endswith("-32.47")


def test_a_batch_sold_after_its_months_statement_was_approved_goes_to_the_next_draft(
        db: Any, session: Session, settings: Settings, tenant: Tenant) -> None:
    reseller = _purchases(session, settings, tenant)
    _run(db, settings, date(2026, 4, 2))
    march = _statement(session, reseller, date(2026, 3, 1))
    statements.approve(session, tenant.id, march.id, "boss@tenant-a.example")
    session.flush()
    frozen = _snapshot(session)
    late = make_batch(session, tenant, make_voucher_plan(session, tenant, name="Week",
                                                         price=D("9.00"),
                                                         wholesale_price=D("7.00")),
                      3, name="B0005")
    # sold (by the clock) on 31 March, after March's statement was approved
    _sell(session, tenant, late.id, reseller, datetime(2026, 3, 31, 23, tzinfo=UTC))
    assert _run(db, settings, date(2026, 4, 25)) == "1 approved, 1 draft"
    assert _snapshot(session) == frozen  # March is final: B0005 is not added there

    _run(db, settings, date(2026, 5, 3))  # April
    april = _statement(session, reseller, date(2026, 4, 1))
    batches = [(line.description, line.amount) for line in april.lines
               if line.kind == "voucher_batch"]
    assert batches == [("Voucher batch B0005: 3 x 7.00", D("-21.00")),  # by when sold
                       ("Voucher batch B0003: 10 x 1.20", D("-12.00"))]
    again = _snapshot(session)
    _run(db, settings, date(2026, 5, 20))
    assert _snapshot(session) == again


def test_a_reseller_with_no_commission_rule_gets_a_statement_of_its_purchases_alone(
        db: Any, session: Session, settings: Settings, tenant: Tenant) -> None:
    reseller = make_reseller(session, tenant, "vouchersonly")
    plan = make_voucher_plan(session, tenant, price=D("1.00"), wholesale_price=D("0.80"))
    batch = make_batch(session, tenant, plan, 25, name="Kiosk")
    _sell(session, tenant, batch.id, reseller, datetime(2026, 3, 3, 8, tzinfo=UTC))
    # a voucher of the sold batch used later changes nothing already bought
    session.execute(update(Voucher).where(Voucher.batch_id == batch.id)
                    .values(state="active"))
    assert _run(db, settings, date(2026, 4, 1)) == "1 draft"
    march = _statement(session, reseller, date(2026, 3, 1))
    assert [(line.description, line.amount) for line in march.lines] == [
        ("Voucher batch Kiosk: 25 x 0.80", D("-20.00"))]
    assert march.total == D("-20.00")
