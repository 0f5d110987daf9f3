"""Vouchers bought on the captive portal, by a visitor without an account: the visitor picks
a plan and gives an email, pays on the tenant's card gateway's hosted page, and gets one
voucher sold to that email, shown on the return page and emailed.

The purchase row is keyed by the gateway's checkout session. The gateway's webhook (routed
here by billing's gateway service, on the metadata key MARK) and the return page both
converge on `fulfil`, which locks the purchase and moves it from open to paid with a
conditional update, so however many times it runs, one voucher is issued."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import update
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing.gateways import accounts
from dotmac_isp.modules.hotspot import service
from dotmac_isp.modules.hotspot.enums import PurchaseStatus
from dotmac_isp.modules.hotspot.models import HotspotSite, Voucher, VoucherPurchase
from dotmac_isp.modules.identity import audit
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.notifications import service as notifications
from dotmac_isp.sdks.payments import CheckoutRequest, SettledPayment
from dotmac_isp.shared.errors import AppError, InvalidState, ValidationFailed
from dotmac_isp.shared.money import format_amount
from dotmac_isp.shared.tenancy import TenantRepository
from dotmac_isp.shared.types import utcnow

log = logging.getLogger(__name__)
MARK = "dotmac_voucher_purchase"  # the checkout metadata key that marks a voucher purchase
EMAIL_EVENT = "hotspot.voucher_purchased"
NOT_AVAILABLE = "Buying a voucher online is not available here; please ask at the counter."


class PurchaseRepository(TenantRepository[VoucherPurchase]):
    model = VoucherPurchase
    not_found_message = "voucher purchase not found"


def portal_base(settings: Settings, slug: str, site_ref: str) -> str:
    return f"{settings.public_url.rstrip('/')}/hotspot/{slug}/{site_ref}"


def start_purchase(session: Session, settings: Settings, tenant_id: uuid.UUID,
                   site: HotspotSite, site_ref: str, plan_id: uuid.UUID, email: str) -> str:
    """Open a hosted checkout for one voucher of an active plan at its retail price; the
    URL to send the visitor to."""
    if not accounts.pays_online(session, tenant_id):
        raise InvalidState(NOT_AVAILABLE)
    gateway = accounts.enabled_gateway(session, settings, tenant_id)
    plan = service.get_plan(session, tenant_id, plan_id)
    if not plan.is_active:
        raise InvalidState(f"{plan.name} is no longer on sale", extra={"field": "plan_id"})
    try:
        address = notifications.normalise_address(email)
    except ValidationFailed as exc:
        raise ValidationFailed("enter the email address the voucher is sent to",
                               extra={"field": "email"}) from exc
    tenant = identity_service.get_tenant(session, tenant_id)
    purchase = PurchaseRepository(session, tenant_id).add(VoucherPurchase(
        plan_id=plan.id, site_id=site.id, email=address, amount=plan.price,
        currency=plan.currency, gateway=gateway.name, status=PurchaseStatus.OPEN.value))
    base = portal_base(settings, tenant.slug, site_ref)
    hosted = gateway.create_checkout(CheckoutRequest(
        amount=plan.price, currency=plan.currency,
        description=f"{tenant.name}: hotspot voucher {plan.name}",
        success_url=f"{base}/buy/return/{purchase.id}", cancel_url=f"{base}/buy",
        metadata={MARK: str(purchase.id), "dotmac_tenant": str(tenant_id)},
        customer_email=address, idempotency_key=f"voucher-purchase-{purchase.id}"))
    purchase.session_id = hosted.session_id
    session.flush()
    return hosted.url


def fulfil(session: Session, settings: Settings | None, tenant_id: uuid.UUID,
           settled: SettledPayment) -> tuple[VoucherPurchase | None, str]:
    """Issue the purchase's voucher once the gateway reports the payment in:
    (purchase, what happened). Running it again issues nothing."""
    if not settled.succeeded:
        return None, f"not succeeded: {settled.failure_message or 'pending'}"
    if settled.metadata.get("dotmac_tenant") != str(tenant_id):
        return None, "not a payment of this account's checkouts"
    try:
        purchase_id = uuid.UUID(settled.metadata.get(MARK, ""))
    except ValueError:
        return None, "not started here"
    repo = PurchaseRepository(session, tenant_id)
    if repo.find(purchase_id) is None:
        return None, "not started here"
    purchase = repo.get(purchase_id, for_update=True)
    if purchase.status == PurchaseStatus.PAID:
        return purchase, "voucher already issued"
    if settled.amount != purchase.amount or settled.currency != purchase.currency:
        return purchase, (f"paid {settled.amount} {settled.currency}, not the "
                          f"{purchase.amount} {purchase.currency} asked; no voucher issued")
    plan = service.get_plan(session, tenant_id, purchase.plan_id)
    now = utcnow()
    try:
        with session.begin_nested():
            voucher = service.issue_sold_voucher(
                session, tenant_id, plan, batch_name=f"Online sale {now:%Y-%m-%d %H:%M}",
                sold_to=purchase.email, created_by="online sale")
            claimed = session.execute(
                update(VoucherPurchase).where(VoucherPurchase.id == purchase.id,
                                              VoucherPurchase.status == PurchaseStatus.OPEN)
                .values(status=PurchaseStatus.PAID.value, voucher_id=voucher.id, paid_at=now,
                        payment_reference=settled.reference[:255], updated_at=now)
                .execution_options(synchronize_session=False))
            if not getattr(claimed, "rowcount", 0):
                raise _AlreadyIssued
    except _AlreadyIssued:
        session.refresh(purchase)
        return purchase, "voucher already issued"
    session.refresh(purchase)
    audit.record_bulk(session, "update", VoucherPurchase.__tablename__, [
        (tenant_id, purchase.id, {"status": PurchaseStatus.OPEN.value},
         {"status": PurchaseStatus.PAID.value, "voucher_id": str(voucher.id)})],
        label="voucher bought online")
    _email_code(session, settings, purchase, voucher)
    return purchase, "voucher issued"


class _AlreadyIssued(Exception):
    """Another delivery issued the voucher first: this one's is rolled back."""


