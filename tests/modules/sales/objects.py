"""Tenant-A sales objects for the isolation walk."""

from __future__ import annotations

import uuid

from dotmac_isp.modules.sales import leads, quotes
from tests.modules.sales.factories import make_lead, make_quote
from tests.support.tenant_objects import ObjectContext, example_body, tenant_object


@tenant_object("lead_id")
def lead(ctx: ObjectContext) -> str:
    return str(make_lead(ctx.session, ctx.tenant, name="Tenant A Prospect").id)


@tenant_object("quote_id")
def quote(ctx: ObjectContext) -> str:
    lead = uuid.UUID(ctx.need("lead_id"))
    made = make_quote(ctx.session, ctx.tenant, lead=leads.get_lead(
        ctx.session, ctx.tenant.id, lead))
    return str(made.id)


@tenant_object("quote_line_id")
def quote_line(ctx: ObjectContext) -> str:
    made = uuid.UUID(ctx.need("quote_id"))
    return str(quotes.lines_of(ctx.session, ctx.tenant.id, made)[0].id)


_L, _Q = "/api/v1/sales/leads/{lead_id}", "/api/v1/sales/quotes/{quote_id}"
example_body("PATCH", _L, {"name": "tenant B was here"})
example_body("POST", f"{_L}/stage", {"stage": "lost", "lost_reason": "tenant B"})
example_body("POST", f"{_L}/notes", {"body": "tenant B was here"})
example_body("PATCH", _Q, {"notes": "tenant B was here"})
example_body("POST", f"{_Q}/lines", {"kind": "other", "description": "B", "unit_price": "1"})
