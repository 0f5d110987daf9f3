"""The billing run's watermark on subscriptions: where each one's next unbilled period starts
(billed_until) and the first day anything can be due (bill_next_on), so an hourly run reads
only due subscriptions and walks only their new periods.

The run sets both after billing a subscription. They are emptied (the next run walks from
the start) when a subscription changes (services' mapper hook), and here when what places
its periods changes: the tenant's billing settings or time zone, the customer's billing day,
or the plan."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Table, bindparam, event, update
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing.models import BillingAccount, BillingSettings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.services.models import Plan, Subscription

NOTHING_DUE = date(9999, 12, 31)  # a finished subscription, billed to its end
_SUBS: Table = Subscription.__table__  # type: ignore[assignment]


def record(session: Session, marks: list[tuple[uuid.UUID, date, date]]) -> None:
    """(subscription, billed until, next due) each, with one executemany."""
    if not marks:
        return
    session.connection().execute(
        update(_SUBS).where(_SUBS.c.id == bindparam("sid"))
        .values(billed_until=bindparam("until"), bill_next_on=bindparam("next_on")),
        [{"sid": sid, "until": until, "next_on": next_on} for sid, until, next_on in marks])


def _reset(session: Session, condition: Any) -> None:
    session.connection().execute(update(_SUBS).where(condition)
                                 .values(billed_until=None, bill_next_on=None))


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.new):
        if isinstance(obj, BillingAccount) and obj.customer_id is not None:
            _reset(session, _SUBS.c.customer_id == obj.customer_id)
    for obj in list(session.dirty):
        if not session.is_modified(obj, include_collections=False):
            continue
        if isinstance(obj, BillingSettings):
            _reset(session, _SUBS.c.tenant_id == obj.tenant_id)
        elif isinstance(obj, Tenant):
            _reset(session, _SUBS.c.tenant_id == obj.id)
        elif isinstance(obj, BillingAccount):
            _reset(session, _SUBS.c.customer_id == obj.customer_id)
        elif isinstance(obj, Plan):
            _reset(session, _SUBS.c.plan_id == obj.id)


def install() -> None:
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)


install()
