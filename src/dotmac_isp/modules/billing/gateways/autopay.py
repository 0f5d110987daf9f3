"""Saved cards and autopay: the customer saves a card with the gateway (a SetupIntent through
a hosted page), agrees to automatic charges (who and when is kept), and a daily job charges
their due invoices off-session. A decline is recorded with the gateway's reason and emailed to
the customer; the invoice is tried again on a bounded schedule (days after its due date, a
setting), and after the last attempt is left to dunning like any unpaid invoice. A customer
with a direct debit mandate on autopay is collected from their bank account instead
(direct_debit.py): the same schedule, the outcome arriving later by webhook."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import notify
from dotmac_isp.modules.billing import service as billing
from dotmac_isp.modules.billing.enums import OPEN_STATUSES
from dotmac_isp.modules.billing.gateways import accounts, direct_debit, mandates, retry_schedule
from dotmac_isp.modules.billing.gateways.autopay_schedule import (
    DEFAULT_RETRY_DAYS,
    declines_of,
    next_attempt_on,
)
from dotmac_isp.modules.billing.gateways.methods import recorded_as
from dotmac_isp.modules.billing.gateways.models import AutopayCharge, SavedCard
from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.modules.billing.payments import PaymentInput
from dotmac_isp.modules.billing.repository import InvoiceRepository
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.sdks.payments import CardSetupRequest, OffSessionCharge
from dotmac_isp.shared.errors import InvalidState
from dotmac_isp.shared.tenancy import TenantRepository


class CardRepository(TenantRepository[SavedCard]):
    model = SavedCard
    not_found_message = "no saved card"


def card_of(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> SavedCard | None:
    repo = CardRepository(session, tenant_id)
    return session.scalars(repo.select().where(SavedCard.customer_id == customer_id)
                           ).one_or_none()


def start_card_setup(session: Session, settings: Settings, tenant_id: uuid.UUID,
                     customer_id: uuid.UUID) -> str:
    """Open the gateway's page for saving a card; the URL to send the customer to."""
    gateway = accounts.enabled_gateway(session, settings, tenant_id)
    tenant = identity_service.get_tenant(session, tenant_id)
    customer = customers_service.get_customer(session, tenant_id, customer_id)
    card = card_of(session, tenant_id, customer_id) or CardRepository(session, tenant_id).add(
        SavedCard(gateway=gateway.name, customer_id=customer.id))
    base = f"{settings.public_url.rstrip('/')}/portal/{tenant.slug}/pay/card"
    setup = gateway.create_card_setup(CardSetupRequest(
        gateway_customer_id=card.gateway_customer_id, email=customer.email or "",
        name=customer.display_name, success_url=f"{base}/return", cancel_url=base,
        metadata={"dotmac_tenant": str(tenant_id), "customer_number": customer.number}))
    card.gateway_customer_id, card.setup_session_id = setup.gateway_customer_id, setup.session_id
    session.flush()
    return setup.url


def finish_card_setup(session: Session, settings: Settings, tenant_id: uuid.UUID,
                      customer_id: uuid.UUID) -> SavedCard | None:
    """Back from the gateway: keep the card it saved (read from its API)."""
    card = card_of(session, tenant_id, customer_id)
    if card is None or not card.setup_session_id:
        return card
    account = accounts.find_account(session, tenant_id, card.gateway)
    if account is None:
        return card
    saved = accounts.gateway_of(settings, account).saved_card(card.setup_session_id)
    if saved is not None:
        card.payment_method_id = saved.payment_method_id
        card.card_brand, card.card_last4 = saved.card_brand, saved.card_last4
        card.card_exp_month, card.card_exp_year = saved.exp_month, saved.exp_year
        card.setup_session_id = ""
        session.flush()
    return card


def set_autopay(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID, on: bool, *,
                by: str, at: datetime, via: str = "portal",
                consent_text: str = "") -> SavedCard:
    """Turn automatic charging on (recording who agreed, when, how and to what) or off."""
    card = card_of(session, tenant_id, customer_id)
    if card is None or not card.payment_method_id:
        raise InvalidState("save a card first")
    card.autopay = on
    if on:
        card.autopay_consent_at, card.autopay_consent_by = at, by[:255]
        card.autopay_consent_via, card.autopay_consent_text = via, consent_text
    session.flush()
    return card


def _declines(tenant_id: uuid.UUID) -> Any:
    """Declined attempts per invoice (a subquery)."""
    return (select(AutopayCharge.invoice_id, func.count().label("declines"))
            .where(AutopayCharge.tenant_id == tenant_id, AutopayCharge.status == "declined")
            .group_by(AutopayCharge.invoice_id).subquery())


