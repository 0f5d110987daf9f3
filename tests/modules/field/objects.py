"""Tenant-A field objects for the isolation walk."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import uuid

from dotmac_isp.modules.field import checklists, files, schemas, service
from dotmac_isp.modules.field.access import whole_tenant
from dotmac_isp.modules.field.enums import AttachmentKind
from dotmac_isp.modules.support.settings import SupportSettings
from tests.modules.field.factories import PNG, set_checklist
from tests.support.tenant_objects import ObjectContext, example_body, tenant_object


@tenant_object("work_order_id")
def work_order(ctx: ObjectContext) -> str:
    set_checklist(ctx.session, ctx.tenant, "installation", [("Mount the ONT", True)])
    made = service.create_work_order(ctx.session, ctx.tenant.id, schemas.WorkOrderCreate(
        kind="installation", customer_id=uuid.UUID(ctx.need("customer_id")),  # type: ignore[arg-type]
        description="A's install"))
    return str(made.id)


@tenant_object("checklist_item_id")
def checklist_item(ctx: ObjectContext) -> str:
    order = service.get_work_order(ctx.session, ctx.tenant.id, uuid.UUID(ctx.need(
        "work_order_id")))
    return str(checklists.items_of(ctx.session, whole_tenant(ctx.tenant.id), order.id)[0].id)


@tenant_object("work_order_file_id")
def work_order_file(ctx: ObjectContext) -> str:
    existing = getattr(ctx.client.app.state, "support_settings", None)  # type: ignore[attr-defined]
    if existing is None:
        root = tempfile.mkdtemp(prefix="dotmac-isolation-")
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        existing = SupportSettings(attachments_dir=root)
        ctx.client.app.state.support_settings = existing  # type: ignore[attr-defined]
    made = files.add_attachment(ctx.session, existing, whole_tenant(ctx.tenant.id),
                                uuid.UUID(ctx.need("work_order_id")), AttachmentKind.PHOTO,
                                "a-site.png", PNG)
    return str(made.id)


_W = "/api/v1/work-orders/{work_order_id}"
example_body("PATCH", _W, {"description": "tenant B was here"})
example_body("POST", f"{_W}/status", {"status": "cancelled"})
example_body("POST", f"{_W}/schedule", {
    "technician_id": str(uuid.UUID(int=1)), "window_start": "2030-01-01T09:00:00Z",
    "window_end": "2030-01-01T11:00:00Z"})
example_body("POST", f"{_W}/checklist/{{checklist_item_id}}", {"done": True})
example_body("POST", f"{_W}/notes", {"body": "tenant B was here"})
