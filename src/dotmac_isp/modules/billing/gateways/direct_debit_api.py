"""JSON API for direct debit mandates and autopay attempts (card charges and direct debit
collections): read-only; mandates are set up by the customer on the gateway's page."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from dotmac_isp.modules.billing.gateways import autopay, mandates
from dotmac_isp.modules.billing.gateways.models import AutopayCharge, Mandate
from dotmac_isp.modules.identity.deps import DbSession, require
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.shared.money import MoneyAmount
from dotmac_isp.shared.pagination import Page, PageParams, page_params

router = APIRouter(tags=["direct debit"])
Paging = Annotated[PageParams, Depends(page_params)]
P = Permission


class MandateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    customer_id: uuid.UUID
    gateway: str
    mandate_id: str
    status: str
    status_reason: str
    bank_name: str
    account_ending: str
    account_holder: str
    scheme: str
    autopay: bool
    consent_at: datetime | None
    consent_by: str
    consent_method: str
    created_at: datetime


class AutopayChargeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    invoice_id: uuid.UUID
    customer_id: uuid.UUID
    attempted_on: date
    amount: MoneyAmount
    currency: str
    status: str
    reason: str
    payment_intent_id: str
    payment_id: uuid.UUID | None


@router.get("/mandates", response_model=Page[MandateOut])
def list_mandates(session: DbSession, paging: Paging, customer_id: uuid.UUID | None = None,
                  principal: Principal = require(P.BILLING_READ)) -> Page[Mandate]:
    return mandates.list_mandates(session, principal.tenant_id, paging, customer_id)


@router.get("/mandates/{mandate_id}", response_model=MandateOut)
def get_mandate(mandate_id: uuid.UUID, session: DbSession,
                principal: Principal = require(P.BILLING_READ)) -> Mandate:
    return mandates.get_mandate(session, principal.tenant_id, mandate_id)


@router.get("/autopay-charges", response_model=list[AutopayChargeOut])
def list_autopay_charges(session: DbSession, customer_id: uuid.UUID,
                         principal: Principal = require(P.BILLING_READ)) -> list[AutopayCharge]:
    """The customer's last automatic payment attempts, newest first."""
    return autopay.charges_of(session, principal.tenant_id, customer_id)


@router.get("/autopay-charges/{charge_id}", response_model=AutopayChargeOut)
def get_autopay_charge(charge_id: uuid.UUID, session: DbSession,
                       principal: Principal = require(P.BILLING_READ)) -> AutopayCharge:
    return autopay.get_charge(session, principal.tenant_id, charge_id)
