"""What billing tells a seller before there is a customer, and takes from one after: the
taxes a new customer pays on a quoted price, and one-off items (installation, equipment)
waiting on the customer's first invoice."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import charging, invoices, setup
from dotmac_isp.modules.billing.enums import LineKind
from dotmac_isp.modules.billing.invoices import LineInput
from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.modules.billing.tax import LineTaxes, Rate, compute
from dotmac_isp.shared.money import round_money


@dataclass(frozen=True)
class TaxRules:
    """The tenant's default taxes (in the order they apply) and whether prices include them."""

    rates: list[Rate]
    inclusive: bool

    def price(self, unit_price: Decimal, quantity: int | Decimal) -> LineTaxes:
        """Net, tax and gross of a line, as an invoice line of the same price would have."""
        return compute(round_money(unit_price * quantity), self.rates, inclusive=self.inclusive)


def tax_rules(session: Session, tenant_id: uuid.UUID) -> TaxRules:
    """The taxes a new (not tax-exempt) customer of the tenant pays."""
    settings = setup.billing_settings(session, tenant_id)
    return TaxRules(setup.rates_for_tenant(session, tenant_id), settings.prices_include_tax)


@dataclass(frozen=True)
class Charge:
    description: str
    unit_price: Decimal
    quantity: int = 1


def charge_on_first_invoice(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                            currency: str, charges: list[Charge], today: date) -> Invoice:
    """Put one-off charges on the customer's running draft without issuing it: the
    activation's setup fee and first period join the same draft, and it is issued with them
    (or by the billing run once its review window has passed)."""
    settings = setup.billing_settings(session, tenant_id)
    draft = charging.draft_for(session, tenant_id, customer_id, currency, today, settings)
    invoices.add_lines(session, draft, [
        LineInput(kind=LineKind.ONE_OFF, description=c.description, unit_price=c.unit_price,
                  quantity=Decimal(c.quantity)) for c in charges])
    return draft
