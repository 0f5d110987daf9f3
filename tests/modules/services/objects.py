"""Tenant-A plan and subscription objects for the isolation test."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.services import catalogue, schemas, service
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.shared.types import utcnow
from tests.support.customers import make_plan, make_subscription
from tests.support.tenant_objects import ObjectContext, example_body, tenant_object


@tenant_object("plan_id")
def plan(ctx: ObjectContext) -> str:
    return str(make_plan(ctx.session, ctx.tenant, name="A Fibre 100").id)


@tenant_object("addon_id")
def addon(ctx: ObjectContext) -> str:
    return str(catalogue.create_addon(ctx.session, ctx.tenant.id, schemas.AddonCreate(
        name="Static IP", price=Decimal("5.00"))).id)


@tenant_object("subscription_id")
def subscription(ctx: ObjectContext) -> str:
    customer = customers_service.get_customer(ctx.session, ctx.tenant.id,
                                              uuid.UUID(ctx.need("customer_id")))
    plan_obj = catalogue.get_plan(ctx.session, ctx.tenant.id, uuid.UUID(ctx.need("plan_id")))
    sub = make_subscription(ctx.session, ctx.settings, ctx.tenant, customer=customer,
                            plan=plan_obj, status=SubscriptionStatus.ACTIVE)
    return str(sub.id)


@tenant_object("change_id")
def scheduled_change(ctx: ObjectContext) -> str:
    _sub, change = service.request_status(
        ctx.session, ctx.tenant.id, uuid.UUID(ctx.need("subscription_id")),
        schemas.ServiceStatusUpdate(status=SubscriptionStatus.SUSPENDED,
                                    effective_at=utcnow() + timedelta(days=3)))
    assert change is not None
    return str(change.id)


@tenant_object("item_id")
def subscription_addon(ctx: ObjectContext) -> str:
    return str(service.attach_addon(ctx.session, ctx.tenant.id,
                                    uuid.UUID(ctx.need("subscription_id")),
                                    schemas.AddonAttach(addon_id=uuid.UUID(ctx.need("addon_id")))
                                    ).id)


_S = "/api/v1/subscriptions/{subscription_id}"
example_body("POST", f"{_S}/status", {"status": "suspended", "reason": "intrusion"})
example_body("POST", f"{_S}/change-plan", {"plan_id": str(uuid.UUID(int=1))})
example_body("POST", f"{_S}/addons", {"addon_id": str(uuid.UUID(int=1))})
