"""Tenant-A inventory objects for the isolation test: one factory per API path parameter,
and request bodies that get past validation to the object lookup."""

from __future__ import annotations

import uuid

from dotmac_isp.modules.inventory import catalogue, movements, schemas
from tests.modules.inventory.factories import make_item_model, make_location
from tests.support.tenant_objects import ObjectContext, example_body, tenant_object


@tenant_object("item_model_id")
def item_model(ctx: ObjectContext) -> str:
    return str(make_item_model(ctx.session, ctx.tenant, model="A-ONU").id)


@tenant_object("location_id")
def location(ctx: ObjectContext) -> str:
    return str(make_location(ctx.session, ctx.tenant, "A warehouse").id)


@tenant_object("movement_id")
def movement(ctx: ObjectContext) -> str:
    rows = movements.receive(ctx.session, ctx.tenant.id, schemas.ReceiveIn(
        location_id=uuid.UUID(ctx.need("location_id")),
        item_model_id=uuid.UUID(ctx.need("item_model_id")),
        units=[schemas.Unit(serial="A-SERIAL-1", mac="02:00:00:aa:00:01")]))
    catalogue.set_threshold(ctx.session, ctx.tenant.id, uuid.UUID(ctx.need("location_id")),
                            schemas.ThresholdSet(item_model_id=rows[0].item_model_id,
                                                 minimum=5))
    ctx.made["inventory_item_id"] = str(rows[0].item_id)
    return str(rows[0].id)


@tenant_object("inventory_item_id")
def item(ctx: ObjectContext) -> str:
    ctx.need("movement_id")
    return ctx.made["inventory_item_id"]


_I = "/api/v1/inventory"
example_body("PATCH", f"{_I}/models/{{item_model_id}}", {"notes": "moved"})
example_body("PATCH", f"{_I}/locations/{{location_id}}", {"address": "elsewhere"})
example_body("PUT", f"{_I}/locations/{{location_id}}/thresholds",
             {"item_model_id": str(uuid.UUID(int=1)), "minimum": 3})
example_body("PATCH", f"{_I}/items/{{inventory_item_id}}", {"notes": "taken"})
_J = "/api/v1/work-orders/{work_order_id}/equipment"
example_body("POST", f"{_J}/install", {"code": "A-SERIAL-1"})
example_body("POST", f"{_J}/take-back", {"item_id": str(uuid.UUID(int=1)),
                                         "to_location_id": str(uuid.UUID(int=2))})
