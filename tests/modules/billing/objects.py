"""Tenant-A billing objects for the isolation test."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from dotmac_isp.modules.billing import invoices, payments, run, setup
from dotmac_isp.modules.billing.enums import LineKind, PaymentMethod
from dotmac_isp.modules.billing.invoices import LineInput
from tests.support.tenant_objects import ObjectContext, example_body, tenant_object


def _invoice(ctx: ObjectContext) -> uuid.UUID:
    customer_id = uuid.UUID(ctx.need("customer_id"))
    # a seller country, which an e-invoice of this invoice needs
    setup.billing_settings(ctx.session, ctx.tenant.id).company_country = "DE"
    draft = invoices.new_draft(ctx.session, ctx.tenant.id, customer_id)
    invoices.add_lines(ctx.session, draft, [LineInput(LineKind.ONE_OFF, "Router",
                                                      Decimal("80.00"))])
    invoices.issue(ctx.session, draft, date(2026, 4, 1))
    ctx.session.flush()
    return draft.id


@tenant_object("rate_id")
def tax_rate(ctx: ObjectContext) -> str:
    return str(setup.create_tax_rate(ctx.session, ctx.tenant.id, "VAT", Decimal("7.5")).id)


@tenant_object("invoice_id")
def invoice(ctx: ObjectContext) -> str:
    return str(_invoice(ctx))


@tenant_object("note_id")
def credit_note(ctx: ObjectContext) -> str:
    target = uuid.UUID(ctx.need("invoice_id"))
    return str(invoices.credit(ctx.session, ctx.tenant.id, target, amount=Decimal("5.00"),
                               reason="goodwill", on=date(2026, 4, 2)).id)


@tenant_object("payment_id")
def payment(ctx: ObjectContext) -> str:
    ctx.need("invoice_id")
    made, _ = payments.record(ctx.session, ctx.tenant.id, payments.PaymentInput(
        customer_id=uuid.UUID(ctx.need("customer_id")), method=PaymentMethod.CASH,
        amount=Decimal("100.00"), currency="USD", received_on=date(2026, 4, 3)))
    return str(made.id)


@tenant_object("run_id")
def billing_run(ctx: ObjectContext) -> str:
    ctx.session.flush()
    from tests.conftest import RollbackDatabase  # the rolled-back database of this test

    database = RollbackDatabase(ctx.session.get_bind().engine,  # type: ignore[union-attr]
                                ctx.session.connection())
    return str(run.run(database, ctx.tenant.id, date(2026, 4, 1)).id)  # type: ignore[arg-type]


example_body("POST", "/api/v1/invoices/{invoice_id}/credit-notes", {"reason": "intrusion"})
example_body("POST", "/api/v1/payments/{payment_id}/refunds",
             {"amount": "1.00", "reason": "intrusion"})
example_body("POST", "/api/v1/payments/{payment_id}/void", {"reason": "intrusion"})
