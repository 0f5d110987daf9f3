"""Direct debit mandates: the customer (from the portal, or sent a link by staff) sets up a
mandate on the gateway's hosted page; who agreed, when and how is kept. The mandate is read
back from the gateway's API on the customer's return and on its webhooks (in whatever order
they come), and is the customer's saved payment method for autopay while it is usable."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing.gateways import gocardless_accounts as gc_accounts
from dotmac_isp.modules.billing.gateways.models import Mandate
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.sdks.direct_debit import (
    USABLE_MANDATES,
    DirectDebitEvent,
    DirectDebitGateway,
    MandateInfo,
    MandateSetupRequest,
)
from dotmac_isp.shared.errors import InvalidState, ValidationFailed
from dotmac_isp.shared.pagination import Page, PageParams
from dotmac_isp.shared.tenancy import TenantRepository


class MandateRepository(TenantRepository[Mandate]):
    model = Mandate
    not_found_message = "mandate not found"


@dataclass(frozen=True)
class Consent:
    """The customer's agreement to be collected by direct debit."""

    by: str  # who gave or took it
    at: datetime
    how: str  # the portal's checkbox, a phone call, a signed form...


def mandate_of(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
               *, for_update: bool = False) -> Mandate | None:
    stmt = MandateRepository(session, tenant_id).select().where(
        Mandate.customer_id == customer_id)
    return session.scalars(stmt.with_for_update() if for_update else stmt).one_or_none()


def get_mandate(session: Session, tenant_id: uuid.UUID, mandate_id: uuid.UUID) -> Mandate:
    return MandateRepository(session, tenant_id).get(mandate_id)


def list_mandates(session: Session, tenant_id: uuid.UUID, params: PageParams,
                  customer_id: uuid.UUID | None = None) -> Page[Mandate]:
    repo = MandateRepository(session, tenant_id)
    stmt = repo.select().order_by(Mandate.created_at.desc(), Mandate.id)
    if customer_id is not None:
        stmt = stmt.where(Mandate.customer_id == customer_id)
    return repo.list(params, stmt)


def usable(mandate: Mandate | None) -> bool:
    return mandate is not None and bool(mandate.mandate_id) and (
        mandate.status in USABLE_MANDATES)


def on_autopay(tenant_id: uuid.UUID) -> Any:
    """The customers whose due invoices autopay collects by direct debit (a select)."""
    return select(Mandate.customer_id).where(
        Mandate.tenant_id == tenant_id, Mandate.autopay.is_(True), Mandate.mandate_id != "",
        Mandate.status.in_(sorted(USABLE_MANDATES)))


def collecting_mandate(session: Session, tenant_id: uuid.UUID,
                       customer_id: uuid.UUID) -> Mandate | None:
    """The mandate autopay collects the customer's invoices on, if any."""
    mandate = mandate_of(session, tenant_id, customer_id)
    return mandate if usable(mandate) and mandate is not None and mandate.autopay else None


def start_setup(session: Session, settings: Settings, tenant_id: uuid.UUID,
                customer_id: uuid.UUID, consent: Consent, *, return_url: str,
                exit_url: str) -> Mandate:
    """Open the gateway's mandate page for the customer, keeping their consent; the mandate
    row carries the page's address (setup_url) to send the customer to."""
    if not consent.how.strip() or not consent.by.strip():
        raise ValidationFailed("say how the customer agreed to direct debit",
                               extra={"field": "consent_method"})
    gateway = gc_accounts.enabled_gateway(session, settings, tenant_id)
    customer = customers_service.get_customer(session, tenant_id, customer_id)
    repo = MandateRepository(session, tenant_id)
    mandate = mandate_of(session, tenant_id, customer.id, for_update=True) or repo.add(
        Mandate(gateway=gateway.name, customer_id=customer.id))
    session.flush()
    setup = gateway.start_mandate_setup(MandateSetupRequest(
        email=customer.email or "", given_name=customer.first_name or "",
        family_name=customer.last_name or "", company_name=customer.company_name or "",
        currency=customer.currency, return_url=return_url, exit_url=exit_url,
        metadata={"dotmac_tenant": str(tenant_id), "dotmac_mandate": str(mandate.id),
                  "customer_number": customer.number},
        idempotency_key=f"mandate-setup-{uuid.uuid4()}"))
    mandate.setup_request_id, mandate.setup_url = setup.request_id, setup.url
    mandate.consent_at, mandate.consent_by = consent.at, consent.by.strip()[:255]
    mandate.consent_method = consent.how.strip()[:255]
    mandate.autopay = True  # the agreement is to collect the invoices as they fall due
    if not mandate.mandate_id:
        mandate.status = "setting_up"
    session.flush()
    return mandate


