"""The billing run and dunning run a number of statements that does not grow with the rows:
the same at 10 and at 100 subscriptions (or overdue invoices)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import dunning, run
from dotmac_isp.modules.billing.models import DunningAction
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.notifications.models import Delivery
from tests.conftest import RollbackDatabase
from tests.modules.billing import bulk
from tests.modules.billing.helpers import configure
from tests.support.customers import make_plan
from tests.support.factories import make_tenant
from tests.support.querycount import count_statements

RUN_DAY = date(2026, 2, 1)
DUE = date(2026, 3, 1)
DUN_DAY = date(2026, 3, 16)  # 15 days overdue: the reminder and the final notice act
DUNNING = {"reminder_days": [3], "final_notice_days": 10, "suspend_after_days": 60}


def _tenant(session: Session, label: str, **billing: object) -> Tenant:
    tenant = make_tenant(session, f"q-{label}-{uuid.uuid4().hex[:6]}", name=f"Q {label}")
    configure(session, tenant, **billing)
    return tenant


def _emails(session: Session, tenant: Tenant, event_key: str) -> list[Delivery]:
    return list(session.scalars(select(Delivery).where(Delivery.tenant_id == tenant.id,
                                                       Delivery.event_key == event_key)))


def _billing_run(session: Session, db: RollbackDatabase, engine: Engine,
                 count: int) -> tuple[int, Tenant]:
    tenant = _tenant(session, f"run{count}")
    plan = make_plan(session, tenant, price=Decimal("30.00"))
    bulk.subscribers(session, tenant.id, plan, count)
    session.flush()
    with count_statements(engine) as counted:
        record = run.run(db, tenant.id, RUN_DAY)  # type: ignore[arg-type]
    assert (record.periods_billed, record.invoices_issued) == (count, count)
    return counted.total, tenant


def test_billing_run_statements_do_not_grow_with_subscriptions(
        session: Session, db: RollbackDatabase, engine: Engine) -> None:
    small, _ = _billing_run(session, db, engine, 10)
    large, tenant = _billing_run(session, db, engine, 100)
    assert large == small, f"{small} statements for 10 subscriptions, {large} for 100"
    emails = _emails(session, tenant, "billing.invoice_issued")
    assert len(emails) == 100 and len({e.to_address for e in emails}) == 100
    assert all(e.status == "queued" and e.subject.startswith("Invoice INV-2026-")
               and e.subject.endswith("from Q run100") for e in emails)


def _dun(db: RollbackDatabase, tenant_id: uuid.UUID, day: date) -> None:
    done = dunning.run_for_tenant(db, tenant_id, day)  # type: ignore[arg-type]
    assert done.failures == []


def _dunning(session: Session, db: RollbackDatabase, engine: Engine,
             count: int) -> tuple[int, Tenant]:
    tenant = _tenant(session, f"dun{count}", dunning=DUNNING)
    bulk.issued_invoices(session, tenant.id, count, DUE)
    session.flush()
    with count_statements(engine) as counted:
        _dun(db, tenant.id, DUN_DAY)
    actions = session.scalar(select(func.count()).select_from(DunningAction)
                             .where(DunningAction.tenant_id == tenant.id))
    assert actions == 2 * count  # a reminder and a final notice each
    return counted.total, tenant


def test_dunning_statements_do_not_grow_with_overdue_invoices(
        session: Session, db: RollbackDatabase, engine: Engine, settings: Settings) -> None:
    small, _ = _dunning(session, db, engine, 10)
    large, tenant = _dunning(session, db, engine, 100)
    assert large == small, f"{small} statements for 10 overdue invoices, {large} for 100"
    warnings = _emails(session, tenant, "billing.suspension_warning")
    assert len(warnings) == 100
    with count_statements(engine) as again:
        _dun(db, tenant.id, DUN_DAY)
    assert again.total <= small
    assert session.scalar(select(func.count()).select_from(DunningAction)
                          .where(DunningAction.tenant_id == tenant.id)) == 200
