"""The run reads only due subscriptions: a second run the same day reads none, the next
month's run reads each once, and a change to a subscription or its schedule makes the run
look at it again."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import run, setup
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.services.enums import SubscriptionStatus as S
from dotmac_isp.modules.services.models import Subscription
from tests.conftest import RollbackDatabase
from tests.modules.billing import bulk
from tests.modules.billing.helpers import at, configure, world
from tests.support.customers import make_plan
from tests.support.querycount import count_statements


def test_second_run_reads_nothing_and_next_month_bills_each_once(
        session: Session, db: RollbackDatabase, tenant: Tenant, engine: Engine) -> None:
    configure(session, tenant)
    plan = make_plan(session, tenant, price=Decimal("30.00"))
    bulk.subscribers(session, tenant.id, plan, 20)
    session.flush()
    first = run.run(db, tenant.id, date(2026, 2, 1))  # type: ignore[arg-type]
    assert (first.subscriptions_seen, first.periods_billed) == (20, 20)
    with count_statements(engine) as counted:
        again = run.run(db, tenant.id, date(2026, 2, 1))  # type: ignore[arg-type]
    assert (again.subscriptions_seen, again.periods_billed, again.invoices_created) == (0, 0, 0)
    assert counted.total < 30
    mid = run.run(db, tenant.id, date(2026, 2, 20))  # type: ignore[arg-type]
    assert mid.subscriptions_seen == 0
    march = run.run(db, tenant.id, date(2026, 3, 1))  # type: ignore[arg-type]
    assert (march.subscriptions_seen, march.periods_billed, march.invoices_issued) == (20, 20, 20)
    marks = set(session.execute(select(Subscription.billed_until, Subscription.bill_next_on)
                                .where(Subscription.tenant_id == tenant.id)))
    assert marks == {(date(2026, 4, 1), date(2026, 4, 1))}


def test_a_changed_subscription_or_schedule_is_looked_at_again(
        session: Session, settings: object, db: RollbackDatabase, tenant: Tenant) -> None:
    w = world(session, settings, tenant)  # type: ignore[arg-type]
    sub = w.subscribe(date(2026, 1, 1))
    run.run(db, tenant.id, date(2026, 2, 1))  # type: ignore[arg-type]
    assert run.run(db, tenant.id, date(2026, 2, 1)).subscriptions_seen == 0  # type: ignore[arg-type]
    w.move(sub, S.SUSPENDED, date(2026, 2, 10))
    w.move(sub, S.ACTIVE, date(2026, 2, 12))
    session.flush()
    assert run.run(db, tenant.id, date(2026, 2, 13)).subscriptions_seen == 1  # type: ignore[arg-type]
    assert run.run(db, tenant.id, date(2026, 2, 13)).subscriptions_seen == 0  # type: ignore[arg-type]
    setup.update_settings(session, tenant.id, {"billing_day": 15})
    session.flush()
    moved = run.run(db, tenant.id, date(2026, 2, 15))  # type: ignore[arg-type]
    assert moved.subscriptions_seen == 1
    session.expire_all()
    assert session.get(Subscription, sub.id).bill_next_on == date(2026, 3, 15)  # type: ignore[union-attr]
    assert at(date(2026, 2, 15))  # the helper's clock is the tests' own
