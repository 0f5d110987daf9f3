"""A tenant's autopay retry schedule: the days after an invoice's due date on which autopay
tries to charge it ("0,3,7": on the due date, then 3 and 7 days after). A tenant without its
own schedule uses the installation's (DOTMAC_PAYMENTS__AUTOPAY_RETRY_DAYS)."""

from __future__ import annotations

import re
import uuid
from itertools import pairwise

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import setup
from dotmac_isp.modules.billing.models import BillingSettings
from dotmac_isp.shared.errors import ValidationFailed

MAX_ATTEMPTS = 10
MAX_DAY = 365
FIELD = "autopay_retry_days"


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed(f"{FIELD}: {message}", extra={"field": FIELD})


def parse_retry_days(text: str) -> list[int] | None:
    """"0, 3, 7" as [0, 3, 7]; empty is None (the installation's schedule). Whole days from 0
    up, each later than the one before, at most MAX_ATTEMPTS of them."""
    text = text.strip()
    if not text:
        return None
    parts = [p.strip() for p in text.split(",")]
    if any(not p for p in parts):
        raise _refuse("days separated by commas, such as 0,3,7")
    for part in parts:
        if not re.fullmatch(r"-?\d{1,4}", part):
            raise _refuse(f"{part!r} is not a whole number of days")
    days = [int(p) for p in parts]
    if any(day < 0 for day in days):
        raise _refuse("days count from the due date: 0 or more")
    if any(day > MAX_DAY for day in days):
        raise _refuse(f"at most {MAX_DAY} days after the due date")
    if any(later <= earlier for earlier, later in pairwise(days)):
        raise _refuse("each day must be later than the one before, such as 0,3,7")
    if len(days) > MAX_ATTEMPTS:
        raise _refuse(f"at most {MAX_ATTEMPTS} attempts")
    return days


def as_text(days: list[int] | None) -> str:
    return ",".join(str(day) for day in days) if days else ""


def describe(days: list[int] | None, settings: Settings) -> str:
    """ "on days 0, 3 and 7 after the due date" (the installation's when days is None)."""
    shown = days or list(settings.payments.autopay_retry_days)
    listed = ", ".join(str(d) for d in shown[:-1]) + (" and " if len(shown) > 1 else "") + \
        str(shown[-1])
    return (f"on day{'s' if len(shown) > 1 else ''} {listed} after the due date"
            + ("" if days else " (the installation's schedule)"))


def tenant_retry_days(session: Session, tenant_id: uuid.UUID) -> list[int] | None:
    """The tenant's own schedule, None when it uses the installation's (a read only: the
    autopay job reads it where it may not write)."""
    days = session.scalar(select(BillingSettings.autopay_retry_days).where(
        BillingSettings.tenant_id == tenant_id))
    return [int(day) for day in days] if days else None


def retry_days_of(session: Session, settings: Settings, tenant_id: uuid.UUID) -> list[int]:
    """The schedule autopay follows for the tenant."""
    return tenant_retry_days(session, tenant_id) or list(settings.payments.autopay_retry_days)


def set_retry_days(session: Session, tenant_id: uuid.UUID, text: str) -> list[int] | None:
    """Keep the tenant's schedule as typed (checked); empty: use the installation's."""
    days = parse_retry_days(text)
    settings = setup.billing_settings(session, tenant_id, for_update=True)
    settings.autopay_retry_days = days
    session.flush()
    return days
