"""Tenant-A direct debit mandates and autopay attempts for the isolation test."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from dotmac_isp.modules.billing.gateways.models import AutopayCharge, Mandate
from tests.support.tenant_objects import ObjectContext, tenant_object


@tenant_object("mandate_id")
def mandate(ctx: ObjectContext) -> str:
    row = Mandate(tenant_id=ctx.tenant.id, gateway="gocardless",
                  customer_id=uuid.UUID(ctx.need("customer_id")), mandate_id="MD00ISOLATION",
                  status="active", bank_name="BARCLAYS BANK PLC", account_ending="11")
    ctx.session.add(row)
    ctx.session.flush()
    return str(row.id)


@tenant_object("charge_id")
def autopay_charge(ctx: ObjectContext) -> str:
    invoice_id = uuid.UUID(ctx.need("invoice_id"))
    row = AutopayCharge(tenant_id=ctx.tenant.id, invoice_id=invoice_id,
                        customer_id=uuid.UUID(ctx.need("customer_id")),
                        attempted_on=date(2026, 4, 20), amount=Decimal("86.00"),
                        currency="USD", status="collecting", payment_intent_id="PM00ISOLATION")
    ctx.session.add(row)
    ctx.session.flush()
    return str(row.id)
