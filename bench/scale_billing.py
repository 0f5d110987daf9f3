"""Billing at ISP scale on PostgreSQL: the run over N subscriptions (emails queued), its rerun,
and dunning over M overdue invoices, and its rerun.

    .venv/bin/python -m bench.scale_billing [--subscriptions 100000] [--overdue 20000]

Each figure is printed beside a reference measured in the same run: one executemany of as
many rows into a bare table. Goals: run under 60 s, rerun under 10 s creating nothing,
dunning under 30 s, its rerun changing nothing.
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta

from sqlalchemy import func, select, update

from bench.billing_run import reference, seed
from bench.scratch import add_url_argument, scratch_database
from dotmac_isp.modules.billing import dunning, run, setup
from dotmac_isp.modules.billing.models import DunningAction, Invoice
from dotmac_isp.modules.notifications.models import Delivery
from dotmac_isp.shared.db import Database

DUNNING = {"reminder_days": [3], "final_notice_days": 10, "suspend_after_days": 60}


def timed(label: str, ref: float, work: object) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()  # type: ignore[operator]
    took = time.perf_counter() - started
    print(f"{label:<14} {took:7.1f} s  ({took / ref:5.1f}x the reference of {ref:.2f} s)")
    return took, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--overdue", type=int, default=20_000)
    add_url_argument(parser)
    args = parser.parse_args()
    with scratch_database(args.url) as url:
        database = Database.from_url(url)
        t0 = time.perf_counter()
        tenant_id = seed(database, args.subscriptions)
        print(f"seeded {args.subscriptions:,} subscriptions in {time.perf_counter() - t0:.1f} s")
        ref = reference(database, args.subscriptions)
        day = date(2026, 2, 1)
        _, first = timed("run", ref, lambda: run.run(database, tenant_id, day))
        _, again = timed("rerun", ref, lambda: run.run(database, tenant_id, day))
        with database.unit_of_work() as session:
            emails = session.scalar(select(func.count()).select_from(Delivery))
            # the first M of the run's invoices go unpaid past their due date
            ids = list(session.scalars(select(Invoice.id).order_by(Invoice.id)
                                       .limit(args.overdue)))
            session.execute(update(Invoice).where(Invoice.id.in_(ids))
                            .values(due_date=day + timedelta(days=1)))
            # the rest are not due yet on the dunning day, so exactly M are overdue
            session.execute(update(Invoice).where(Invoice.id.not_in(ids))
                            .values(due_date=day + timedelta(days=30)))
            setup.update_settings(session, tenant_id, {"dunning": DUNNING})
        print(f"run: {first.invoices_issued:,} invoices issued, {emails:,} emails queued; "  # type: ignore[attr-defined]
              f"rerun: {again.subscriptions_seen} read, {again.invoices_created} created")  # type: ignore[attr-defined]
        dun_ref = reference(database, args.overdue)
        dun_day = date(2026, 2, 17)
        _, dun = timed("dunning", dun_ref, lambda: dunning.run_for_tenant(database, tenant_id,
                                                                          dun_day))
        _, dun2 = timed("dunning rerun", dun_ref,
                        lambda: dunning.run_for_tenant(database, tenant_id, dun_day))
        with database.unit_of_work(write=False) as session:
            actions = session.scalar(select(func.count()).select_from(DunningAction))
        print(f"dunning: {dun.counts} ({actions:,} stages); rerun: {dun2.counts}")  # type: ignore[attr-defined]
        database.dispose()


if __name__ == "__main__":
    main()