def due_invoices(session: Session, tenant_id: uuid.UUID, today: date, limit: int = 1000,
                 retry_days: Sequence[int] = DEFAULT_RETRY_DAYS) -> list[uuid.UUID]:
    """Open invoices of customers on autopay (a saved card or a direct debit mandate), not
    yet charged today nor waiting on a direct debit, whose next attempt is due: after n
    declines, the one retry_days[n] days after the due date. An invoice declined on every
    attempt of the schedule is not tried again (dunning has it)."""
    busy = select(AutopayCharge.invoice_id).where(
        AutopayCharge.tenant_id == tenant_id,
        ((AutopayCharge.attempted_on == today) & (AutopayCharge.status != "pending"))
        | (AutopayCharge.status == "collecting"))
    on_autopay = select(SavedCard.customer_id).where(
        SavedCard.tenant_id == tenant_id, SavedCard.autopay.is_(True),
        SavedCard.payment_method_id != "").union(mandates.on_autopay(tenant_id))
    declines = _declines(tenant_id)
    count = func.coalesce(declines.c.declines, 0)
    scheduled = or_(*(and_(count == n, Invoice.due_date <= today - timedelta(days=days))
                      for n, days in enumerate(retry_days)))
    stmt = (InvoiceRepository(session, tenant_id).select(Invoice.id)
            .outerjoin(declines, declines.c.invoice_id == Invoice.id)
            .where(Invoice.customer_id.in_(on_autopay),
                   Invoice.status.in_([s.value for s in OPEN_STATUSES]),
                   Invoice.due_date <= today, scheduled, Invoice.id.not_in(busy))
            .order_by(Invoice.due_date, Invoice.id).limit(limit))
    return list(session.scalars(stmt))


def _attempt(session: Session, tenant_id: uuid.UUID, invoice: Invoice,
             today: date) -> AutopayCharge:
    existing = session.scalars(select(AutopayCharge).where(
        AutopayCharge.tenant_id == tenant_id, AutopayCharge.invoice_id == invoice.id,
        AutopayCharge.attempted_on == today)).one_or_none()
    if existing is not None:
        return existing
    attempt = AutopayCharge(tenant_id=tenant_id, invoice_id=invoice.id,
                            customer_id=invoice.customer_id, attempted_on=today,
                            amount=invoice.balance_due, currency=invoice.currency)
    session.add(attempt)
    session.flush()
    return attempt


def charge_invoice(session: Session, settings: Settings, tenant_id: uuid.UUID,
                   invoice_id: uuid.UUID, today: date) -> AutopayCharge:
    """Charge one due invoice to the direct debit mandate or else the saved card, once a day;
    a retried run of the same day reaches the gateway with the same idempotency key, so the
    customer is charged once."""
    invoice = InvoiceRepository(session, tenant_id).get(invoice_id, for_update=True)
    attempt = _attempt(session, tenant_id, invoice, today)
    if attempt.status != "pending":
        return attempt
    card = card_of(session, tenant_id, invoice.customer_id)
    mandate = mandates.collecting_mandate(session, tenant_id, invoice.customer_id)
    if invoice.balance_due <= 0 or (mandate is None and (card is None or not card.autopay)):
        attempt.status, attempt.reason = "skipped", "nothing due or autopay turned off"
        return attempt
    retry_days = retry_schedule.retry_days_of(session, settings, tenant_id)
    if declines_of(session, tenant_id, invoice.id) >= len(retry_days):
        attempt.status, attempt.reason = "skipped", "every scheduled attempt was declined"
        return attempt
    if mandate is not None:  # a direct debit: it settles later, by webhook
        return direct_debit.collect(session, settings, tenant_id, invoice, attempt, mandate)
    assert card is not None
    gateway = accounts.enabled_gateway(session, settings, tenant_id)
    result = gateway.charge_saved_card(OffSessionCharge(
        gateway_customer_id=card.gateway_customer_id, payment_method_id=card.payment_method_id,
        amount=invoice.balance_due, currency=invoice.currency,
        description=f"Invoice {invoice.number}",
        metadata={"dotmac_tenant": str(tenant_id), "dotmac_invoice": str(invoice.id)},
        idempotency_key=f"autopay-{invoice.id}-{today.isoformat()}"))
    attempt.payment_intent_id = result.reference
    if not result.succeeded:
        attempt.status, attempt.reason = "declined", result.failure_message[:500]
        session.flush()
        retry_on = next_attempt_on(invoice, declines_of(session, tenant_id, invoice.id),
                                   retry_days, today)
        notify.email_autopay_declined(session, tenant_id, invoice, card.card_last4,
                                      attempt.reason, retry_on)
        return attempt
    payment, _ = billing.receive_payment_once(session, tenant_id, PaymentInput(
        customer_id=invoice.customer_id, amount=result.amount,
        currency=result.currency, received_on=today, reference=result.reference,
        idempotency_key=f"{gateway.name}:{result.reference}", gateway=gateway.name,
        **recorded_as(result, card.card_last4), invoice_ids=[invoice.id], notes="autopay"))
    attempt.status, attempt.payment_id = "succeeded", payment.id
    session.flush()
    return attempt


class ChargeRepository(TenantRepository[AutopayCharge]):
    model = AutopayCharge
    not_found_message = "automatic payment not found"


def get_charge(session: Session, tenant_id: uuid.UUID, charge_id: uuid.UUID) -> AutopayCharge:
    return ChargeRepository(session, tenant_id).get(charge_id)


def charges_of(session: Session, tenant_id: uuid.UUID,
               customer_id: uuid.UUID) -> list[AutopayCharge]:
    return list(session.scalars(select(AutopayCharge).where(
        AutopayCharge.tenant_id == tenant_id, AutopayCharge.customer_id == customer_id)
        .order_by(AutopayCharge.attempted_on.desc()).limit(20)))
