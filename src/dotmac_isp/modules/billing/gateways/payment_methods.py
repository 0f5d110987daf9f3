"""A customer's payment methods as staff see them: the saved card (brand, last four,
expiry), whether autopay is on and the consent behind it (who, when, how, to what), and the
words a customer agrees to, in the portal or through staff."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from dotmac_isp.modules.billing.gateways import autopay
from dotmac_isp.modules.billing.gateways.models import AutopayCharge, SavedCard
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity import service as identity_service


def portal_consent_text(tenant_name: str) -> str:
    return (f"I agree that {tenant_name} charges my invoices to this card on their due date "
            f"until I stop it here.")


def staff_consent_text(tenant_name: str, card_last4: str) -> str:
    return (f"The customer agreed that {tenant_name} charges their invoices to the card ending "
            f"in {card_last4} on their due date until they ask to stop.")


@dataclass
class PaymentMethods:
    card: SavedCard | None
    charges: list[AutopayCharge]
    consent_text: str  # what staff confirm the customer agreed to before turning autopay on

    @property
    def saved(self) -> bool:
        return self.card is not None and bool(self.card.payment_method_id)

    @property
    def expiry(self) -> str:
        card = self.card
        if card is None or not card.card_exp_month or not card.card_exp_year:
            return ""
        return f"{card.card_exp_month:02d}/{card.card_exp_year}"


def of_customer(session: Session, tenant_id: uuid.UUID,
                customer_id: uuid.UUID) -> PaymentMethods:
    """The customer's saved card and autopay; another tenant's customer is not found."""
    customers_service.get_customer(session, tenant_id, customer_id)
    card = autopay.card_of(session, tenant_id, customer_id)
    tenant = identity_service.get_tenant(session, tenant_id)
    return PaymentMethods(card=card,
                          charges=autopay.charges_of(session, tenant_id, customer_id)[:5],
                          consent_text=staff_consent_text(tenant.name,
                                                          card.card_last4 if card else ""))


def staff_set_autopay(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID, on: bool,
                      *, staff: str, at: datetime) -> SavedCard:
    """Staff turn autopay on (the customer's consent, as confirmed by staff, is kept with
    its words) or off."""
    methods = of_customer(session, tenant_id, customer_id)
    return autopay.set_autopay(session, tenant_id, customer_id, on, by=f"staff ({staff})",
                               at=at, via="staff", consent_text=methods.consent_text)
