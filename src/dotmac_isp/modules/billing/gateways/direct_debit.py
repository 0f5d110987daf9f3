"""Autopay by direct debit: the job creates a payment on the customer's mandate (one per
invoice and day, under an idempotency key made of both), and the attempt waits, "collecting".
Direct debit settles days later, so the payment is recorded in the ledger only when the
gateway confirms it (payments.confirmed or paid_out); a failure (failed, cancelled...) is kept
with the gateway's reason, emailed, and feeds the same retry schedule and dunning as a
declined card. Every event reads the payment back from the gateway's API, so events arriving
twice or out of order converge on one payment."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import notify
from dotmac_isp.modules.billing import service as billing
from dotmac_isp.modules.billing.enums import PaymentMethod
from dotmac_isp.modules.billing.gateways import gocardless_accounts as gc_accounts
from dotmac_isp.modules.billing.gateways import mandates, retry_schedule
from dotmac_isp.modules.billing.gateways.autopay_schedule import declines_of, next_attempt_on
from dotmac_isp.modules.billing.gateways.models import AutopayCharge, Mandate
from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.modules.billing.payments import PaymentInput
from dotmac_isp.modules.billing.repository import InvoiceRepository
from dotmac_isp.sdks.direct_debit import (
    Collection,
    CollectionState,
    DirectDebitEvent,
    DirectDebitGateway,
)

FAILURE_ACTIONS = frozenset({"failed", "cancelled", "customer_approval_denied",
                             "charged_back", "late_failure_settled"})


def bank_words(mandate: Mandate | None) -> str:
    """How the customer's account is named to them: the bank and the last digits only."""
    if mandate is None or not (mandate.bank_name or mandate.account_ending):
        return ""
    bank = f"at {mandate.bank_name} " if mandate.bank_name else ""
    return f"{bank}ending in {mandate.account_ending}".strip()


def collect(session: Session, settings: Settings, tenant_id: uuid.UUID, invoice: Invoice,
            attempt: AutopayCharge, mandate: Mandate) -> AutopayCharge:
    """Create the direct debit of a due invoice on the mandate; the attempt is collecting."""
    gateway = gc_accounts.enabled_gateway(session, settings, tenant_id)
    state = gateway.collect(Collection(
        mandate_id=mandate.mandate_id, amount=invoice.balance_due, currency=invoice.currency,
        description=f"Invoice {invoice.number}",
        metadata={"dotmac_tenant": str(tenant_id), "dotmac_invoice": str(invoice.id),
                  "dotmac_attempted_on": attempt.attempted_on.isoformat()},
        idempotency_key=f"direct-debit-{invoice.id}-{attempt.attempted_on.isoformat()}"))
    attempt.payment_intent_id, attempt.status = state.reference, "collecting"
    attempt.reason = f"direct debit {state.status}" + (
        f", charge date {state.charge_date}" if state.charge_date else "")
    session.flush()
    return attempt


def _attempt_for(session: Session, tenant_id: uuid.UUID,
                 state: CollectionState) -> AutopayCharge | None:
    """The attempt a payment belongs to: by its id, else by the invoice and day in its
    metadata (the job stopped after the gateway created it), made if it is missing."""
    found = session.scalars(select(AutopayCharge).where(
        AutopayCharge.tenant_id == tenant_id, AutopayCharge.payment_intent_id == state.reference
    ).with_for_update()).first()
    if found is not None:
        return found
    try:
        invoice_id = uuid.UUID(state.metadata.get("dotmac_invoice", ""))
        day = date.fromisoformat(state.metadata.get("dotmac_attempted_on", ""))
    except ValueError:
        return None
    invoice = InvoiceRepository(session, tenant_id).find(invoice_id)
    if invoice is None:
        return None
    attempt = session.scalars(select(AutopayCharge).where(
        AutopayCharge.tenant_id == tenant_id, AutopayCharge.invoice_id == invoice.id,
        AutopayCharge.attempted_on == day).with_for_update()).one_or_none()
    if attempt is None:
        attempt = AutopayCharge(tenant_id=tenant_id, invoice_id=invoice.id,
                                customer_id=invoice.customer_id, attempted_on=day,
                                amount=state.amount, currency=state.currency)
        session.add(attempt)
    attempt.payment_intent_id = state.reference
    if attempt.status == "pending":
        attempt.status = "collecting"
    session.flush()
    return attempt


def apply_event(session: Session, settings: Settings, tenant_id: uuid.UUID,
                gateway: DirectDebitGateway, event: DirectDebitEvent) -> str:
    """A payments event: record the payment once it is collected, or the failure."""
    reference = event.links.get("payment")
    if not reference:
        return "ignored"
    state = gateway.payment(reference)
    if state.metadata.get("dotmac_tenant") != str(tenant_id):
        return "not a payment of this account's autopay"
    attempt = _attempt_for(session, tenant_id, state)
    if attempt is None:
        return "not started here"
    if state.collected:
        return _record(session, tenant_id, gateway, attempt, state)
    if state.failed:
        reason = event.reason if event.action in FAILURE_ACTIONS else f"payment {state.status}"
        return _fail(session, settings, tenant_id, attempt, reason, event.action)
    return f"waiting: {state.status}"


def _record(session: Session, tenant_id: uuid.UUID, gateway: DirectDebitGateway,
            attempt: AutopayCharge, state: CollectionState) -> str:
    if attempt.payment_id is not None:
        return "already recorded"
    invoice = InvoiceRepository(session, tenant_id).get(attempt.invoice_id, for_update=True)
    still_open = {i.id for i in billing.open_invoices_of(session, tenant_id,
                                                         invoice.customer_id)}
    payment, created = billing.receive_payment_once(session, tenant_id, PaymentInput(
        customer_id=invoice.customer_id, method=PaymentMethod.DIRECT_DEBIT,
        amount=state.amount, currency=state.currency,
        received_on=billing.tenant_today(session, tenant_id), reference=state.reference,
        idempotency_key=f"{gateway.name}:{state.reference}", gateway=gateway.name,
        # money collected after staff settled the invoice becomes credit, oldest first
        invoice_ids=[invoice.id] if invoice.id in still_open else [],
        notes="direct debit (autopay)"))
    attempt.status, attempt.payment_id, attempt.reason = "succeeded", payment.id, ""
    session.flush()
    return f"recorded {payment.number}" if created else "already recorded"


def _fail(session: Session, settings: Settings, tenant_id: uuid.UUID, attempt: AutopayCharge,
          reason: str, action: str) -> str:
    if attempt.status == "succeeded":
        # a charge-back after the money was recorded: staff decide (refund or void)
        return f"{action} after it was recorded; see the payment"
    if attempt.status == "declined":
        if action in FAILURE_ACTIONS:  # the event with the gateway's own words
            attempt.reason = reason[:500]
        return "already failed"
    attempt.status, attempt.reason = "declined", reason[:500]
    session.flush()
    invoice = InvoiceRepository(session, tenant_id).get(attempt.invoice_id)
    retry_on = next_attempt_on(invoice, declines_of(session, tenant_id, invoice.id),
                               retry_schedule.retry_days_of(session, settings, tenant_id),
                               attempt.attempted_on)
    mandate = mandates.mandate_of(session, tenant_id, invoice.customer_id)
    notify.email_direct_debit_failed(session, tenant_id, invoice, bank_words(mandate),
                                     attempt.reason, retry_on)
    return f"failed: {attempt.reason}"
