"""Tenant-A RADIUS objects for the isolation test."""

from __future__ import annotations

import uuid

from dotmac_isp.modules.network.radius import nas as nas_service
from dotmac_isp.modules.network.radius import schemas
from dotmac_isp.modules.network.radius.models import CoaRequest, RadAcct
from dotmac_isp.shared.types import utcnow
from tests.support.tenant_objects import ObjectContext, example_body, tenant_object


@tenant_object("nas_id")
def nas_client(ctx: ObjectContext) -> str:
    nas, _secret = nas_service.create_nas(ctx.session, ctx.settings, ctx.tenant.id,
                                          schemas.NasCreate(name="A BNG", address="192.0.2.1",
                                                            secret="tenant-a-secret"))
    return str(nas.id)


@tenant_object("radacctid")
def accounting_session(ctx: ObjectContext) -> str:
    # a distinctive id: the list check looks for it in response bodies
    row = RadAcct(radacctid=7_340_917_266_551, tenant_id=ctx.tenant.id, acctsessionid="A-SESSION",
                  acctuniqueid=uuid.uuid4().hex, username="a-user", nasipaddress="192.0.2.1",
                  acctstarttime=utcnow(), nas_id=uuid.UUID(ctx.need("nas_id")),
                  subscription_id=uuid.UUID(ctx.need("subscription_id")))
    ctx.session.add(row)
    ctx.session.flush()
    return str(row.radacctid)


@tenant_object("coa_id")
def coa_request(ctx: ObjectContext) -> str:
    row = CoaRequest(tenant_id=ctx.tenant.id, nas_id=uuid.UUID(ctx.need("nas_id")),
                     username="a-user", target_address="192.0.2.1", target_port=3799,
                     kind="disconnect", reason="staff", attributes=[], state="acked",
                     response="ACK")
    ctx.session.add(row)
    ctx.session.flush()
    return str(row.id)


example_body("PATCH", "/api/v1/radius/nas/{nas_id}", {"description": "tenant B was here"})
