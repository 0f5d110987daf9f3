"""Tenant-A customer objects for the isolation test."""

from __future__ import annotations

import uuid

from dotmac_isp.modules.customers import portal
from dotmac_isp.modules.customers.schemas import PortalAccountCreate
from tests.support.customers import make_customer
from tests.support.tenant_objects import ObjectContext, example_body, tenant_object


@tenant_object("customer_id")
def customer(ctx: ObjectContext) -> str:
    made = make_customer(ctx.session, ctx.tenant, email="isolated@tenant-a.example")
    made.contacts  # noqa: B018 - loaded for the contact factory
    portal.create_account(ctx.session, ctx.settings, ctx.tenant.id, made.id,
                          PortalAccountCreate(password="portal-pass-123"))
    return str(made.id)


@tenant_object("address_id")
def address(ctx: ObjectContext) -> str:
    from dotmac_isp.modules.customers import service

    made = service.get_customer(ctx.session, ctx.tenant.id, uuid.UUID(ctx.need("customer_id")))
    return str(made.addresses[0].id)


@tenant_object("contact_id")
def contact(ctx: ObjectContext) -> str:
    from dotmac_isp.modules.customers import service
    from dotmac_isp.modules.customers.schemas import ContactIn

    made = service.add_contact(ctx.session, ctx.tenant.id, uuid.UUID(ctx.need("customer_id")),
                               ContactIn(name="Billing Person", email="bp@tenant-a.example"))
    return str(made.id)


_C = "/api/v1/customers/{customer_id}"
example_body("POST", f"{_C}/status", {"status": "suspended"})
example_body("POST", f"{_C}/addresses", {"line1": "1 Stolen Street"})
example_body("PUT", f"{_C}/addresses/{{address_id}}", {"line1": "1 Stolen Street"})
example_body("POST", f"{_C}/contacts", {"name": "Intruder"})
example_body("PUT", f"{_C}/contacts/{{contact_id}}", {"name": "Intruder"})
