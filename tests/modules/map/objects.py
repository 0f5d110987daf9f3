"""Tenant-A map objects for the isolation test, and request bodies for its map endpoints."""

from __future__ import annotations

import uuid

from dotmac_isp.modules.network.devices import service as devices_service
from tests.modules.map.helpers import make_area, polygon, square
from tests.support.tenant_objects import ObjectContext, example_body, tenant_object


@tenant_object("area_id")
def area(ctx: ObjectContext) -> str:
    site = devices_service.get_site(ctx.session, ctx.tenant.id, uuid.UUID(ctx.need("site_id")))
    return str(make_area(ctx.session, ctx.tenant, polygon(square(3.3, 6.4, 0.1)),
                         name="a-area", site=site, plan_ids=[uuid.UUID(ctx.need("plan_id"))]).id)


example_body("PUT", "/api/v1/map/areas/{area_id}", {"name": "stolen area"})