def _apply(mandate: Mandate, info: MandateInfo, reason: str = "") -> None:
    if mandate.mandate_id not in ("", info.mandate_id) and info.status not in USABLE_MANDATES:
        return  # an old mandate's news; the customer has a newer one
    mandate.mandate_id, mandate.status = info.mandate_id, info.status
    mandate.gateway_customer_id = info.gateway_customer_id or mandate.gateway_customer_id
    if info.bank_name or info.account_ending:
        mandate.bank_name, mandate.account_ending = info.bank_name, info.account_ending
        mandate.account_holder, mandate.scheme = info.account_holder, info.scheme
    mandate.status_reason = "" if info.status in USABLE_MANDATES else reason[:500]
    mandate.setup_url = ""


def finish_setup(session: Session, settings: Settings, tenant_id: uuid.UUID,
                 customer_id: uuid.UUID) -> Mandate | None:
    """Back from the gateway: keep the mandate it set up (read from its API)."""
    mandate = mandate_of(session, tenant_id, customer_id, for_update=True)
    if mandate is None or not mandate.setup_request_id or not mandate.setup_url:
        return mandate
    gateway = gc_accounts.account_gateway(session, settings, tenant_id)
    if gateway is None:
        return mandate
    info = gateway.mandate_set_up(mandate.setup_request_id)
    if info is not None:
        _apply(mandate, info)
        session.flush()
    return mandate


def apply_event(session: Session, tenant_id: uuid.UUID, gateway: DirectDebitGateway,
                event: DirectDebitEvent) -> str:
    """A billing request or mandate event: the mandate as the gateway's API has it now."""
    if event.resource_type == "billing_requests":
        if event.action != "fulfilled" or not event.links.get("billing_request"):
            return "ignored"
        info = gateway.mandate_set_up(event.links["billing_request"])
        if info is None:
            return "not fulfilled yet"
    elif event.links.get("mandate"):
        info = gateway.mandate(event.links["mandate"])
    else:
        return "ignored"
    if info.metadata.get("dotmac_tenant") not in (None, str(tenant_id)):
        return "not a mandate of this account"
    mandate = _mandate_for(session, tenant_id, info)
    if mandate is None:
        return "not set up here"
    _apply(mandate, info, event.reason)
    session.flush()
    return f"mandate {info.mandate_id} {info.status}"


def _mandate_for(session: Session, tenant_id: uuid.UUID, info: MandateInfo) -> Mandate | None:
    repo = MandateRepository(session, tenant_id)
    found = session.scalars(repo.select().where(Mandate.mandate_id == info.mandate_id)
                            .with_for_update()).first()
    if found is not None:
        return found
    try:
        row_id = uuid.UUID(info.metadata.get("dotmac_mandate", ""))
    except ValueError:
        return None
    return session.scalars(repo.select().where(Mandate.id == row_id).with_for_update()
                           ).one_or_none()


def set_autopay(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                on: bool, consent: Consent | None = None) -> Mandate:
    """Collect due invoices by direct debit (recording the consent) or stop doing so."""
    mandate = mandate_of(session, tenant_id, customer_id, for_update=True)
    if mandate is None or not usable(mandate):
        raise InvalidState("set up a direct debit first")
    mandate.autopay = on
    if on and consent is not None:
        mandate.consent_at, mandate.consent_by = consent.at, consent.by[:255]
        mandate.consent_method = consent.how[:255]
    session.flush()
    return mandate
