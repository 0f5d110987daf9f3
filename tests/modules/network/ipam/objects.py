"""Tenant-A IPAM objects for the isolation test."""

from __future__ import annotations

import uuid

from dotmac_isp.modules.network.ipam import pools
from tests.modules.network.ipam.factories import make_pool, make_vrf, take
from tests.support.tenant_objects import ObjectContext, tenant_object


@tenant_object("vrf_id")
def vrf(ctx: ObjectContext) -> str:
    return str(make_vrf(ctx.session, ctx.tenant, "tenant-a-vrf").id)


@tenant_object("pool_id")
def pool(ctx: ObjectContext) -> str:
    return str(make_pool(ctx.session, ctx.tenant, "100.64.0.0/24", name="tenant-a-pool",
                         gateway="100.64.0.1").id)


@tenant_object("prefix_id")
def prefix(ctx: ObjectContext) -> str:
    made = pools.get_pool(ctx.session, ctx.tenant.id, uuid.UUID(ctx.need("pool_id")))
    return str(made.prefix_id)


@tenant_object("allocation_id")
def allocation(ctx: ObjectContext) -> str:
    made = pools.get_pool(ctx.session, ctx.tenant.id, uuid.UUID(ctx.need("pool_id")))
    return str(take(ctx.session, made, holder_id=uuid.uuid4()).id)
