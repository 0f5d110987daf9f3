"""Tenant-A bank statement lines for the isolation test."""

from __future__ import annotations

import uuid

from dotmac_isp.modules.billing import bank
from dotmac_isp.modules.billing.bank_csv import ColumnMapping
from dotmac_isp.shared.pagination import PageParams
from tests.support.tenant_objects import ObjectContext, example_body, tenant_object


@tenant_object("bank_line_id")
def bank_line(ctx: ObjectContext) -> str:
    result = bank.import_statement(ctx.session, ctx.tenant.id,
                                   b"Date,Amount,Reference\n2026-04-03,12.00,who is this\n",
                                   ColumnMapping("Date", "Amount", "Reference"))
    page = bank.list_lines(ctx.session, ctx.tenant.id, PageParams(limit=1),
                           import_id=result.import_id)
    return str(page.items[0].id)


example_body("POST", "/api/v1/bank-lines/{bank_line_id}/match",
             {"customer_id": str(uuid.UUID(int=1))})
example_body("POST", "/api/v1/bank-lines/{bank_line_id}/ignore", {"reason": "intrusion"})
