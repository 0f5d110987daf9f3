"""Tenant-A hotspot objects for the isolation test."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from dotmac_isp.modules.hotspot import schemas, sites
from dotmac_isp.modules.hotspot.models import Voucher
from tests.modules.hotspot.support import make_batch, make_voucher_plan
from tests.support.tenant_objects import ObjectContext, example_body, tenant_object


@tenant_object("voucher_plan_id")
def voucher_plan(ctx: ObjectContext) -> str:
    return str(make_voucher_plan(ctx.session, ctx.tenant, name="A day pass").id)


@tenant_object("batch_id")
def batch(ctx: ObjectContext) -> str:
    plan = make_voucher_plan(ctx.session, ctx.tenant, name="A batch plan")
    return str(make_batch(ctx.session, ctx.tenant, plan, 2, name="A cafe").id)


@tenant_object("voucher_id")
def voucher(ctx: ObjectContext) -> str:
    return str(ctx.session.scalars(select(Voucher.id).where(
        Voucher.batch_id == uuid.UUID(ctx.need("batch_id")))).first())


@tenant_object("hotspot_site_id")
def hotspot_site(ctx: ObjectContext) -> str:
    return str(sites.create_site(ctx.session, ctx.tenant.id,
                                 schemas.SiteCreate(name="A lobby")).id)


example_body("PATCH", "/api/v1/hotspot/plans/{voucher_plan_id}", {"price": "3.00"})
example_body("POST", "/api/v1/hotspot/batches/{batch_id}/sell", {"sold_to": "B reseller"})
example_body("POST", "/api/v1/hotspot/vouchers/{voucher_id}/sell", {"sold_to": "B reseller"})
example_body("POST", "/api/v1/hotspot/vouchers/{voucher_id}/revoke", {"reason": "B says so"})
example_body("PUT", "/api/v1/hotspot/sites/{hotspot_site_id}", {"name": "B took it"})
example_body("POST", "/api/v1/hotspot/batches/{batch_id}/sell-to-reseller",
             {"reseller_id": "00000000-0000-4000-8000-000000000001"})
