"""Factories for sales tests: leads, quotes with lines, a tax rate, sent quotes."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import setup
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.sales import leads, quotes, schemas, sending
from dotmac_isp.modules.sales.models import Lead, Quote
from dotmac_isp.modules.services.models import Plan
from tests.support.customers import make_plan


def make_lead(session: Session, tenant: Tenant, **overrides: Any) -> Lead:
    data: dict[str, Any] = {"name": "Kemi Bello",
                            "email": f"kemi-{uuid.uuid4().hex[:6]}@example.com",
                            "phone": "+234 803 555 0142",
                            "address_line1": "14 Admiralty Way", "city": "Lagos",
                            "country": "NG"}
    data.update(overrides)
    return leads.create_lead(session, tenant.id, schemas.LeadCreate.model_validate(data))


def set_vat(session: Session, tenant: Tenant, percent: str = "7.5") -> None:
    """One default tax rate for the tenant (prices before tax)."""
    rate = setup.create_tax_rate(session, tenant.id, f"VAT {percent}", Decimal(percent))
    setup.update_settings(session, tenant.id, {"default_tax_rate_ids": [str(rate.id)]})


def make_quote(session: Session, tenant: Tenant, lead: Lead | None = None,
               plan: Plan | None = None, *, one_offs: list[tuple[str, str, str, int]] | None = None,
               **plan_overrides: Any) -> Quote:
    """A draft quote: one plan line and the one-off items given as (kind, description,
    unit price, quantity)."""
    lead = lead or make_lead(session, tenant)
    tenant_currency = tenant.currency
    plan = plan or make_plan(session, tenant, currency=tenant_currency, **plan_overrides)
    lines: list[dict[str, Any]] = [{"kind": "plan", "plan_id": plan.id}]
    for kind, description, price, quantity in one_offs or []:
        lines.append({"kind": kind, "description": description, "unit_price": price,
                      "quantity": quantity})
    return quotes.create_quote(session, tenant.id, schemas.QuoteCreate.model_validate(
        {"lead_id": lead.id, "lines": lines}))


def sent_quote(session: Session, settings: Settings, tenant: Tenant,
               **kwargs: Any) -> tuple[Quote, str]:
    quote = make_quote(session, tenant, **kwargs)
    sent = sending.send_quote(session, settings, tenant.id, quote.id)
    return sent.quote, sent.link.rsplit("/", 1)[1]
