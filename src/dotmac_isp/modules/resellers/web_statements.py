"""Staff pages for commission statements: compute a month, read one as a printable page or
CSV, approve it."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.deps import DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.resellers import schemas, statements
from dotmac_isp.modules.resellers.web import LABELS, _detail
from dotmac_isp.modules.services import catalogue
from dotmac_isp.shared.errors import AppError
from dotmac_isp.web.forms import FormErrors
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin/resellers", include_in_schema=False)
P = Permission
READ, WRITE = page_permission(P.RESELLERS_READ), page_permission(P.RESELLERS_WRITE)


@router.get("/statements/{statement_id}", response_class=HTMLResponse)
def statement_page(request: Request, statement_id: uuid.UUID, session: DbSession,
                   user: User = READ) -> HTMLResponse:
    """The statement as a page to read, print or save as PDF."""
    statement = statements.get_statement(session, user.tenant_id, statement_id)
    return render(request, "resellers/statement.html", {
        "current_user": user, "statement": statement,
        "reseller": statements.reseller_of(session, statement),
        "tenant": identity_service.get_tenant(session, user.tenant_id),
        "plans": catalogue.plans_by_id(session, user.tenant_id),
        "can_write": request.state.principal.has(P.RESELLERS_WRITE)})


@router.get("/statements/{statement_id}/csv")
def statement_csv(statement_id: uuid.UUID, session: DbSession, user: User = READ) -> Response:
    statement = statements.get_statement(session, user.tenant_id, statement_id)
    reseller = statements.reseller_of(session, statement)
    name = f"commission-{reseller.slug}-{statement.period_start:%Y-%m}-{statement.currency}.csv"
    return Response(statements.csv_text(statement, reseller), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/statements/{statement_id}/approve", response_class=HTMLResponse)
async def statement_approve(request: Request, statement_id: uuid.UUID, session: DbSession,
                            user: User = WRITE) -> Response:
    await verify_csrf(request)
    statements.approve(session, user.tenant_id, statement_id, user.email)
    flash(request, "Statement approved: it is final now.")
    return RedirectResponse(f"/admin/resellers/statements/{statement_id}", status_code=303)


@router.post("/{reseller_id}/statements", response_class=HTMLResponse)
async def statement_compute(request: Request, reseller_id: uuid.UUID, session: DbSession,
                            user: User = WRITE) -> Response:
    form = await verify_csrf(request)
    month = str(form.get("month", "")).strip()
    errors = FormErrors(LABELS)
    try:
        first = schemas.month_start(month)
    except ValueError as exc:
        errors.add("month", str(exc))
    else:
        try:
            with session.begin_nested():
                made = statements.refresh(session, user.tenant_id, reseller_id, first)
        except AppError as exc:
            errors.refusal(exc, "month")
        else:
            flash(request, f"{len(made)} statement(s) for {month} up to date."
                  if made else f"Nothing earned in {month}.")
            return RedirectResponse(f"/admin/resellers/{reseller_id}/statements",
                                    status_code=303)
    return _detail(request, session, user, reseller_id, section="statements",
                   form={"month": month}, errors=errors, status_code=422)
