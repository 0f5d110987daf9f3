"""Billing run over many active subscriptions on PostgreSQL (default 100,000).

    .venv/bin/python -m bench.billing_run [--subscriptions N] [--url postgresql://...]

Seeds a scratch database with bulk inserts (customers with an email, a plan, subscriptions
active since 2026-01-01), runs the recurring billing run for 2026-02-01 (one monthly period
each, every invoice's email queued), then
runs it again (it must create nothing). Prints the seconds, subscriptions per second, and the
ratio against a reference measured in the same run: inserting the same number of rows into a
bare three-column table with one executemany.
"""

from __future__ import annotations

import argparse
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, insert, select, text

from bench.scratch import add_url_argument, scratch_database
from dotmac_isp.modules.billing import run, setup
from dotmac_isp.modules.billing.models import BilledPeriod, Invoice
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.services.models import Plan, Subscription
from dotmac_isp.shared.db import Database


def seed(database: Database, count: int) -> uuid.UUID:
    with database.unit_of_work() as session:
        tenant = identity_service.create_tenant(session, name="Bench ISP", slug="bench")
        setup.update_settings(session, tenant.id, {"billing_day": 1, "review_days": 0})
        plan = Plan(tenant_id=tenant.id, name="Fibre 100", kind="internet",
                    download_kbps=100_000, upload_kbps=20_000, price=Decimal("39.99"),
                    currency="USD", billing_cycle="monthly", radius_attributes={})
        session.add(plan)
        session.flush()
        tenant_id, plan_id = tenant.id, plan.id
    started = datetime(2026, 1, 1, 9, tzinfo=UTC)
    with database.engine.begin() as conn:
        for offset in range(0, count, 10_000):
            n = min(10_000, count - offset)
            customers = [{"id": uuid.uuid4(), "tenant_id": tenant_id,
                          "number": f"C{offset + i + 1:07d}", "kind": "residential",
                          "status": "active", "first_name": "Bench", "last_name": str(i),
                          "company_name": "",
                          "email": f"bench{offset + i + 1}@bench.example", "phone": "",
                          "tax_id": "",
                          "tax_exempt": False, "tax_exempt_reason": "", "currency": "USD",
                          "tags": [], "custom_fields": {}, "notes": "", "search_text": "",
                          "status_changed_at": started, "created_at": started,
                          "updated_at": started} for i in range(n)]
            conn.execute(insert(Customer.__table__), customers)
            subs = [uuid.uuid4() for _ in customers]
            conn.execute(insert(Subscription.__table__), [{
                "id": subs[i], "tenant_id": tenant_id, "customer_id": c["id"],
                "plan_id": plan_id, "status": "active",
                "radius_username": f"u{offset + i}", "radius_password_encrypted": "x",
                "notes": "", "status_changed_at": started, "activated_at": started,
                "suspend_reason": "", "version": 1, "created_at": started,
                "updated_at": started} for i, c in enumerate(customers)])
            # January was billed when each subscription was activated.
            conn.execute(insert(BilledPeriod.__table__), [{
                "id": uuid.uuid4(), "tenant_id": tenant_id, "subscription_id": s,
                "period_start": date(2026, 1, 1), "period_end": date(2026, 2, 1),
                "plan_id": plan_id, "full_price": Decimal("39.99"), "created_at": started}
                for s in subs])
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))  # as autovacuum would have done on a live system
    return tenant_id


def reference(database: Database, count: int) -> float:
    """Insert count rows of three columns with one executemany, in one transaction."""
    with database.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS ref"))
        conn.execute(text("CREATE TEMP TABLE ref (id uuid, n int, amount numeric(18,4))"))
        rows = [{"id": uuid.uuid4(), "n": i, "amount": Decimal("39.99")} for i in range(count)]
        started = time.perf_counter()
        conn.execute(text("INSERT INTO ref VALUES (:id, :n, :amount)"), rows)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=100_000)
    add_url_argument(parser)
    args = parser.parse_args()
    with scratch_database(args.url) as url:
        database = Database.from_url(url)
        t0 = time.perf_counter()
        tenant_id = seed(database, args.subscriptions)
        print(f"seeded {args.subscriptions:,} active subscriptions in "
              f"{time.perf_counter() - t0:.1f} s")
        ref = reference(database, args.subscriptions)
        t0 = time.perf_counter()
        first = run.run(database, tenant_id, date(2026, 2, 1))
        first_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        second = run.run(database, tenant_id, date(2026, 2, 1))
        second_s = time.perf_counter() - t0
        with database.unit_of_work(write=False) as session:
            issued = session.scalar(select(func.count()).select_from(Invoice)
                                    .where(Invoice.status == "issued"))
        print(f"first run:  {first_s:6.1f} s  {first.periods_billed:,} periods billed, "
              f"{first.invoices_issued:,} invoices issued "
              f"({args.subscriptions / first_s:,.0f} subscriptions/s; goal under 60 s)")
        print(f"second run: {second_s:6.1f} s  {second.periods_billed} periods, "
              f"{second.invoices_created} invoices created (must be 0)")
        print(f"reference:  {ref:6.2f} s  bare executemany of {args.subscriptions:,} rows")
        print(f"ratio first run / reference: {first_s / ref:.1f}x;  issued in database: "
              f"{issued:,}")
        database.dispose()


if __name__ == "__main__":
    main()
