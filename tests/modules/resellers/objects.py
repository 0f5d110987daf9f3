"""Tenant-A reseller objects for the isolation test."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from dotmac_isp.modules.resellers import schemas, service
from dotmac_isp.modules.resellers.models import CommissionStatement
from dotmac_isp.modules.resellers.repository import StatementRepository
from dotmac_isp.shared.types import utcnow
from tests.modules.resellers.helpers import make_reseller
from tests.support.tenant_objects import ObjectContext, example_body, tenant_object


@tenant_object("reseller_id")
def reseller(ctx: ObjectContext) -> str:
    return str(make_reseller(ctx.session, ctx.tenant, "isolated-reseller").id)


@tenant_object("commission_rule_id")
def rule(ctx: ObjectContext) -> str:
    made = service.set_rule(ctx.session, ctx.tenant.id, uuid.UUID(ctx.need("reseller_id")),
                            schemas.RuleIn(plan_id=uuid.UUID(ctx.need("plan_id")),
                                           percent=Decimal("10")))
    return str(made.id)


@tenant_object("statement_id")
def statement(ctx: ObjectContext) -> str:
    made = StatementRepository(ctx.session, ctx.tenant.id).add(CommissionStatement(
        reseller_id=uuid.UUID(ctx.need("reseller_id")), period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 31), currency="USD", total=Decimal("0"),
        computed_at=utcnow(), lines=[]))
    return str(made.id)


_R = "/api/v1/resellers/{reseller_id}"
example_body("PATCH", _R, {"name": "Intruder"})
example_body("PUT", f"{_R}/rules", {"percent": "5"})
example_body("POST", f"{_R}/statements", {"month": "2026-03"})
