"""A voucher purchase confirmed at once by several webhook deliveries and the return page:
one voucher is issued, every caller sees that one. Committed data, real threads, PostgreSQL
(where requests really run at once; SQLite's one writer at a time proves nothing here)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from dotmac_isp.modules.hotspot import purchases
from dotmac_isp.modules.hotspot.models import (
    Voucher,
    VoucherBatch,
    VoucherPlan,
    VoucherPurchase,
)
from dotmac_isp.modules.identity.models import Role, Tenant
from dotmac_isp.modules.notifications.models import Delivery
from dotmac_isp.sdks.payments import SettledPayment
from dotmac_isp.shared.db import Database
from tests.modules.hotspot.support import make_voucher_plan
from tests.support.factories import make_tenant
from tests.support.parallel import at_once

CALLERS = 6


@dataclass
class Committed:
    database: Database
    tenant_id: uuid.UUID
    purchase_id: uuid.UUID


@pytest.fixture
def committed(engine: Engine) -> Iterator[Committed]:
    if engine.dialect.name != "postgresql":
        pytest.skip("parallel confirmations race only where writers run at once (PostgreSQL)")
    database = Database(engine)
    with database.unit_of_work() as session:
        tenant = make_tenant(session, f"buy-{uuid.uuid4().hex[:8]}")
        plan = make_voucher_plan(session, tenant, price=Decimal("2.50"), currency="USD")
        purchase = purchases.PurchaseRepository(session, tenant.id).add(VoucherPurchase(
            plan_id=plan.id, email="racer@cafe.example", amount=Decimal("2.50"),
            currency="USD", gateway="stripe", session_id="cs_test_race", status="open"))
        made = Committed(database, tenant.id, purchase.id)
    yield made
    with database.unit_of_work() as session:
        for model in (VoucherPurchase, Delivery, Voucher, VoucherBatch, VoucherPlan, Role):
            session.execute(delete(model).where(model.tenant_id == made.tenant_id))
        session.execute(delete(Tenant).where(Tenant.id == made.tenant_id))


def test_parallel_confirmations_issue_one_voucher(committed: Committed) -> None:
    settled = SettledPayment(
        reference="pi_race", succeeded=True, amount=Decimal("2.50"), currency="USD",
        metadata={purchases.MARK: str(committed.purchase_id),
                  "dotmac_tenant": str(committed.tenant_id)})

    def confirm(_n: int) -> str:
        try:
            with committed.database.unit_of_work() as session:
                found, outcome = purchases.fulfil(session, None, committed.tenant_id, settled)
                return f"{outcome} {found.voucher_id if found else None}"
        except Exception as exc:  # reported below with the others
            return f"{type(exc).__name__}: {exc}"

    outcomes = at_once(CALLERS, confirm)
    issued = [o for o in outcomes if o.startswith("voucher issued ")]
    assert len(issued) == 1, outcomes
    voucher_id = issued[0].removeprefix("voucher issued ")
    assert sorted(outcomes) == sorted(
        [issued[0]] + [f"voucher already issued {voucher_id}"] * (CALLERS - 1)), outcomes
    with committed.database.unit_of_work(write=False) as session:
        vouchers = session.scalars(select(Voucher).where(
            Voucher.tenant_id == committed.tenant_id)).all()
        assert [str(v.id) for v in vouchers] == [voucher_id]
        assert vouchers[0].sold_to == "racer@cafe.example"
        mails = session.scalars(select(Delivery.to_address).where(
            Delivery.tenant_id == committed.tenant_id)).all()
        assert mails == ["racer@cafe.example"]
