"""Parallel sells of one voucher batch, each to another reseller: exactly one wins, the
others are told it is sold, and the batch and its vouchers carry the winner's sale only.
Committed data, real threads, PostgreSQL (where requests really run at once; SQLite's one
writer at a time proves nothing here)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from dotmac_isp.modules.hotspot import wholesale
from dotmac_isp.modules.hotspot.models import Voucher, VoucherBatch, VoucherPlan
from dotmac_isp.modules.identity.models import Role, Tenant
from dotmac_isp.modules.resellers.models import Reseller
from dotmac_isp.shared.db import Database
from tests.modules.hotspot.support import make_batch, make_voucher_plan
from tests.modules.resellers.helpers import make_reseller
from tests.support.factories import make_tenant
from tests.support.parallel import at_once

SELLERS = 6


@dataclass
class Committed:
    database: Database
    tenant_id: uuid.UUID
    batch_id: uuid.UUID
    resellers: dict[uuid.UUID, str]


@pytest.fixture
def committed(engine: Engine) -> Iterator[Committed]:
    if engine.dialect.name != "postgresql":
        pytest.skip("parallel sells race only where writers run at once (PostgreSQL)")
    database = Database(engine)
    with database.unit_of_work() as session:
        tenant = make_tenant(session, f"sell-{uuid.uuid4().hex[:8]}")
        plan = make_voucher_plan(session, tenant, price=Decimal("2.50"),
                                 wholesale_price=Decimal("1.20"))
        batch = make_batch(session, tenant, plan, 20, name="Contested")
        resellers = {make_reseller(session, tenant, f"buyer{n}").id: f"Buyer{n} Networks"
                     for n in range(SELLERS)}
        made = Committed(database, tenant.id, batch.id, resellers)
    yield made
    with database.unit_of_work() as session:
        for model in (Voucher, VoucherBatch, VoucherPlan, Reseller, Role):
            session.execute(delete(model).where(model.tenant_id == made.tenant_id))
        session.execute(delete(Tenant).where(Tenant.id == made.tenant_id))


def test_parallel_sells_of_one_batch_exactly_one_wins(committed: Committed) -> None:
    buyers = list(committed.resellers)

    def sell(n: int) -> str:
        try:
            with committed.database.unit_of_work() as session:
                batch = wholesale.sell_to_reseller(session, committed.tenant_id,
                                                   committed.batch_id, buyers[n],
                                                   sold_by=f"clerk{n}@tenant.example")
                return f"sold to {batch.reseller_id}"
        except Exception as exc:  # reported below with the others
            return f"{type(exc).__name__}: {exc}"

    outcomes = at_once(SELLERS, sell)
    won = [o for o in outcomes if o.startswith("sold to ")]
    assert len(won) == 1, outcomes
    winner = uuid.UUID(won[0].removeprefix("sold to "))
    refused = [o for o in outcomes if not o.startswith("sold to ")]
    assert all(o.startswith(f"Conflict: batch Contested was already sold to "
                            f"{committed.resellers[winner]} on ") for o in refused), refused
    with committed.database.unit_of_work(write=False) as session:
        batch = session.get(VoucherBatch, committed.batch_id)
        assert batch is not None
        assert (batch.reseller_id, batch.quantity, batch.total) == (winner, 20, Decimal("24.00"))
        sold_to = set(session.scalars(select(Voucher.sold_to).where(
            Voucher.batch_id == committed.batch_id)))
    assert sold_to == {committed.resellers[winner]}
