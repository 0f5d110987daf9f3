"""Tenant-A identity objects for the isolation test."""

from __future__ import annotations

from dotmac_isp.modules.identity import schemas, service
from dotmac_isp.modules.identity.auth import principal_for_user
from tests.support.factories import make_user
from tests.support.tenant_objects import ObjectContext, tenant_object


@tenant_object("user_id")
def user(ctx: ObjectContext) -> str:
    victim = make_user(ctx.session, ctx.settings, ctx.tenant, "support",
                       email="victim@tenant-a.example")
    return str(victim.user.id)


@tenant_object("role_id")
def role(ctx: ObjectContext) -> str:
    created = service.create_role(ctx.session, principal_for_user(ctx.admin.user),
                                  schemas.RoleCreate(name="a-custom", permissions=["users:read"]))
    return str(created.id)


@tenant_object("key_id")
def api_key(ctx: ObjectContext) -> str:
    response = ctx.client.post("/api/v1/api-keys", headers=ctx.admin.headers,
                               json={"name": "a-key", "scopes": ["users:read"]})
    return str(response.json()["id"])
