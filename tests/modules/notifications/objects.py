"""Tenant-A notification objects for the isolation test."""

from __future__ import annotations

from dotmac_isp.modules.notifications import schemas, service
from tests.support.tenant_objects import ObjectContext, tenant_object


@tenant_object("template_id")
def template(ctx: ObjectContext) -> str:
    return str(service.create_template(ctx.session, ctx.tenant.id, schemas.TemplateCreate(
        event_key="billing.invoice_issued", subject="A invoice {{ invoice.number }}",
        body_text="Pay {{ invoice.total }}")).id)


@tenant_object("delivery_id")
def delivery(ctx: ObjectContext) -> str:
    return str(service.send(ctx.session, ctx.tenant.id, "billing.payment_received",
                            "payer@tenant-a.example", {"customer": {"name": "A"}}).id)