def _email_code(session: Session, settings: Settings | None, purchase: VoucherPurchase,
                voucher: Voucher) -> None:
    tenant = identity_service.get_tenant(session, purchase.tenant_id)
    plan = service.get_plan(session, purchase.tenant_id, purchase.plan_id)
    login_url = ""
    if settings is not None:
        site_ref = str(purchase.site_id) if purchase.site_id else "default"
        login_url = f"{portal_base(settings, tenant.slug, site_ref)}/login?username={voucher.code}"
    context = {"tenant": {"name": tenant.name}, "voucher": {
        "code": voucher.code, "plan": plan.name, "price": format_amount(purchase.amount),
        "currency": purchase.currency, "login_url": login_url}}
    try:
        notifications.send(session, purchase.tenant_id, EMAIL_EVENT, purchase.email, context,
                           mail=settings.mail if settings is not None else None,
                           related_type="hotspot_voucher_purchase", related_id=purchase.id)
    except AppError as exc:  # the voucher stands; the return page shows its code anyway
        log.warning("voucher email not queued", extra={"purchase": str(purchase.id),
                                                        "reason": exc.detail})


def returned_as_is(session: Session, tenant_id: uuid.UUID,
                   purchase_id: uuid.UUID) -> tuple[VoucherPurchase, Voucher | None]:
    """The purchase and its voucher (if issued), without asking the gateway."""
    purchase = PurchaseRepository(session, tenant_id).get(purchase_id)
    voucher = (service.get_voucher(session, tenant_id, purchase.voucher_id)
               if purchase.voucher_id is not None else None)
    return purchase, voucher


def returned(session: Session, settings: Settings, tenant_id: uuid.UUID,
             purchase_id: uuid.UUID) -> tuple[VoucherPurchase, Voucher | None]:
    """The visitor is back from the hosted page: the purchase and its voucher, issued here
    if the gateway confirms the payment before its webhook arrives."""
    purchase = PurchaseRepository(session, tenant_id).get(purchase_id)
    if purchase.status != PurchaseStatus.PAID and purchase.session_id:
        account = accounts.find_account(session, tenant_id, purchase.gateway)
        if account is not None:
            gateway = accounts.gateway_of(settings, account)
            reference = gateway.checkout_payment(purchase.session_id)
            if reference is not None:
                found, _ = fulfil(session, settings, tenant_id, gateway.payment(reference))
                purchase = found or purchase
    return returned_as_is(session, tenant_id, purchase.id)
