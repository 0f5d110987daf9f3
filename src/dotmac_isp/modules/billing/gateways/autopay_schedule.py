"""When autopay tries a due invoice again: after n failed attempts (a declined card or a
failed direct debit), the one retry_days[n] days after the due date; after the last one the
invoice is left to dunning."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing.gateways.models import AutopayCharge
from dotmac_isp.modules.billing.models import Invoice

DEFAULT_RETRY_DAYS = (0, 3, 7)


def declines_of(session: Session, tenant_id: uuid.UUID, invoice_id: uuid.UUID) -> int:
    return session.scalar(select(func.count()).select_from(AutopayCharge).where(
        AutopayCharge.tenant_id == tenant_id, AutopayCharge.invoice_id == invoice_id,
        AutopayCharge.status == "declined")) or 0


def next_attempt_on(invoice: Invoice, declines: int, retry_days: Sequence[int],
                    today: date) -> date | None:
    """When the invoice is tried again after this many declines (None: never, dunning has it)."""
    if declines >= len(retry_days) or invoice.due_date is None:
        return None
    return max(invoice.due_date + timedelta(days=retry_days[declines]),
               today + timedelta(days=1))
