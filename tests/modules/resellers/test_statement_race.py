"""Several runs computing the same statement at the same moment make one statement with each
line once. Committed data, real threads, both databases."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity.models import Role, Tenant
from dotmac_isp.modules.resellers import statements
from dotmac_isp.modules.resellers.models import (
    CommissionRule,
    CommissionStatement,
    Reseller,
    StatementLine,
)
from dotmac_isp.modules.services.models import Plan, Subscription
from dotmac_isp.shared.db import Database
from tests.modules.resellers.helpers import make_reseller, set_rule
from tests.support.customers import make_customer, make_plan
from tests.support.factories import make_tenant
from tests.support.parallel import at_once

RUNS = 6
MARCH = date(2026, 3, 1)


@dataclass
class Committed:
    database: Database
    tenant_id: uuid.UUID
    reseller_id: uuid.UUID


@pytest.fixture
def committed(engine: Engine, settings: Settings) -> Iterator[Committed]:
    database = Database(engine)
    with database.unit_of_work() as session:
        tenant = make_tenant(session, f"race-{uuid.uuid4().hex[:8]}")
        reseller = make_reseller(session, tenant, "racer")
        plan = make_plan(session, tenant, price=Decimal("0"))
        set_rule(session, tenant, reseller, plan.id, "0", "15.00")
        customer = make_customer(session, tenant, reseller_id=reseller.id)
        # written directly: only its first activation in March matters here
        session.add(Subscription(tenant_id=tenant.id, customer_id=customer.id, plan_id=plan.id,
                                 status="active", radius_username=f"race-{tenant.slug}",
                                 radius_password_encrypted="x",
                                 activated_at=datetime(2026, 3, 9, 12, tzinfo=UTC)))
        made = Committed(database, tenant.id, reseller.id)
    yield made
    with database.unit_of_work() as session:
        for model in (StatementLine, CommissionStatement, CommissionRule, Subscription,
                      Customer, Plan, Reseller):
            session.execute(delete(model).where(model.tenant_id == made.tenant_id))
        session.execute(delete(Role).where(Role.tenant_id == made.tenant_id))
        session.execute(delete(Tenant).where(Tenant.id == made.tenant_id))


def test_parallel_runs_make_one_statement_with_each_line_once(committed: Committed) -> None:
    def run(_n: int) -> str:
        try:
            with committed.database.unit_of_work() as session:
                made = statements.refresh(session, committed.tenant_id, committed.reseller_id,
                                          MARCH)
                return f"{len(made)}"
        except Exception as exc:  # reported below with the others
            return f"{type(exc).__name__}: {exc}"

    outcomes = at_once(RUNS, run)
    assert outcomes == ["1"] * RUNS
    with committed.database.unit_of_work(write=False) as session:
        rows = session.execute(select(CommissionStatement.total, StatementLine.amount).join(
            StatementLine, StatementLine.statement_id == CommissionStatement.id).where(
            CommissionStatement.tenant_id == committed.tenant_id)).all()
    assert rows == [(Decimal("15.00"), Decimal("15.00"))]
