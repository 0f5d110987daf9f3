"""Gapless document numbers from a per-tenant template, e.g. 'INV-{year}-{seq:05d}'."""

from __future__ import annotations

import string
from datetime import date

from sqlalchemy.orm import Session

from dotmac_isp.modules.billing.enums import DocumentKind, NumberReset
from dotmac_isp.modules.billing.models import BillingSettings
from dotmac_isp.shared import sequences

ALLOWED_FIELDS = {"year", "seq", "month"}


def check_template(template: str) -> str:
    """Refuse templates that are not a usable format with {seq}."""
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f}
        if "seq" not in fields:
            raise ValueError("a number template must contain {seq}")
        unknown = fields - ALLOWED_FIELDS
        if unknown:
            raise ValueError(f"unknown fields in number template: {', '.join(sorted(unknown))}")
        template.format(year=2026, month=1, seq=1)
    except (ValueError, IndexError, KeyError) as exc:
        raise ValueError(f"invalid number template {template!r}: {exc}") from exc
    if len(template.format(year=2026, month=12, seq=10**9)) > 40:
        raise ValueError("numbers from this template would be longer than 40 characters")
    return template


def next_number(session: Session, settings: BillingSettings, kind: DocumentKind,
                on: date) -> str:
    """Take the next number for a document kind; used only if the transaction commits."""
    return next_numbers(session, settings, kind, on, 1)[0]


def next_numbers(session: Session, settings: BillingSettings, kind: DocumentKind, on: date,
                 count: int) -> list[str]:
    """Take `count` consecutive numbers at once (one counter update for a whole batch)."""
    template: str = getattr(settings, f"{kind.value}_template")
    counter = f"doc:{kind.value}"
    if settings.number_reset == NumberReset.YEARLY:
        counter = f"{counter}:{on.year}"
    first = sequences.next_value(session, settings.tenant_id, counter, count=count)
    return [template.format(year=on.year, month=on.month, seq=seq)
            for seq in range(first, first + count)]


