"""Resellers JSON API: resellers and their brand, staff, commission rules and statements."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from dotmac_isp.modules.identity.deps import DbSession, require
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.modules.resellers import schemas, service, statements
from dotmac_isp.modules.resellers.enums import ResellerStatus
from dotmac_isp.modules.resellers.models import CommissionRule, CommissionStatement, Reseller
from dotmac_isp.shared.errors import ValidationFailed
from dotmac_isp.shared.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/resellers", tags=["resellers"])
Paging = Annotated[PageParams, Depends(page_params)]
READ, WRITE = require(Permission.RESELLERS_READ), require(Permission.RESELLERS_WRITE)


@router.get("", response_model=Page[schemas.ResellerOut])
def list_resellers(session: DbSession, paging: Paging, status: ResellerStatus | None = None,
                   principal: Principal = READ) -> Page[Reseller]:
    return service.list_resellers(session, principal.tenant_id, paging,
                                  status=status.value if status else None)


@router.post("", response_model=schemas.ResellerOut, status_code=201)
def create_reseller(body: schemas.ResellerIn, session: DbSession,
                    principal: Principal = WRITE) -> Reseller:
    """A reseller with its brand; its customers' portal is /portal/{tenant}/r/{slug}."""
    return service.create_reseller(session, principal.tenant_id, body)


@router.get("/statements/{statement_id}", response_model=schemas.StatementDetail)
def get_statement(statement_id: uuid.UUID, session: DbSession,
                  principal: Principal = READ) -> CommissionStatement:
    return statements.get_statement(session, principal.tenant_id, statement_id)


@router.get("/statements/{statement_id}/csv")
def statement_csv(statement_id: uuid.UUID, session: DbSession,
                  principal: Principal = READ) -> Response:
    statement = statements.get_statement(session, principal.tenant_id, statement_id)
    reseller = statements.reseller_of(session, statement)
    name = f"commission-{reseller.slug}-{statement.period_start:%Y-%m}-{statement.currency}.csv"
    return Response(statements.csv_text(statement, reseller), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/statements/{statement_id}/approve", response_model=schemas.StatementOut)
def approve_statement(statement_id: uuid.UUID, session: DbSession,
                      principal: Principal = WRITE) -> CommissionStatement:
    """Make the statement final: later runs no longer change it."""
    return statements.approve(session, principal.tenant_id, statement_id, principal.label)


@router.get("/{reseller_id}", response_model=schemas.ResellerOut)
def get_reseller(reseller_id: uuid.UUID, session: DbSession,
                 principal: Principal = READ) -> Reseller:
    return service.get_reseller(session, principal.tenant_id, reseller_id)


@router.patch("/{reseller_id}", response_model=schemas.ResellerOut)
def update_reseller(reseller_id: uuid.UUID, body: schemas.ResellerUpdate, session: DbSession,
                    principal: Principal = WRITE) -> Reseller:
    return service.update_reseller(session, principal.tenant_id, reseller_id, body)


@router.put("/{reseller_id}/logo", response_model=schemas.ResellerOut)
async def put_logo(reseller_id: uuid.UUID, request: Request, session: DbSession,
                   principal: Principal = WRITE) -> Reseller:
    """The logo as the request body (image/png or image/jpeg, at most 128 KB)."""
    data = await request.body()
    if len(data) > service.MAX_LOGO_BYTES + 1:
        raise ValidationFailed(f"Logo: at most {service.MAX_LOGO_BYTES // 1024} KB")
    return service.set_logo(session, principal.tenant_id, reseller_id, data)


@router.delete("/{reseller_id}/logo", response_model=schemas.ResellerOut)
def delete_logo(reseller_id: uuid.UUID, session: DbSession,
                principal: Principal = WRITE) -> Reseller:
    return service.set_logo(session, principal.tenant_id, reseller_id, None)


@router.get("/{reseller_id}/users", response_model=list[schemas.StaffOut])
def list_staff(reseller_id: uuid.UUID, session: DbSession,
               principal: Principal = READ) -> list[User]:
    return service.staff(session, principal.tenant_id, reseller_id)


@router.put("/{reseller_id}/users/{user_id}", response_model=schemas.StaffOut)
def add_staff(reseller_id: uuid.UUID, user_id: uuid.UUID, session: DbSession,
              principal: Principal = WRITE) -> User:
    """Make a staff user one of the reseller's: they then see only its customers."""
    return service.add_staff(session, principal, reseller_id, user_id)


@router.delete("/{reseller_id}/users/{user_id}", status_code=204)
def remove_staff(reseller_id: uuid.UUID, user_id: uuid.UUID, session: DbSession,
                 principal: Principal = WRITE) -> Response:
    service.remove_staff(session, principal, reseller_id, user_id)
    return Response(status_code=204)


@router.get("/{reseller_id}/rules", response_model=list[schemas.RuleOut])
def list_rules(reseller_id: uuid.UUID, session: DbSession,
               principal: Principal = READ) -> list[CommissionRule]:
    return service.rules(session, principal.tenant_id, reseller_id)


@router.put("/{reseller_id}/rules", response_model=schemas.RuleOut)
def set_rule(reseller_id: uuid.UUID, body: schemas.RuleIn, session: DbSession,
             principal: Principal = WRITE) -> CommissionRule:
    """Create or replace the rule for a plan (plan_id null: every plan without its own)."""
    return service.set_rule(session, principal.tenant_id, reseller_id, body)


@router.delete("/{reseller_id}/rules/{commission_rule_id}", status_code=204)
def delete_rule(reseller_id: uuid.UUID, commission_rule_id: uuid.UUID, session: DbSession,
                principal: Principal = WRITE) -> Response:
    service.delete_rule(session, principal.tenant_id, reseller_id, commission_rule_id)
    return Response(status_code=204)


@router.get("/{reseller_id}/statements", response_model=Page[schemas.StatementOut])
def list_statements(reseller_id: uuid.UUID, session: DbSession, paging: Paging,
                    principal: Principal = READ) -> Page[CommissionStatement]:
    return statements.list_statements(session, principal.tenant_id, paging,
                                      reseller_id=reseller_id)


@router.post("/{reseller_id}/statements", response_model=list[schemas.StatementOut])
def compute_statements(reseller_id: uuid.UUID, body: schemas.StatementRequest,
                       session: DbSession, principal: Principal = WRITE,
                       ) -> list[CommissionStatement]:
    """Compute (or bring up to date) the month's draft statements now, as the job does."""
    try:
        first = body.first_day()
    except ValueError as exc:
        raise ValidationFailed(str(exc), extra={"field": "month"}) from None
    return statements.refresh(session, principal.tenant_id, reseller_id, first)


